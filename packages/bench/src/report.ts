import { formatQueueScale } from './queue-scale-report';
import { formatRttReport } from './rtt-report';
import {
  type BackfillResult,
  describeBenchDatabase,
  type IncrementalResult,
  type ScenarioResult,
} from './scenario-result';
import { formatStreams } from './streams-report';
import { formatWriteRate } from './write-rate-report';

export interface Machine {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
}

const int = (n: number) => n.toLocaleString('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The Markdown tables `npm run bench` prints and BENCHMARKS.md records. */
export function formatReport(results: ScenarioResult[], machine: Machine): string {
  const all = results.filter((r): r is BackfillResult => r.scenario === 'backfill' || r.scenario === 'naive');
  const backfills = all.filter((r) => !r.heapCapMiB);
  const capped = all.filter((r) => r.heapCapMiB);
  const lines: string[] = [
    `Run ${machine.date.slice(0, 16).replace('T', ' ')} UTC — ${machine.cpus} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}`,
    '',
    '### Backfill: one athlete, full sync',
    '',
    '| database | activities | code | wall time | activities/s | provider requests (floor) | SQL statements | peak RSS during the sync (process peak) | Trainlytics speed-up |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of backfills) {
    const floor = Math.ceil(r.activities / 200);
    const pair = backfills.find(
      (o) => o.database === r.database && o.activities === r.activities && o.scenario !== r.scenario,
    );
    const ratio = r.scenario === 'backfill' && pair ? `${(pair.wallMs / r.wallMs).toFixed(1)}× faster` : '';
    lines.push(
      `| ${describeBenchDatabase(r.database)} | ${int(r.activities)} | ${r.scenario === 'backfill' ? 'Trainlytics' : 'naive baseline'} | ${seconds(r.wallMs)} | ${int(r.activitiesPerSecond)} | ${int(r.providerRequests)} (${int(floor)}) | ${int(r.statements)} | ${r.syncRssMiB} MiB (${r.peakRssMiB} MiB) | ${ratio} |`,
    );
  }
  if (backfills.length === 0) lines.splice(1); // a run of other scenarios only (`npm run bench -- rtt`)
  if (capped.length > 0) {
    lines.push(
      '',
      `### Memory: the same Trainlytics backfills with the V8 heap capped at ${capped[0]!.heapCapMiB} MiB (\`--max-old-space-size\`)`,
      '',
      '| database | activities | wall time | activities stored | peak RSS during the sync |',
      '| --- | ---: | ---: | ---: | ---: |',
    );
    for (const r of capped) {
      lines.push(
        `| ${describeBenchDatabase(r.database)} | ${int(r.activities)} | ${seconds(r.wallMs)} | ${int(r.stored)} | ${r.syncRssMiB} MiB |`,
      );
    }
  }
  const inc = results.find((r): r is IncrementalResult => r.scenario === 'incremental');
  if (inc) {
    lines.push(
      '',
      `### Incremental: ${int(inc.connections)} connections × ${inc.newActivitiesPerConnection} new activities, embedded scheduler, app-wide limit ${inc.limit} requests / ${inc.windowMs / 1000} s`,
      '',
      '| provider requests | most in one window (limit) | 429s | activities stored | syncs succeeded | wall time | time the rate limit alone forces | SQL statements | peak RSS |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      `| ${int(inc.providerRequests)} | ${int(inc.maxRequestsInAWindow)} (${int(inc.limit)}) | ${inc.tooManyRequests} | ${int(inc.stored)} | ${int(inc.syncsSucceeded)} | ${seconds(inc.wallMs)} | ${seconds(inc.rateLimitFloorMs)} | ${int(inc.statements)} | ${inc.peakRssMiB} MiB |`,
    );
  }
  const rtt = formatRttReport(results);
  if (rtt) lines.push('', rtt);
  lines.push(...formatWriteRate(results));
  lines.push(...formatQueueScale(results));
  lines.push(...formatStreams(results));
  return lines.join('\n');
}
