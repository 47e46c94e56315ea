import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Database, toDatabase } from './database.js';
import { openEmbeddedDatabase } from './embedded-database.js';
import { embeddedPGliteOptions } from './embedded-pglite-options.js';
import { MigrationError, MigrationTargetError } from './errors.js';
import { checkTarget, definitionStatus, migrate, planDown, status } from './runner.js';
import { dropLegacy, verify } from './verify.js';

/** Where `runMigrateCommand` writes and what it reads. */
export interface CommandIO {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  env: Record<string, string | undefined>;
  /** Base folder of the embedded database `./.trainlytics/db` (default `process.cwd()`). */
  cwd?: string;
  /**
   * Where `down` reads its confirmation (default `process.stdin`). It asks only when this is a terminal
   * (`isTTY`); otherwise `down` needs `--yes`.
   */
  stdin?: ConfirmInput;
}

/** The part of a readable stream (`process.stdin`) used to read a confirmation. */
export interface ConfirmInput {
  isTTY?: boolean;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeListener(event: 'data' | 'end', listener: (...args: never[]) => void): unknown;
  pause?(): unknown;
  resume?(): unknown;
}

const USAGE = `Usage: trainlytics migrate <command> [options]

Commands:
  up            apply pending migrations (001 legacy schema, 002 multi-provider, …)
  down          revert the most recently applied migration (or down to --to)
  status        list migrations and whether each is applied
  verify        run the post-migration checks; exits non-zero when one fails
  drop-legacy   drop strava_connections once every row is in provider_connections

Options:
  --database-url <url>  PostgreSQL connection string (default: $DATABASE_URL,
                        else an embedded PGlite database in ./.trainlytics/db)
  --to <version>        target version, exactly as listed by status (001, 002, 002_multi_provider;
                        0 for none)
  --force               down: revert even what would lose data (it is listed first)
  -y, --yes             down: do not ask (required when stdin is not a terminal)
  --json                print JSON (status, verify, up, down)
  -h, --help            show this help
`;

const COMMANDS = new Set(['up', 'down', 'status', 'verify', 'drop-legacy']);

class UsageError extends Error {}

interface ParsedArgs {
  command: string | undefined;
  databaseUrl: string | undefined;
  to: string | undefined;
  json: boolean;
  help: boolean;
  force: boolean;
  yes: boolean;
}

function parseArgs(argv: string[]): ParsedArgs {
  const args = [...argv];
  if (args[0] === 'migrate') args.shift();
  const parsed: ParsedArgs = {
    command: undefined,
    databaseUrl: undefined,
    to: undefined,
    json: false,
    help: false,
    force: false,
    yes: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const next = args[++i];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    if (flag === '--database-url') parsed.databaseUrl = value();
    else if (flag === '--to') parsed.to = value();
    else if (flag === '--json') parsed.json = true;
    else if (flag === '--force') parsed.force = true;
    else if (flag === '-y' || flag === '--yes') parsed.yes = true;
    else if (flag === '-h' || flag === '--help') parsed.help = true;
    else if (flag.startsWith('-')) throw new UsageError(`Unknown option ${flag}`);
    else if (parsed.command === undefined) parsed.command = flag;
    else throw new UsageError(`Unexpected argument "${flag}"`);
  }
  return parsed;
}

async function openDatabase(
  parsed: ParsedArgs,
  io: CommandIO,
): Promise<{ db: Database; where: string; close(): Promise<void> }> {
  const url = parsed.databaseUrl ?? (io.env.DATABASE_URL || undefined);
  if (url) {
    const db = toDatabase(url);
    return { db, where: db.target ?? 'PostgreSQL', close: () => db.close() };
  }
  const dir = path.resolve(io.cwd ?? process.cwd(), '.trainlytics', 'db');
  await mkdir(dir, { recursive: true });
  let PGlite: {
    new (
      dataDir: string,
      options: { startParams: string[] },
    ): { waitReady: Promise<void>; close(): Promise<void> };
    defaultStartParams: string[];
  };
  try {
    ({ PGlite } = (await import('@electric-sql/pglite')) as unknown as { PGlite: typeof PGlite });
  } catch {
    throw new MigrationError(
      'No database given (--database-url or DATABASE_URL) and @electric-sql/pglite is not installed for the embedded database: npm install @electric-sql/pglite',
    );
  }
  const where = `embedded PGlite database ${path.relative(io.cwd ?? process.cwd(), dir) || dir}`;
  const { pglite, close } = await openEmbeddedDatabase({
    dir,
    where,
    create: (d) => new PGlite(d, embeddedPGliteOptions(PGlite.defaultStartParams)),
  });
  return { db: toDatabase(pglite as never), where, close };
}

/**
 * `trainlytics migrate up|down|status|verify|drop-legacy`: runs the subcommand
 * and returns the exit code (0 success, 1 failure, 2 usage error). User errors
 * print one line on stderr, never a stack trace.
 */
