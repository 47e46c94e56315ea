import {
  checkTarget,
  definitionStatus,
  dropLegacy,
  MigrationTargetError,
  migrate,
  type OpenedDatabase,
  openDatabase,
  planDown,
  status,
  verify,
} from '@trainlytics/migrations';
import type { CliIO } from '../cli-io';
import { askConfirmation } from './ask-confirmation';
import { formatMigrationStatus } from './format-migration-status';

/** The subcommands of `trainlytics migrate`. */
export type MigrateSubcommand = 'up' | 'down' | 'status' | 'verify' | 'drop-legacy';

/** The flags of `trainlytics migrate`, as commander parsed them. */
export interface MigrateFlags {
  databaseUrl?: string;
  to?: string;
  force?: boolean;
  yes?: boolean;
  json?: boolean;
}

/**
 * Runs one `trainlytics migrate` subcommand and returns its exit code: 0 success, 1 failure (a FAIL check, a
 * changed file, a refusal, an unreachable database), 2 a usage error (`--to` not a known version,
 * `--force`/`--yes` outside `down`, `down` unconfirmed off a terminal). Every error is one line on stderr,
 * `trainlytics migrate <command>: <reason>`, never a stack trace.
 */
export async function runMigrate(
  command: MigrateSubcommand,
  flags: MigrateFlags,
  io: CliIO,
): Promise<number> {
  const out = (line = '') => io.stdout.write(`${line}\n`);
  const fail = (message: string, code: number) => {
    io.stderr.write(`trainlytics migrate ${command}: ${message}\n`);
    return code;
  };
  if ((flags.force || flags.yes) && command !== 'down')
    return fail('--force and --yes only apply to down', 2);
  if (flags.to !== undefined) {
    try {
      await checkTarget(flags.to);
    } catch (error) {
      if (!MigrationTargetError.isInstance(error)) throw error;
      return fail(error.message, 2);
    }
  }

  let opened: OpenedDatabase | undefined;
  try {
    opened = await openDatabase({ databaseUrl: flags.databaseUrl, env: io.env, cwd: io.cwd });
    const { db } = opened;
    const where = opened.target;
    const logger = flags.json ? undefined : { info: (message: string) => out(message) };
    const printResult = (result: { current: string | null }) => {
      if (flags.json) out(JSON.stringify(result));
      else out(`Current version: ${result.current ?? 'none'}`);
    };
    switch (command) {
      case 'up': {
        if (logger) out(`Migrating up (${where})`);
        printResult(await migrate(db, { direction: 'up', to: flags.to, logger }));
        return 0;
      }
      case 'down': {
        if (logger) out(`Migrating down (${where})`);
        const plan = await planDown(db, { to: flags.to });
        if (plan.files.length === 0) {
          printResult(await migrate(db, { direction: 'down', to: flags.to, logger }));
          return 0;
        }
        const files = plan.files.join(', ');
        const lost = plan.losses.map((l) => `${l.file}: ${l.lost.join('; ')}`).join(' | ');
        if (plan.losses.length > 0 && !flags.force) {
          return fail(
            `refusing to revert ${files}: it would lose data (${lost}). Keep what you need first, or pass --force to revert anyway.`,
            1,
          );
        }
        if (!flags.yes) {
          const stdin = io.stdin ?? process.stdin;
          if (!stdin.isTTY) {
            return fail(
              `not reverting ${files} without confirmation: stdin is not a terminal, pass --yes`,
              2,
            );
          }
          const question = `Revert ${files}${plan.losses.length > 0 ? `, losing ${lost}` : ' (nothing is lost)'}? [y/N] `;
          const answer = await askConfirmation(stdin, io.stderr, question);
          if (!/^y(es)?$/i.test(answer.trim())) return fail('not confirmed, nothing reverted', 1);
        }
        printResult(await migrate(db, { direction: 'down', to: flags.to, logger, force: flags.force }));
        return 0;
      }
      case 'status': {
        const rows = await status(db);
        if (flags.json) out(JSON.stringify(rows));
        else for (const line of formatMigrationStatus(rows, await definitionStatus(db))) out(line);
        return rows.some((row) => row.state === 'changed') ? 1 : 0;
      }
      case 'verify': {
        const checks = await verify(db);
        if (flags.json) out(JSON.stringify(checks));
        else for (const c of checks) out(`${c.ok ? 'pass' : 'FAIL'}  ${c.check.padEnd(28)}  ${c.detail}`);
        return checks.every((c) => c.ok) ? 0 : 1;
      }
      default: {
        // drop-legacy
        const result = await dropLegacy(db, { logger });
        if (flags.json) out(JSON.stringify(result));
        else out(result.detail);
        return 0;
      }
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return fail(message.split('\n')[0] ?? message, MigrationTargetError.isInstance(error) ? 2 : 1);
  } finally {
    await opened?.close().catch(() => {});
  }
}
