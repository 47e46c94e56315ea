import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '@trainlytics/core/testing';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../src/cli-io';
import { runDemo } from '../src/demo/run-demo';
import { createProgram } from '../src/program';
import { registerWorkerCommand } from '../src/worker/worker-command';
import { useEmbeddedProject } from './helpers/embedded-project';
import { stravaEnv } from './helpers/strava-env';

// A supervisor (systemd, a container runtime, a test) may send SIGTERM the moment it reads that the process is
// up. Until a listener is registered Node leaves the signal to its default action, which kills the process
// (no clean shutdown, exit by signal): so `serve` listens before it prints a line, `worker` before it prints
// that it is ready, and the interactive `demo` before it shows the dashboard's address. Checked in process, without
// sending a real signal: each write records whether `serve` had added its SIGTERM listener by then, and the test
// stops it by calling that listener, as Node does on the signal.

const project = useEmbeddedProject('trainlytics-ready-');

describe('serve says it is up only once it handles SIGTERM', () => {
  it('every line it prints comes after its SIGTERM listener; that listener stops it with exit code 0', async () => {
    const before = new Set(process.listeners('SIGTERM'));
    const added = () => process.listeners('SIGTERM').filter((l) => !before.has(l));
    const lines: { text: string; listening: boolean }[] = [];
    let onReady: (listeners: ReturnType<typeof added>) => void = () => {};
    const ready = new Promise<ReturnType<typeof added>>((resolve) => {
      onReady = resolve;
    });
    const io: CliIO = {
      stdout: {
        write(chunk: string) {
          lines.push({ text: chunk, listening: added().length > 0 });
          if (/^Scheduled sync is off$/m.test(chunk)) onReady(added());
          return true;
        },
      },
      stderr: { write: () => true },
      env: stravaEnv(project.sandbox),
      cwd: project.cwd,
    };
    let exitCode: number | undefined;
    const run = createProgram(io, (code) => {
      exitCode = code;
    }).parseAsync(['serve', '--port', '0', '--no-scheduler'], { from: 'user' });
    const listeners = await Promise.race([
      ready,
      run.then(() => {
        throw new Error(`serve ended before it was up: ${lines.map((l) => l.text).join('')}`);
      }),
    ]);
    expect(listeners).toHaveLength(1);
    const upLines = [...lines];
    for (const listener of listeners) (listener as (signal: string) => void)('SIGTERM');
    await run;
    expect(upLines.length).toBeGreaterThan(1);
    expect(upLines.filter((l) => !l.listening).map((l) => l.text)).toEqual([]);
    expect(lines.at(-1)?.text).toBe('Stopping…\n');
    expect(exitCode).toBe(0);
    expect(added()).toEqual([]);
  });
});

describe('worker says it is ready only once it listens for the stop signal', () => {
  it('asks for its stop signal before the ready line, and stops cleanly when it comes', async () => {
    const database = await createTestDatabase({ migrate: true, prefix: 'tl_ready' });
    try {
      const events: string[] = [];
      const io: CliIO = {
        stdout: {
          write(chunk: string) {
            for (const line of chunk.split('\n').filter(Boolean))
              events.push(`print ${(JSON.parse(line) as { event: string }).event}`);
            return true;
          },
        },
        stderr: { write: () => true },
        env: { ...stravaEnv(project.sandbox), DATABASE_URL: database.connectionString },
        cwd: project.cwd,
      };
      let exitCode: number | undefined;
      const program = new Command().exitOverride();
      registerWorkerCommand(program, {
        io,
        setExitCode: (code) => {
          exitCode = code;
        },
        stopSignal: async () => {
          events.push('listening for the stop signal');
        },
      });
      await program.parseAsync(['worker', '--json', '--poll-interval', '0.5'], { from: 'user' });
      expect(events).toEqual(['listening for the stop signal', 'print ready', 'print stopped']);
      expect(exitCode ?? 0).toBe(0);
    } finally {
      await database.drop();
    }
  });
});

describe('the interactive demo shows its dashboard only once it listens for Ctrl+C', () => {
  it('asks for its stop signal before it prints the dashboard address, then closes', async () => {
    const demoDir = await mkdtemp(path.join(tmpdir(), 'trainlytics-ready-demo-'));
    try {
      const events: string[] = [];
      const io: CliIO = {
        stdout: {
          write(chunk: string) {
            for (const line of chunk.split('\n').filter(Boolean)) events.push(line);
            return true;
          },
        },
        stderr: { write: () => true },
        env: {},
        cwd: demoDir,
      };
      const code = await runDemo({
        io,
        headless: false,
        port: 0,
        activityCount: 3,
        json: false,
        waitForShutdown: async () => {
          events.push('(listening for the stop signal)');
        },
      });
      expect(code).toBe(0);
      const listening = events.indexOf('(listening for the stop signal)');
      const dashboard = events.findIndex((line) => line.startsWith('Dashboard: '));
      expect(listening).toBeGreaterThanOrEqual(0);
      expect(dashboard).toBeGreaterThan(listening);
    } finally {
      await rm(demoDir, { recursive: true, force: true });
    }
  });
});
