import type { ActivityDetail, StreamsBacklogPlan, StreamsBacklogRun, Trainlytics } from '@trainlytics/core';
import type { Command } from 'commander';
import { type CliIO, writeLine } from '../cli-io';
import { parseId, parsePositiveInt } from '../format';
import { openTrainlytics } from '../open-trainlytics';
import { providerName } from '../providers-from-env';
import { UserError } from '../user-error';
import { type DatabaseFlag, withDatabaseOption } from './shared-options';

interface DetailFlags extends DatabaseFlag {
  connection?: string;
  refresh?: boolean;
  limit?: string;
  since?: string;
  sport?: string;
  json?: boolean;
}

/**
 * `trainlytics detail <activity-id> [--refresh] [--json]`: one activity's streams (samples, laps, route),
 * fetched when missing. `trainlytics detail --connection <id> [--limit N] [--since DATE] [--sport a,b]`:
 * works through the connection's streams backlog within the rate budget (ADR 0030).
 */
export function registerDetailCommand(
  program: Command,
  io: CliIO,
  setExitCode: (code: number) => void,
): void {
  withDatabaseOption(
    program
      .command('detail')
      .description('fetch activity streams (samples, laps, route): one activity, or a connection’s backlog')
      .argument('[activity-id]', 'the activity (its id in `activities`)')
      .option('--connection <id>', 'work through this connection’s streams backlog instead')
      .option('--refresh', 'with an activity id: fetch again even when stored')
      .option('--limit <n>', 'with --connection: at most this many activities')
      .option(
        '--since <date>',
        'with --connection: only activities started on or after this date (YYYY-MM-DD)',
      )
      .option('--sport <types>', 'with --connection: only these sports, comma-separated (run,ride)')
      .option('--json', 'print one JSON object'),
  ).action(async (activityId: string | undefined, flags: DetailFlags) => {
    if ((activityId === undefined) === (flags.connection === undefined)) {
      throw new UserError(
        'Give an activity id or --connection <id> (one of them): `trainlytics detail 42`',
        2,
      );
    }
    const activity = activityId === undefined ? undefined : parseId(activityId, 'activity id');
    const connection =
      flags.connection === undefined ? undefined : parseId(flags.connection, 'connection id');
    const limit = flags.limit === undefined ? undefined : parsePositiveInt(flags.limit, '--limit');
    const since = flags.since === undefined ? undefined : parseDate(flags.since);
    const sportTypes = flags.sport
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const opened = await openTrainlytics({ ...flags, env: io.env, cwd: io.cwd, command: 'detail' });
    try {
      const { trainlytics } = opened;
      if (activity !== undefined) {
        const detail = await trainlytics.activities.detail(activity, { refresh: Boolean(flags.refresh) });
        writeLine(io.stdout, flags.json ? JSON.stringify(detailJson(detail)) : describeDetail(detail));
        return;
      }
      const id = connection as number;
      await requireConnection(trainlytics, id);
      const options = {
        ...(limit ? { limit } : {}),
        ...(since ? { since } : {}),
        ...(sportTypes?.length ? { sportTypes } : {}),
      };
      const run = await trainlytics.streams.backlog(id, options);
      const plan = await trainlytics.streams.plan(id, options);
      if (flags.json) writeLine(io.stdout, JSON.stringify({ ...runJson(run), plan: planJson(plan) }));
      else writeLine(io.stdout, describeRun(run, plan));
      if (run.failed > 0 || run.stoppedBy === 'reauthorization') setExitCode(1);
    } finally {
      await opened.close();
    }
  });
}

function parseDate(value: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new UserError(`--since must be a date like 2026-01-31, got "${value}"`, 2);
  }
  return new Date(`${value}T00:00:00Z`);
}

