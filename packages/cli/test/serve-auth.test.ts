import { describe, expect, it } from 'vitest';
import { useEmbeddedProject } from './helpers/embedded-project';
import { runCli, startCli } from './helpers/run-cli';
import { stravaEnv } from './helpers/strava-env';

// `trainlytics serve` keeps its demo mode (no sign-in) on loopback only; anything else needs
// TRAINLYTICS_ADMIN_TOKEN, and without it the command refuses with one line and exit code 2.

const ADMIN_TOKEN = 'f'.repeat(64);

const project = useEmbeddedProject('trainlytics-serve-auth-', { migrate: false });

describe('trainlytics serve: sign-in', () => {
  it.each(['0.0.0.0', '::', '192.0.2.10'])(
    'refuses --host %s without TRAINLYTICS_ADMIN_TOKEN: one line on stderr, exit 2',
    async (host) => {
      const run = await runCli(['serve', '--host', host, '--port', '0', '--no-scheduler'], {
        cwd: project.cwd,
        env: stravaEnv(project.sandbox),
      });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(
        new RegExp(
          `^trainlytics: Refusing to serve on ${host.replace(/\./g, '\\.')} without authentication: set TRAINLYTICS_ADMIN_TOKEN`,
        ),
      );
    },
  );

  it('refuses an admin token shorter than 32 characters the same way', async () => {
    const run = await runCli(['serve', '--host', '0.0.0.0', '--port', '0'], {
      cwd: project.cwd,
      env: { ...stravaEnv(project.sandbox), TRAINLYTICS_ADMIN_TOKEN: 'short' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      'trainlytics: TRAINLYTICS_ADMIN_TOKEN must be at least 32 characters: generate one with `openssl rand -hex 32`',
    );
  });

  it('with TRAINLYTICS_ADMIN_TOKEN it serves on 0.0.0.0 and every route needs the token', async () => {
    expect((await runCli(['migrate', 'up'], { cwd: project.cwd })).code).toBe(0);
    const server = startCli(['serve', '--host', '0.0.0.0', '--port', '0', '--no-scheduler'], {
      cwd: project.cwd,
      env: { ...stravaEnv(project.sandbox), TRAINLYTICS_ADMIN_TOKEN: ADMIN_TOKEN },
    });
    try {
      await server.waitFor(/^Scheduled sync is off$/m);
      const { stdout } = server.output();
      expect(stdout).toMatch(/^Sign-in: admin token/m);
      const url = /^Dashboard: (http:\/\/[^/]+)\/dashboard$/m.exec(stdout)![1]!;
      expect((await fetch(`${url}/api/users`)).status).toBe(401);
      const page = await fetch(`${url}/dashboard`, { redirect: 'manual' });
      expect(page.status).toBe(303);
      expect(page.headers.get('location')).toBe('/login?returnTo=%2Fdashboard');
      const api = await fetch(`${url}/api/users`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(api.status).toBe(200);
      expect(await api.json()).toEqual([]);
      expect((await fetch(`${url}/health`)).status).toBe(200);
    } finally {
      const stopped = await server.stop();
      expect(stopped.code).toBe(0);
      expect(stopped.stdout + stopped.stderr).not.toContain(ADMIN_TOKEN);
    }
  });

  it('on loopback without a token it runs in the demo mode and says so', async () => {
    const server = startCli(['serve', '--port', '0', '--no-scheduler'], {
      cwd: project.cwd,
      env: stravaEnv(project.sandbox),
    });
    try {
      await server.waitFor(/^Scheduled sync is off$/m);
      const { stdout } = server.output();
      expect(stdout).toMatch(/^Sign-in: none \(demo mode on loopback/m);
      const url = /^Dashboard: (http:\/\/127\.0\.0\.1:\d+)\/dashboard$/m.exec(stdout)![1]!;
      expect((await fetch(`${url}/api/users`)).status).toBe(200);
    } finally {
      expect((await server.stop()).code).toBe(0);
    }
  });
});
