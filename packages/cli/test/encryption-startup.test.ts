import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/database';
import { PLAINTEXT_WARNING } from '../src/encryption-check';
import { useEmbeddedProject } from './helpers/embedded-project';
import { runCli, startCli } from './helpers/run-cli';
import { stravaEnv } from './helpers/strava-env';

// The commands that write tokens check the encryption configuration at startup: without
// TRAINLYTICS_ENCRYPTION_KEY on a database that holds encrypted tokens they refuse (one line, non-zero
// exit, saying how to fix it); whenever tokens will be stored in clear they warn (one line on stderr).

const project = useEmbeddedProject('trainlytics-encryption-');

describe('startup encryption check', () => {
  it('serve on a database without encrypted tokens and without a key: starts, with one warning line on stderr', async () => {
    const server = startCli(['serve', '--port', '0', '--no-scheduler'], {
      cwd: project.cwd,
      env: stravaEnv(project.sandbox),
    });
    let stopped: Awaited<ReturnType<typeof server.stop>>;
    try {
      await server.waitFor(/^Scheduled sync is off$/m);
    } finally {
      stopped = await server.stop();
    }
    // stderr is read once the process ended (its pipe is not ordered with stdout's); both at once, so a failure
    // shows what the process said
    expect({ code: stopped.code, stderr: stopped.stderr }).toEqual({
      code: 0,
      stderr: `${PLAINTEXT_WARNING}\n`,
    });
  });

  it('refuses serve and sync without a key once the database holds encrypted tokens', async () => {
    const database = await openDatabase({ env: {}, cwd: project.cwd });
    try {
      const { rows } = await database.db.query<{ id: number }>(
        "insert into users (email) values ('encrypted@example.com') returning id",
      );
      await database.db.query(
        `insert into provider_connections (user_id, provider, provider_user_id, access_token, refresh_token)
         values ($1, 'strava', '424242', 'tl1:k1:aXY:dGFn:Y3Q', 'tl1:k1:aXY:dGFn:cmVm')`,
        [rows[0]!.id],
      );
    } finally {
      await database.close();
    }
    const expected =
      'trainlytics: The database holds 2 encrypted tokens but TRAINLYTICS_ENCRYPTION_KEY is not set: they cannot be read, and new tokens would be stored in clear (set TRAINLYTICS_ENCRYPTION_KEY to the key the other processes use (the one the tokens were encrypted with))';
    const serve = await runCli(['serve', '--port', '0', '--no-scheduler'], {
      cwd: project.cwd,
      env: stravaEnv(project.sandbox),
    });
    expect(serve.code).not.toBe(0);
    expect(serve.stderr.trim()).toBe(expected);
    expect(serve.stdout).not.toMatch(/listening/);
    const sync = await runCli(['sync', '--all'], { cwd: project.cwd, env: stravaEnv(project.sandbox) });
    expect(sync.code).not.toBe(0);
    expect(sync.stderr.trim()).toBe(expected);
  });
});
