import type { QueueScaleResult } from './queue-scale-scenario';
import type { ScenarioResult } from './scenario-result';
import type { SimulatedDayResult } from './simulated-day';

const int = (n: number) => n.toLocaleString('en-US');
const ms = (n: number) => `${Math.round(n).toLocaleString('en-US')} ms`;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) / 2)]!;
};

/** The tables of the queue-scale and simulated-day scenarios (issue 17, goal 4). */
export function formatQueueScale(results: ScenarioResult[]): string[] {
  const lines: string[] = [];
  const scale = results.find((r): r is QueueScaleResult => r.scenario === 'queue-scale');
  if (scale) {
    lines.push(
      '',
      `### Queue mode at ${int(scale.connections)} connections: the tick of \`serve --queue\` (due query + batched pg-boss insert)`,
      '',
      `Due query alone (EXPLAIN ANALYZE, steady state): ${ms(scale.explain.withIndexMs)} with migration 015's index (${scale.explain.planWithIndex}), ${ms(scale.explain.withoutIndexMs)} without (${scale.explain.planWithoutIndex}).`,
      '',
      '| tick | ticks | due per tick (median) | enqueued (median) | query (median / max) | whole tick (median / max) |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
    );
    const row = (label: string, ticks: QueueScaleResult['steady']) => {
      if (ticks.length === 0) return;
      lines.push(
        `| ${label} | ${ticks.length} | ${int(median(ticks.map((t) => t.due)))} | ${int(median(ticks.map((t) => t.enqueued)))} | ${ms(median(ticks.map((t) => t.queryMs)))} / ${ms(Math.max(...ticks.map((t) => t.queryMs)))} | ${ms(median(ticks.map((t) => t.tickMs)))} / ${ms(Math.max(...ticks.map((t) => t.tickMs)))} |`,
      );
    };
    row(
      'steady, every 60 s',
      scale.steady.filter((t) => t.tickSeconds === 60),
    );
    row(
      'steady, every 15 s',
      scale.steady.filter((t) => t.tickSeconds === 15),
    );
    row('the same due batch again, every job still waiting', [scale.requeue]);
    row('cold start (none ever synced), at most 2,500 a tick (the default limit)', scale.coldStart);
    lines.push(
      '',
      '#### pg-boss throughput: `startSyncWorker` processes on a no-op sync',
      '',
      '| worker processes | jobs at once each | polling interval | jobs | wall time | jobs/s | pg-boss loop cap (jobs/s) |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const t of scale.throughput) {
      lines.push(
        `| ${t.workers} | ${t.concurrency} | ${t.pollingIntervalSeconds} s | ${int(t.jobs)} | ${ms(t.wallMs)} | ${int(t.jobsPerSecond)} | ${int(t.loopCapPerSecond)} |`,
      );
    }
  }
  const day = results.find((r): r is SimulatedDayResult => r.scenario === 'simulated-day');
  if (day) {
    const o = day.options;
    const f = day.freshness;
    lines.push(
      '',
      `### A simulated day: ${int(o.connections)} Strava connections, webhooks (${Math.round(o.dropRate * 100)} % dropped) and a repair poll every ${o.pollIntervalMs / 3_600_000} h, app limit ${int(o.limit15)} / 15 min and ${int(o.dailyLimit)} / day`,
      '',
      '| uploads | webhooks delivered / dropped / refused (budget spent) | polls (deferred) | requests day 1 / repair tail (budget) | most in 15 min (limit) | 429s | freshness median | p99 | webhook path median / p99 | repaired median / max | stored = provider | wall time |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
      `| ${int(day.uploads)} | ${int(day.webhooksDelivered)} / ${int(day.webhooksDropped)} / ${int(day.webhooksRefused)} | ${int(day.polls)} (${day.pollsDeferred}) | ${day.requestsPerDay.map(int).join(' / ')} (${int(o.dailyLimit)}) | ${int(day.maxRequestsIn15Min)} (${int(o.limit15)}) | ${day.tooManyRequests} | ${f.all.medianS} s | ${f.all.p99S} s | ${f.webhook.medianS} s / ${f.webhook.p99S} s | ${f.repaired.medianS} s / ${f.repaired.maxS} s | ${day.storedEqualsProvider ? 'yes' : `NO (${day.missing} missing, ${day.extra} extra)`} | ${ms(day.wallMs)} |`,
    );
  }
  return lines;
}