export async function runMigrateCommand(argv: string[], io: CommandIO): Promise<number> {
  const out = (line = '') => io.stdout.write(`${line}\n`);
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv);
  } catch (error) {
    io.stderr.write(`trainlytics migrate: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (!parsed.command || !COMMANDS.has(parsed.command)) {
    io.stderr.write(
      `trainlytics migrate: ${parsed.command ? `unknown command "${parsed.command}"` : 'missing command'}\n${USAGE}`,
    );
    return 2;
  }
  if ((parsed.force || parsed.yes) && parsed.command !== 'down') {
    io.stderr.write(`trainlytics migrate ${parsed.command}: --force and --yes only apply to down\n`);
    return 2;
  }
  if (parsed.to !== undefined) {
    try {
      await checkTarget(parsed.to);
    } catch (error) {
      if (!(error instanceof MigrationTargetError)) throw error;
      io.stderr.write(`trainlytics migrate ${parsed.command}: ${error.message}\n`);
      return 2;
    }
  }

  let opened: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    opened = await openDatabase(parsed, io);
    const { db } = opened;
    const logger = parsed.json ? undefined : { info: (message: string) => out(message) };
    switch (parsed.command) {
      case 'up': {
        if (logger) out(`Migrating up (${opened.where})`);
        const result = await migrate(db, { direction: 'up', to: parsed.to, logger });
        if (parsed.json) out(JSON.stringify(result));
        else out(`Current version: ${result.current ?? 'none'}`);
        return 0;
      }
      case 'down': {
        if (logger) out(`Migrating down (${opened.where})`);
        const plan = await planDown(db, { to: parsed.to });
        if (plan.files.length === 0) {
          const result = await migrate(db, { direction: 'down', to: parsed.to, logger });
          if (parsed.json) out(JSON.stringify(result));
          else out(`Current version: ${result.current ?? 'none'}`);
          return 0;
        }
        const lost = plan.losses.map((l) => `${l.file}: ${l.lost.join('; ')}`).join(' | ');
        if (plan.losses.length > 0 && !parsed.force) {
          io.stderr.write(
            `trainlytics migrate down: refusing to revert ${plan.files.join(', ')}: it would lose data (${lost}). ` +
              'Keep what you need first, or pass --force to revert anyway.\n',
          );
          return 1;
        }
        if (!parsed.yes) {
          const stdin = io.stdin ?? process.stdin;
          if (!stdin.isTTY) {
            io.stderr.write(
              `trainlytics migrate down: not reverting ${plan.files.join(', ')} without confirmation: stdin is not a terminal, pass --yes\n`,
            );
            return 2;
          }
          const answer = await ask(
            stdin,
            io.stderr,
            `Revert ${plan.files.join(', ')}${plan.losses.length > 0 ? `, losing ${lost}` : ' (nothing is lost)'}? [y/N] `,
          );
          if (!/^y(es)?$/i.test(answer.trim())) {
            io.stderr.write('trainlytics migrate down: not confirmed, nothing reverted\n');
            return 1;
          }
        }
        const result = await migrate(db, { direction: 'down', to: parsed.to, logger, force: parsed.force });
        if (parsed.json) out(JSON.stringify(result));
        else out(`Current version: ${result.current ?? 'none'}`);
        return 0;
      }
      case 'status': {
        const rows = await status(db);
        if (parsed.json) {
          out(JSON.stringify(rows));
        } else {
          for (const row of rows) {
            const when = row.appliedAt ? row.appliedAt.toISOString() : '';
            out(`${row.state.padEnd(8)}  ${row.file.padEnd(32)}  ${when}`);
          }
          // the repeatable definitions (ADR 0038): `changed` and `pending` are re-applied by the next `up`
          for (const row of await definitionStatus(db)) {
            const when = row.appliedAt ? row.appliedAt.toISOString() : '';
            out(`${row.state.padEnd(8)}  ${`definitions/${row.file}`.padEnd(32)}  ${when}`);
          }
        }
        return rows.some((row) => row.state === 'changed') ? 1 : 0;
      }
      case 'verify': {
        const checks = await verify(db);
        if (parsed.json) out(JSON.stringify(checks));
        else for (const c of checks) out(`${c.ok ? 'pass' : 'FAIL'}  ${c.check.padEnd(28)}  ${c.detail}`);
        return checks.every((c) => c.ok) ? 0 : 1;
      }
      default: {
        const result = await dropLegacy(db, { logger });
        if (parsed.json) out(JSON.stringify(result));
        else out(result.detail);
        return 0;
      }
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`trainlytics migrate ${parsed.command}: ${message.split('\n')[0]}\n`);
    return error instanceof MigrationTargetError ? 2 : 1;
  } finally {
    await opened?.close().catch(() => {});
  }
}

/** Writes `question` and resolves with the next line typed (empty when the input ends first). */
function ask(stdin: ConfirmInput, output: CommandIO['stderr'], question: string): Promise<string> {
  output.write(question);
  return new Promise((resolve) => {
    let buffered = '';
    const finish = (answer: string) => {
      stdin.removeListener('data', onData);
      stdin.removeListener('end', onEnd);
      stdin.pause?.();
      resolve(answer);
    };
    const onData = (chunk: Buffer | string) => {
      buffered += chunk.toString();
      const newline = buffered.indexOf('\n');
      if (newline >= 0) finish(buffered.slice(0, newline));
    };
    const onEnd = () => finish(buffered);
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume?.();
  });
}