async function requireConnection(trainlytics: Trainlytics, id: number): Promise<void> {
  const connection = await trainlytics.connections.get(id);
  if (!connection) throw new UserError(`Unknown connection id ${id}: see \`trainlytics connections list\``);
  if (!trainlytics.providerIds.includes(connection.provider)) {
    const prefix = connection.provider.toUpperCase();
    throw new UserError(
      `Missing ${providerName(connection.provider)} credentials for connection ${id}: set ${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET`,
    );
  }
}

/** `detail <id> --json`: the status, the samples by channel, laps and route (the stored form, decoded). */
export function detailJson(detail: ActivityDetail) {
  return {
    activityId: detail.activity.id,
    provider: detail.activity.provider,
    providerActivityId: detail.activity.providerActivityId,
    status: detail.status,
    requests: detail.requests,
    fetchedAt: detail.fetchedAt?.toISOString() ?? null,
    samples: detail.streams?.time.length ?? 0,
    streams: detail.streams
      ? {
          time: detail.streams.time,
          channels: detail.streams.channels,
          laps: detail.streams.laps,
          route: detail.streams.route,
        }
      : null,
  };
}

function describeDetail(detail: ActivityDetail): string {
  const a = detail.activity;
  const what = `Activity ${a.id} (${providerName(a.provider ?? 'unknown')} ${a.providerActivityId})`;
  const cost = detail.requests ? ` (${detail.requests} request${detail.requests === 1 ? '' : 's'})` : '';
  switch (detail.status) {
    case 'stored': {
      const s = detail.streams!;
      const channels = Object.keys(s.channels).join(', ') || 'time only';
      return `${what}: ${s.time.length} samples (${channels}), ${s.laps.length} lap${s.laps.length === 1 ? '' : 's'}${s.route ? ', a route' : ''}${cost}`;
    }
    case 'none':
      return `${what}: the provider has no samples for it (a manual entry?)${cost}`;
    case 'requested':
      return `${what}: requested; the provider delivers the streams by webhook${cost}`;
    default:
      return `${what}: its provider plugin does not fetch streams`;
  }
}

export function runJson(run: StreamsBacklogRun) {
  return { ...run, resumeAt: run.resumeAt?.toISOString() ?? null };
}

export function planJson(plan: StreamsBacklogPlan | null) {
  return plan;
}

const STOPPED: Record<StreamsBacklogRun['stoppedBy'], string> = {
  done: 'the backlog is done',
  limit: 'stopped at --limit',
  budget: 'stopped to leave the rate budget to syncs',
  'rate-limit': 'stopped by the provider’s rate limit',
  reauthorization: 'stopped: the user must reconnect',
  unsupported: 'its provider plugin does not fetch streams',
};

/** "~3.2 days", "~40 min": how long the plan's remaining backlog takes. */
export function describePlan(plan: StreamsBacklogPlan | null): string {
  if (!plan) return '';
  if (plan.remaining === 0) return 'no activity left without streams';
  const eta =
    plan.estimatedMs === null
      ? 'time unknown until the provider reports its limits'
      : `~${humanSpan(plan.estimatedMs)} at ${plan.requestsPerDay} requests/day`;
  return `${plan.remaining} activit${plan.remaining === 1 ? 'y' : 'ies'} left (${eta})`;
}

function humanSpan(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 90) return `${Math.max(1, Math.round(minutes))} min`;
  if (minutes < 48 * 60) return `${(minutes / 60).toFixed(1)} h`;
  return `${(minutes / 1440).toFixed(1)} days`;
}

function describeRun(run: StreamsBacklogRun, plan: StreamsBacklogPlan | null): string {
  const resume = run.resumeAt ? `, resumes ${run.resumeAt.toISOString()}` : '';
  const failed = run.failed ? `, ${run.failed} failed (${run.errors[0]?.message ?? ''})` : '';
  return `Connection ${run.connectionId}: ${run.stored} stored, ${run.none} without streams${run.requested ? `, ${run.requested} requested` : ''}${failed} in ${run.requests} requests; ${STOPPED[run.stoppedBy]}${resume}. ${describePlan(plan)}`.trim();
}
