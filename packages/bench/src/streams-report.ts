import { median } from './rtt-report';
import type { ScenarioResult } from './scenario-result';
import type { StreamsResult } from './streams-scenario';

export { median };

/** The nearest-rank percentile (`q` in 0–1). */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('The percentile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const bytes = (n: number) => `${n.toFixed(2)} B`;

/** The "Activity detail (issue 14)" tables (none when the scenario did not run). */
export function formatStreams(results: readonly ScenarioResult[]): string[] {
  const runs = results.filter((r): r is StreamsResult => r.scenario === 'streams');
  return runs.flatMap((r) => {
    const samples = r.activities * r.samplesPerActivity * r.channels;
    const s = r.storage;
    return [
      '',
      `### Activity detail (issue 14): ${int(r.activities)} activities × ${int(r.samplesPerActivity)} s at 1 Hz × ${r.channels} channels (${int(samples)} samples), PostgreSQL — load average ${r.loadAverage.join(', ')}`,
      '',
      '| storage per sample and channel | codec (`samples`) | in PostgreSQL (`pg_column_size`) | whole `activity_streams` relation | Strava JSON | one row per sample (+ primary key) |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      `| bytes (goal < 4 B) | ${bytes(s.encodedBytesPerSample)} | ${bytes(s.storedBytesPerSample)} | ${bytes(s.relationBytesPerSample)} | ${bytes(s.jsonBytesPerSample)} | ${bytes(s.rowPerSampleBytesPerSample)} |`,
      '',
      '| write | wall time | samples/s | store ÷ COPY |',
      '| --- | ---: | ---: | ---: |',
      `| \`store.saveActivityStreams\`, one activity after the other (encoding included: ${(r.write.encodeMs / 1000).toFixed(2)} s of it) | ${(r.write.storeMs / 1000).toFixed(2)} s | ${int(samples / (r.write.storeMs / 1000))} | ${r.write.ratio.toFixed(2)}× |`,
      `| \`COPY … (FORMAT binary)\` via psql, one row per activity and channel, pre-encoded (${(r.write.copyBytes / 2 ** 20).toFixed(1)} MiB; ${(r.write.copyWallMs / 1000).toFixed(2)} s wall less ${(r.write.psqlMs / 1000).toFixed(2)} s of psql start) | ${(r.write.copyMs / 1000).toFixed(2)} s | ${int(samples / (r.write.copyMs / 1000))} | 1× |`,
      '',
      `| read one activity's full detail (\`store.getActivityStreams\`, decode included) | median | p99 | max |`,
      '| --- | ---: | ---: | ---: |',
      `| over ${int(r.activities)} activities | ${r.read.medianMs.toFixed(2)} ms | ${r.read.p99Ms.toFixed(2)} ms | ${r.read.maxMs.toFixed(2)} ms |`,
      '',
      '| provider | requests per activity | how | manual activity |',
      '| --- | ---: | --- | ---: |',
      ...r.requests.map(
        (q) =>
          `| ${q.provider} | ${q.requestsPerActivity === null ? '—' : q.requestsPerActivity.toFixed(2).replace(/\.00$/, '')} | ${q.how} | ${q.manualRequests === undefined ? '' : q.manualRequests.toFixed(2).replace(/\.00$/, '')} |`,
      ),
    ];
  });
}
