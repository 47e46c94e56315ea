import type { SyncProgress } from '@trainlytics/core';
import cliProgress from 'cli-progress';
import { type CliIO, isCI } from './cli-io';

/** One line of progress: a sync of one connection. */
export interface ProgressLine {
  update(progress: SyncProgress): void;
  /** Marks the line finished with a short status (`success`, `failed: …`). */
  finish(status: string): void;
}

/** Live progress of syncs on a terminal (cli-progress), or nothing at all. */
export interface ProgressBoard {
  readonly enabled: boolean;
  /** `total`: the expected number of activities when known (a bar), else live counts only. */
  line(label: string, total?: number | null): ProgressLine;
  /** Prints a message above the bars (or to stderr when there are none). */
  log(message: string): void;
  stop(): void;
}

const noopLine: ProgressLine = { update() {}, finish() {} };

/**
 * Progress bars on stderr when it is a terminal and the output is not JSON; silent otherwise so that
 * pipes, CI logs and `--json` output stay clean.
 */
export function createProgressBoard(
  io: CliIO,
  options: { json?: boolean; quiet?: boolean } = {},
): ProgressBoard {
  const enabled = Boolean(io.stderr.isTTY) && !options.json && !options.quiet && !isCI(io.env);
  if (!enabled) {
    return { enabled, line: () => noopLine, log: () => {}, stop() {} };
  }
  const multibar = new cliProgress.MultiBar(
    {
      stream: io.stderr as NodeJS.WritableStream,
      format: (options, params, payload: { label: string; counts: string; status: string; bar: boolean }) => {
        const bar = payload.bar
          ? `${(options.barCompleteString ?? '').slice(0, Math.round(params.progress * (options.barsize ?? 30)))}${(options.barIncompleteString ?? '').slice(0, (options.barsize ?? 30) - Math.round(params.progress * (options.barsize ?? 30)))} `
          : '';
        return `${payload.label.padEnd(24)} ${bar}${payload.counts}${payload.status ? ` ${payload.status}` : ''}`;
      },
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      fps: 8,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    enabled,
    line(label, total) {
      const bar = multibar.create(total ?? 1, 0, {
        label,
        counts: 'starting…',
        status: '',
        bar: Boolean(total),
      });
      let last: SyncProgress | null = null;
      const counts = (p: SyncProgress | null) =>
        p
          ? `${p.activitiesCreated} created, ${p.activitiesUpdated} updated, ${p.requests} requests`
          : 'no activities yet';
      return {
        update(progress) {
          last = progress;
          const seen = progress.activitiesCreated + progress.activitiesUpdated;
          bar.update(total ? Math.min(seen, total) : 0, { counts: counts(progress) });
        },
        finish(status) {
          bar.update(total ?? 1, { counts: counts(last), status });
        },
      };
    },
    log(message) {
      multibar.log(`${message}\n`);
    },
    stop() {
      multibar.stop();
    },
  };
}
