import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDedupeBatchBench } from './dedupe-batch-scenario';
import { runDedupeBench } from './dedupe-scenario';
import { formatIncrementalRequests, runIncrementalRequests } from './incremental-requests';
import { formatReport } from './report';
import { RESULT_PREFIX, type ScenarioResult } from './scenario-result';

/**
 * `npm run bench`: every scenario in its own process (peak RSS is per scenario), against the Strava
 * sandbox over real HTTP, the real PostgreSQL (TRAINLYTICS_TEST_PG_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres; each run creates and drops its own database) and PGlite.
 * Prints the tables and writes them, with the raw figures, to packages/bench/results/latest.{md,json}.
 *
 * `BENCH_QUICK=1` runs small sizes (a smoke run). Arguments pick the scenarios to run by the start of their
 * arguments (default: all), e.g. `npm run bench -- rtt` for the RTT sweep alone, `-- 'rtt 10000 5'` for
 * one of its points; `BENCH_RTT_REPEATS=n` sets the sweep's paired runs per point.
 * `BENCH_ONLY=a,b` runs only the scenarios named (by their first argument).
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
/** `BENCH_ONLY=queue-scale,simulated-day`: run only these scenarios (by their first argument). */
const onlyKinds = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const sizes = quick ? [1_000, 5_000] : [10_000, 100_000];
const incremental = quick
  ? { connections: 50, newActivities: 50, limit: 100, windowMs: 3_000, concurrency: 8 }
  : { connections: 1_000, newActivities: 50, limit: 100, windowMs: 15_000, concurrency: 8 };

/** The RTT sweep (`rtt-scenario.ts`): paired runs per size and added round-trip time, order alternating. */
const rttRepeats = Number(process.env.BENCH_RTT_REPEATS) || undefined;
const rttSweep = quick
  ? [{ activities: 1_000, rttMs: [0, 5], repeats: rttRepeats ?? 1 }]
  : [
      { activities: 10_000, rttMs: [0, 1, 5, 20], repeats: rttRepeats ?? 3 },
      { activities: 100_000, rttMs: [0], repeats: 1 },
    ];
const only = process.argv.slice(2);

/** The V8 old-space cap of the bounded-memory runs: a backfill that kept its history would not fit. */
const HEAP_CAP_MIB = 40;

function runScenario(args: string[], heapCapMiB?: number): Promise<ScenarioResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...(heapCapMiB ? [`--max-old-space-size=${heapCapMiB}`] : []),
        '--expose-gc',
        '--import',
        'tsx',
        '--conditions=@trainlytics/source',
        path.join(here, 'scenario-entry.ts'),
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], cwd: path.resolve(here, '..') },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || !line) reject(new Error(`Scenario ${args.join(' ')} failed (exit ${code})`));
      else {
        const result = JSON.parse(line.slice(RESULT_PREFIX.length)) as ScenarioResult;
        resolve(
          heapCapMiB && (result.scenario === 'backfill' || result.scenario === 'naive')
            ? { ...result, heapCapMiB }
            : result,
        );
      }
    });
  });
}

async function main(): Promise<void> {
  const results: ScenarioResult[] = [];
  const plan: Array<{ args: string[]; heapCapMiB?: number }> = [];
  for (const database of ['postgres', 'pglite']) {
    for (const n of sizes) {
      plan.push({ args: ['backfill', String(n), database] });
      plan.push({ args: ['naive', String(n), database] });
    }
  }
  // the embedded database before ADR 0026 (stock PGlite in memory), beside the embedded default above
  plan.push({ args: ['backfill', String(sizes.at(-1)), 'pglite-stock'] });
  // the same backfills with the heap capped: memory that grew with the history would fail here
  for (const n of sizes) plan.push({ args: ['backfill', String(n), 'postgres'], heapCapMiB: HEAP_CAP_MIB });
  // the backfill against its own store's write rate (write-rate-scenario.ts)
  plan.push({ args: ['write-rate', String(sizes.at(-1))] });
  plan.push({
    args: [
      'incremental',
      String(incremental.connections),
      String(incremental.newActivities),
      String(incremental.limit),
      String(incremental.windowMs),
      String(incremental.concurrency),
    ],
  });
  for (const { activities, rttMs, repeats } of rttSweep) {
    for (const rtt of rttMs) {
      for (let i = 0; i < repeats; i++) {
        plan.push({ args: ['rtt', String(activities), String(rtt), i % 2 === 0 ? 'naive' : 'backfill'] });
      }
    }
  }
  // issue 17 goal 4: the job queue at 100,000 connections, and a simulated day of webhooks and repair polls
  plan.push({ args: ['queue-scale', String(quick ? 5_000 : 100_000), ...(quick ? ['quick'] : [])] });
  plan.push({ args: ['simulated-day', String(quick ? 10 : 150)] });
  // issue 14: activity detail — storage, write rate against COPY, read latency, requests per activity
  plan.push({ args: ['streams', ...(quick ? ['50', '600'] : ['1000', '3600'])] });
  for (const { args, heapCapMiB } of plan.filter(
    (p) => only.length === 0 || only.some((o) => `${p.args.join(' ')} `.startsWith(`${o} `)),
  )) {
    if (onlyKinds && !onlyKinds.includes(args[0]!)) continue;
    process.stderr.write(
      `bench: ${args.join(' ')}${heapCapMiB ? ` (heap capped at ${heapCapMiB} MiB)` : ''}…\n`,
    );
    results.push(await runScenario(args, heapCapMiB));
  }
  const machine = {
    date: new Date().toISOString(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  const report = `${formatReport(results, machine)}\n\n${formatIncrementalRequests(await runIncrementalRequests())}${await runDedupeBench(quick)}\n${await runDedupeBatchBench(quick)}`;
  process.stdout.write(`${report}\n`);
  const dir = path.resolve(here, '../results');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'latest.md'), `${report}\n`);
  await writeFile(path.join(dir, 'latest.json'), `${JSON.stringify({ machine, results }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
