import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { afterAll, beforeAll, expect } from 'vitest';
import { runCli } from './run-cli';

export interface EmbeddedProject {
  /** A fresh folder whose embedded database (`.trainlytics/db`) `trainlytics migrate up` created. */
  readonly cwd: string;
  /** A Strava sandbox for the file's commands (`stravaEnv(project.sandbox)`). */
  readonly sandbox: StravaSandbox;
}

/** For the test file: the project folder and the sandbox, set up before its tests and removed after them. */
export function useEmbeddedProject(prefix: string, options: { migrate?: boolean } = {}): EmbeddedProject {
  const project = {} as { cwd: string; sandbox: StravaSandbox };
  beforeAll(async () => {
    project.cwd = await mkdtemp(path.join(tmpdir(), prefix));
    project.sandbox = await startStravaSandbox();
    if (options.migrate !== false)
      expect((await runCli(['migrate', 'up'], { cwd: project.cwd })).code).toBe(0);
  });
  afterAll(async () => {
    await project.sandbox?.close();
    if (project.cwd) await rm(project.cwd, { recursive: true, force: true });
  });
  return project;
}
