import type { ScenarioResult } from './scenario-result';
import type { WriteRateResult } from './write-rate-scenario';

/** The lines of the "backfill against the store's own write rate" table (none when it did not run). */
export function formatWriteRate(results: ScenarioResult[]): string[] {
  const runs = results.filter((r): r is WriteRateResult => r.scenario === 'write-rate');
  if (runs.length === 0) return [];
  return [
    '',
    "### Backfill against the store's own write rate (PostgreSQL, one run: its page writes replayed before and after the measured backfill)",
    '',
    '| activities | pages | end-to-end sync | replay of its page writes (mean; before / after) | ratio (goal ≤ 1.5) |',
    '| ---: | ---: | ---: | ---: | ---: |',
    ...runs.map(
      (r) =>
        `| ${r.activities.toLocaleString('en-US')} | ${r.pages} | ${(r.endToEndMs / 1000).toFixed(1)} s (${Math.round(r.activities / (r.endToEndMs / 1000)).toLocaleString('en-US')}/s) | ${(r.replayMs / 1000).toFixed(1)} s (${Math.round(r.activities / (r.replayMs / 1000)).toLocaleString('en-US')}/s; ${r.replaysMs.map((ms) => (ms / 1000).toFixed(1)).join(' s / ')} s) | ${r.ratio.toFixed(2)}× |`,
    ),
  ];
}
