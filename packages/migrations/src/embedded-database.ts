import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { MigrationDatabaseInUseError, MigrationError } from './errors.js';

/** Who holds the embedded database: written to `<dir>.lock` (`.trainlytics/db.lock`) beside the data folder. */
export interface EmbeddedDatabaseHolder {
  pid: number;
  host: string;
  /** `trainlytics demo --serve`, … */
  command: string;
  /** ISO instant the lock was taken. */
  since: string;
}

interface PGliteInstance {
  waitReady: Promise<void>;
  close(): Promise<void>;
}

/** The name of this process for the lock: the subcommand and its flag names (never option values). */
export function describeThisCommand(argv: string[] = process.argv.slice(2)): string {
  const [subcommand, ...rest] = argv;
  const flags = rest.filter((a) => a.startsWith('-')).map((a) => a.split('=')[0]);
  return ['trainlytics', subcommand, ...flags].filter(Boolean).join(' ');
}

async function readHolder(file: string): Promise<EmbeddedDatabaseHolder | null> {
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as Partial<EmbeddedDatabaseHolder>;
    return typeof value.pid === 'number' && typeof value.host === 'string'
      ? {
          pid: value.pid,
          host: value.host,
          command: String(value.command ?? '?'),
          since: String(value.since ?? '?'),
        }
      : null;
  } catch {
    return null;
  }
}

/** A holder on another host cannot be checked: it counts as alive. `EPERM` means the pid exists. */
function isAlive(holder: EmbeddedDatabaseHolder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the embedded database's lock file atomically (a complete file hard-linked into place, so nobody
 * reads a half-written one). A lock whose process is gone (crash, SIGKILL) or that cannot be read is stale
 * and taken over; a live holder is a `MigrationDatabaseInUseError` naming it.
 */
export async function lockEmbeddedDatabase(
  dir: string,
  options: { command?: string; where?: string } = {},
): Promise<{ holder: EmbeddedDatabaseHolder; release(): Promise<void> }> {
  const file = `${dir}.lock`;
  const holder: EmbeddedDatabaseHolder = {
    pid: process.pid,
    host: hostname(),
    command: options.command ?? describeThisCommand(),
    since: new Date().toISOString(),
  };
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomUUID()}`;
  await writeFile(temp, `${JSON.stringify(holder)}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(temp, file);
        const release = async () => {
          const current = await readHolder(file);
          if (current?.pid === holder.pid && current.since === holder.since) await rm(file, { force: true });
        };
        return { holder, release };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const current = await readHolder(file);
      if (current && isAlive(current)) {
        throw new MigrationDatabaseInUseError(
          `The ${options.where ?? `embedded PGlite database ${dir}`} is in use by \`${current.command}\` (pid ${current.pid} on ${current.host}, since ${current.since}): stop that process first (PGlite serves one process; a second one corrupts it), or use PostgreSQL (DATABASE_URL) to share a database`,
          current,
        );
      }
      await rm(file, { force: true }); // stale: its process is gone
    }
    throw new MigrationError(`Could not lock ${file}: another process keeps taking it; try again`);
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * Opens the embedded PGlite database in `dir` under its lock (see `lockEmbeddedDatabase`), for the CLI's
 * commands and `migrate`. A database PGlite cannot open (e.g. `Aborted()` after two processes wrote it)
 * is a `MigrationError` saying how to recover. `close()` closes it and releases the lock.
 */
export async function openEmbeddedDatabase<T extends PGliteInstance>(options: {
  dir: string;
  /** For messages: `embedded PGlite database .trainlytics/db`. */
  where: string;
  create(dir: string): T;
  command?: string;
}): Promise<{ pglite: T; close(): Promise<void> }> {
  await mkdir(options.dir, { recursive: true });
  const lock = await lockEmbeddedDatabase(options.dir, {
    where: options.where,
    ...(options.command ? { command: options.command } : {}),
  });
  let pglite: T;
  try {
    pglite = options.create(options.dir);
    await pglite.waitReady;
  } catch (error) {
    await lock.release();
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    const broken = `${options.dir}.broken-${new Date().toISOString().slice(0, 10)}`;
    throw new MigrationError(
      `Cannot open the ${options.where}: ${reason}. It is probably damaged (for example by two processes at once): move it aside (mv ${options.dir} ${broken}) and run \`npx @trainlytics/cli migrate up\` to start a fresh one (the providers' data comes back with a full sync; users must connect again)`,
      { cause: error },
    );
  }
  return {
    pglite,
    async close() {
      try {
        await pglite.close();
      } finally {
        await lock.release();
      }
    },
  };
}
