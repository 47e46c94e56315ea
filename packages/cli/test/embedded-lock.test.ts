import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from './helpers/run-cli';

// A second process on the embedded PGlite database while `demo --serve` held it corrupted the database
// (the next run failed with `Aborted()`). The folder is now locked by the process that opened it; another
// process gets one line naming the holder, a lock left by a dead process is taken over, and a database
// PGlite cannot open says how to recover. Real child processes throughout.

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'trainlytics-lock-'));
});
afterAll(() => rm(cwd, { recursive: true, force: true }));

const lockFile = () => path.join(cwd, '.trainlytics', 'db.lock');

/** The pid of a process that has exited (so the lock it "left" is stale). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('the embedded database serves one process', () => {
  it('while demo --serve holds it, other commands are refused naming the holder, and nothing is damaged', async () => {
    const demo = startCli(['demo', '--serve', '--port', '0', '--activities', '5'], { cwd });
    try {
      await demo.waitFor(/Press Ctrl\+C to stop/);
      const holder = JSON.parse(await readFile(lockFile(), 'utf8'));
      expect(holder).toMatchObject({
        pid: demo.child.pid,
        host: hostname(),
        command: 'trainlytics demo --serve --port --activities',
      });
      for (const args of [
        ['connections', 'list'],
        ['migrate', 'status'],
        ['sync', '--all'],
      ]) {
        const run = await runCli(args, { cwd });
        expect(run.code, args.join(' ')).toBe(1);
        const lines = run.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(
          `The embedded PGlite database .trainlytics/db is in use by \`trainlytics demo --serve --port --activities\` (pid ${demo.child.pid} on ${hostname()}`,
        );
        expect(lines[0]).toMatch(/stop that process first .*or use PostgreSQL \(DATABASE_URL\)/);
      }
    } finally {
      await demo.stop();
    }
    // the holder is gone: the next process opens the same, undamaged database
    const after = await runCli(['connections', 'list', '--json'], { cwd });
    expect(after.stderr).toBe('');
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toEqual([]); // --serve waits for a person to connect
    const status = await runCli(['migrate', 'status', '--json'], { cwd });
    expect(status.code).toBe(0);
    expect(status.stdout).not.toMatch(/"pending"|"changed"/);
  });

  it('takes over a lock left by a process that is gone (or unreadable)', async () => {
    await mkdir(path.dirname(lockFile()), { recursive: true });
    for (const content of [
      JSON.stringify({
        pid: await deadPid(),
        host: hostname(),
        command: 'trainlytics serve',
        since: '2026-01-01T00:00:00Z',
      }),
      '{"pid": 12', // a crash while it was being written
    ]) {
      await writeFile(lockFile(), content);
      const run = await runCli(['migrate', 'status'], { cwd });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(existsSync(lockFile())).toBe(false); // released when the command closed the database
    }
  });

  it('a database PGlite cannot open says how to recover, and releases the lock', async () => {
    const broken = await mkdtemp(path.join(tmpdir(), 'trainlytics-broken-'));
    try {
      const dir = path.join(broken, '.trainlytics', 'db');
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'PG_VERSION'), '99\n');
      for (const args of [
        ['connections', 'list'],
        ['migrate', 'up'],
      ]) {
        const run = await runCli(args, { cwd: broken });
        expect(run.code).toBe(1);
        const lines = run.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain('Cannot open the embedded PGlite database .trainlytics/db: ');
        expect(lines[0]).toContain(`move it aside (mv ${dir} ${dir}.broken-`);
        expect(lines[0]).toContain('run `npx @trainlytics/cli migrate up` to start a fresh one');
        expect(existsSync(`${dir}.lock`)).toBe(false);
      }
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });
});
