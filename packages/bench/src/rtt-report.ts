import type { RttResult, ScenarioResult } from './scenario-result';

const int = (n: number) => n.toLocaleString('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('The median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The RTT sweep's table: per size and round-trip time, the medians of the paired runs' wall times and the
 * median of their ratios (each ratio from one pair, naive / Trainlytics, measured back to back), with every
 * pair's ratio listed. Empty when the run had no RTT sweep.
 */
export function formatRttReport(results: readonly ScenarioResult[]): string {
  const pairs = results.filter((r): r is RttResult => r.scenario === 'rtt');
  if (pairs.length === 0) return '';
  const keys = [...new Set(pairs.map((p) => `${p.activities}/${p.rttMs}`))];
  const lines = [
    '### Over a network: the naive baseline and Trainlytics paired, PostgreSQL behind a latency proxy',
    '',
    '| activities | added RTT | paired runs | naive baseline (median) | Trainlytics (median) | speed-up (median of the paired ratios) | each pair: naive / Trainlytics | SQL statements naive / Trainlytics | provider requests naive / Trainlytics |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
  ];
  for (const key of keys) {
    const group = pairs.filter((p) => `${p.activities}/${p.rttMs}` === key);
    const first = group[0]!;
    const ratios = group.map((p) => p.naive.wallMs / p.trainlytics.wallMs);
    lines.push(
      `| ${int(first.activities)} | ${first.rttMs} ms | ${group.length} | ${seconds(median(group.map((p) => p.naive.wallMs)))} | ${seconds(median(group.map((p) => p.trainlytics.wallMs)))} | **${median(ratios).toFixed(1)}×** | ${ratios.map((r) => `${r.toFixed(1)}×`).join(', ')} | ${int(first.naive.statements)} / ${int(first.trainlytics.statements)} | ${int(first.naive.providerRequests)} / ${int(first.trainlytics.providerRequests)} |`,
    );
  }
  return lines.join('\n');
}
