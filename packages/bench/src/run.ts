import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDedupeBench } from './dedupe-scenario';
import { formatReport } from './report';
import { RESULT_PREFIX, type ScenarioResult } from './scenario-result';

/**
 * `npm run bench`: every scenario in its own process (peak RSS is per scenario), against the Strava
 * sandbox over real HTTP, the real PostgreSQL (TRAINLYTICS_TEST_PG_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres; each run creates and drops its own database) and PGlite.
 * Prints the tables and writes them, with the raw figures, to packages/bench/results/latest.{md,json}.
 *
 * `BENCH_QUICK=1` runs small sizes (a smoke run).
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const sizes = quick ? [1_000, 5_000] : [10_000, 100_000];
const incremental = quick
  ? { connections: 50, newActivities: 50, limit: 100, windowMs: 3_000, concurrency: 8 }
  : { connections: 1_000, newActivities: 50, limit: 100, windowMs: 15_000, concurrency: 8 };

/** The V8 old-space cap of the bounded-memory runs: a backfill that kept its history would not fit. */
const HEAP_CAP_MIB = 40;

function runScenario(args: string[], heapCapMiB?: number): Promise<ScenarioResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...(heapCapMiB ? [`--max-old-space-size=${heapCapMiB}`] : []),
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
        resolve(heapCapMiB && result.scenario !== 'incremental' ? { ...result, heapCapMiB } : result);
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
  // the same backfills with the heap capped: memory that grew with the history would fail here
  for (const n of sizes) plan.push({ args: ['backfill', String(n), 'postgres'], heapCapMiB: HEAP_CAP_MIB });
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
  for (const { args, heapCapMiB } of plan) {
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
  const report = formatReport(results, machine) + (await runDedupeBench(quick));
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
