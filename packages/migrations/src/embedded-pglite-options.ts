/**
 * The server settings of the embedded PGlite database (ADR 0026), for every process that opens it: the CLI's
 * commands (`migrate`, `sync`, `serve`, `demo`, `--memory` included) and the benchmark.
 *
 * PGlite is PostgreSQL compiled to WebAssembly, running in this process: its shared memory lives in the WASM
 * heap, which never shrinks, and an in-memory database keeps its WAL in JavaScript memory. Stock PGlite keeps
 * PostgreSQL's server defaults (`shared_buffers = 128MB`, which grows the heap past its 128 MiB start, and
 * `max_wal_size = 1GB`, up to a gigabyte of WAL before a checkpoint recycles it). One process with one
 * session needs neither: a small buffer pool reads the rest through the operating system's cache (the files
 * of an on-disk database) and a small WAL budget checkpoints every few tens of MiB.
 *
 * Only memory and checkpoint settings: nothing here changes what a query returns (the store suite runs the
 * same cases on PostgreSQL and on PGlite opened this way).
 */
export const EMBEDDED_PGLITE_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  shared_buffers: '16MB',
  max_wal_size: '64MB',
  min_wal_size: '32MB',
});

/**
 * The `PGlite` constructor options that apply {@link EMBEDDED_PGLITE_SETTINGS}: PGlite's own start parameters
 * (pass `PGlite.defaultStartParams`, so this package needs no PGlite import) followed by one `-c name=value`
 * each. Usage: `new PGlite(dir, embeddedPGliteOptions(PGlite.defaultStartParams))`.
 */
export function embeddedPGliteOptions(defaultStartParams: readonly string[]): { startParams: string[] } {
  const settings = Object.entries(EMBEDDED_PGLITE_SETTINGS).flatMap(([name, value]) => [
    '-c',
    `${name}=${value}`,
  ]);
  return { startParams: [...defaultStartParams, ...settings] };
}
