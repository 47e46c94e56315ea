import { isSportType, type StreamsPolicy } from '@trainlytics/core';
import type { Command } from 'commander';
import { parsePositiveInt } from '../format';
import { UserError } from '../user-error';

export interface StreamsFlags {
  /** `--streams`: run the background streams backfill (serve's scheduler, or the worker's streams queue). */
  streams?: boolean;
  streamsMaxAge?: string;
  streamsSports?: string;
  streamsReserve?: string;
  streamsPerTick?: string;
}

/**
 * The streams backfill policy flags (ADR 0032). With `withSwitch`, also `--streams` (serve and worker: run
 * the backfill); `connections list` takes only the filters and the reserve, for its estimate.
 */
export function withStreamsOptions(command: Command, { withSwitch }: { withSwitch: boolean }): Command {
  if (withSwitch) {
    command
      .option(
        '--streams',
        'backfill activity detail (streams, laps, route) in the background, after summary syncs and within the rate budget',
      )
      .option('--streams-per-tick <n>', 'the most activities one backfill tick fetches', '20');
  }
  return command
    .option('--streams-max-age <days>', 'activity detail only for activities at most this many days old')
    .option(
      '--streams-sports <list>',
      'activity detail only for these sports, comma-separated (e.g. run,ride)',
    )
    .option(
      '--streams-reserve <percent>',
      'the share of every rate-limit window left to summary syncs and webhooks',
      '30',
    );
}

/** The policy the flags describe (a `UserError` naming the flag when one is invalid). */
export function streamsPolicyFromFlags(flags: StreamsFlags): StreamsPolicy {
  const reserve = Number(flags.streamsReserve ?? '30');
  if (!/^\d+(\.\d+)?$/.test(flags.streamsReserve ?? '30') || !(reserve >= 0 && reserve < 100)) {
    throw new UserError(
      `--streams-reserve must be a percentage from 0 to below 100, got "${flags.streamsReserve}"`,
    );
  }
  const sports = (flags.streamsSports ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = sports.filter((s) => !isSportType(s));
  if (unknown.length > 0) {
    throw new UserError(
      `--streams-sports: unknown sport ${unknown.map((s) => `"${s}"`).join(', ')} (use Trainlytics sport types, e.g. run,trail_run,ride)`,
    );
  }
  return {
    reserve: reserve / 100,
    ...(flags.streamsMaxAge
      ? { maxAgeDays: parsePositiveInt(flags.streamsMaxAge, '--streams-max-age') }
      : {}),
    ...(sports.length > 0 ? { sportTypes: sports } : {}),
    ...(flags.streamsPerTick
      ? { maxActivitiesPerTick: parsePositiveInt(flags.streamsPerTick, '--streams-per-tick') }
      : {}),
  };
}
