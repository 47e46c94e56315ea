import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/** Workspace packages resolve each other to their TypeScript source, so tests never run a stale `dist/`. */
const resolve = { conditions: ['@trainlytics/source'] };

/** The zone the time-zone-sensitive tests run in a second time: a non-whole-hour offset with DST. */
export const SECOND_TIME_ZONE = 'America/St_Johns';

export interface PackageTestOptions {
  /** The vitest project's name (the package's short name). */
  name: string;
  /** Per test and per hook, in ms. Default 30 s and 60 s: generous, never relied on. */
  testTimeout?: number;
  hookTimeout?: number;
  /** `test/global-setup.ts` prepares the test databases (ADR 0036). Default true. */
  globalSetup?: boolean;
  /** Files that run a second time with `TZ` set to {@link SECOND_TIME_ZONE}. */
  timeZoneSensitive?: string[];
  /** Files that must run alone, after every other file (several processes against one shared limit). */
  alone?: string[];
}

/**
 * One package's vitest configuration. Every package runs its `test/**` and `src/**` test files, two files at a
 * time even on 2 cores (vitest's default there is one): most of a file's time is spent waiting on PostgreSQL, a
 * sandbox's socket, a child process or Chromium (issue 17, goal 6).
 */
export function packageTests(options: PackageTestOptions) {
  const shared = { testTimeout: options.testTimeout ?? 30_000, hookTimeout: options.hookTimeout ?? 60_000 };
  const include = ['test/**/*.test.ts', 'src/**/*.test.ts'];
  const alone = options.alone ?? [];
  const projects = [
    {
      resolve,
      ssr: { resolve },
      test: {
        ...shared,
        name: options.name,
        include,
        ...(alone.length > 0 ? { exclude: alone, sequence: { groupOrder: 0 } } : {}),
      },
    },
  ];
  if (options.timeZoneSensitive?.length) {
    projects.push({
      resolve,
      ssr: { resolve },
      test: {
        ...shared,
        name: `${options.name} TZ=${SECOND_TIME_ZONE}`,
        include: options.timeZoneSensitive,
        env: { TZ: SECOND_TIME_ZONE },
      },
    } as (typeof projects)[number]);
  }
  if (alone.length > 0) {
    projects.push({
      resolve,
      ssr: { resolve },
      test: { ...shared, name: `${options.name} (alone)`, include: alone, sequence: { groupOrder: 1 } },
    });
  }
  return defineConfig({
    test: {
      ...(options.globalSetup === false ? {} : { globalSetup: ['test/global-setup.ts'] }),
      maxWorkers: Math.max(availableParallelism() - 1, 2),
      projects,
    },
  });
}
