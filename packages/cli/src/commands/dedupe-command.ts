import type { DedupeBatchResult } from '@trainlytics/core';
import type { Command } from 'commander';
import { type CliIO, writeLine } from '../cli-io';
import { parseId } from '../format';
import { openTrainlytics } from '../open-trainlytics';
import { UserError } from '../user-error';
import { type DatabaseFlag, withDatabaseOption } from './shared-options';

interface DedupeFlags extends DatabaseFlag {
  all?: boolean;
  user?: string;
  json?: boolean;
}

/** Users re-matched per store call: one set-based statement each, bounded memory. */
const BATCH_USERS = 500;

/**
 * `trainlytics dedupe (--all | --user ID) [--json]`: re-matches stored activities so that the same workout
 * from several providers is one row of `canonical_activities` (migration 014,
 * docs/decisions/0024-cross-provider-dedupe.md). Page writes match as they go; run this once after migrating
 * an existing database, and after changing `trainlytics_dedupe_policy`. People's link / unlink decisions
 * are kept.
 */
export function registerDedupeCommand(program: Command, io: CliIO): void {
  withDatabaseOption(
    program
      .command('dedupe')
      .description('group the same workout stored from several providers (never deletes an activity)')
      .option('--all', 'every user, in batches')
      .option('--user <id>', 'only this user')
      .option('--json', 'print one JSON object'),
  ).action(async (flags: DedupeFlags) => {
    const userId = flags.user === undefined ? undefined : parseId(flags.user, '--user');
    if ((userId === undefined) === !flags.all) {
      throw new UserError('dedupe needs exactly one of --all (every user) or --user <id>', 2);
    }
    const opened = await openTrainlytics({ ...flags, env: io.env, cwd: io.cwd, providers: [] });
    try {
      const store = opened.trainlytics.store;
      if (!store.dedupe) {
        throw new UserError(`the ${store.kind} store cannot match activities (it predates migration 014)`);
      }
      const total: Omit<DedupeBatchResult, 'lastUserId'> = {
        users: 0,
        activities: 0,
        groups: 0,
        grouped: 0,
        matches: 0,
      };
      const add = (batch: DedupeBatchResult) => {
        total.users += batch.users;
        total.activities += batch.activities;
        total.groups += batch.groups;
        total.grouped += batch.grouped;
        total.matches += batch.matches;
      };
      if (userId !== undefined) add(await store.dedupe({ userId }));
      else {
        let afterUserId: number | undefined;
        for (;;) {
          const batch = await store.dedupe({ limit: BATCH_USERS, ...(afterUserId ? { afterUserId } : {}) });
          if (batch.users === 0 || batch.lastUserId === null) break;
          add(batch);
          afterUserId = batch.lastUserId;
        }
      }
      if (flags.json) writeLine(io.stdout, JSON.stringify(total));
      else {
        writeLine(
          io.stdout,
          `Matched ${total.activities} activit${total.activities === 1 ? 'y' : 'ies'} of ${total.users} user(s): ${total.groups} workout(s) stored by more than one provider (${total.grouped} copies, ${total.matches} match(es) with their evidence in activity_matches).`,
        );
      }
    } finally {
      await opened.close();
    }
  });
}
