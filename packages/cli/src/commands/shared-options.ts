import type { Command } from 'commander';

export interface DatabaseFlag {
  databaseUrl?: string;
}

/** `--database-url`, on every command that opens the database. */
export function withDatabaseOption(command: Command): Command {
  return command.option(
    '--database-url <url>',
    'PostgreSQL connection string (default: $DATABASE_URL, else the embedded PGlite database in ./.trainlytics/db)',
  );
}
