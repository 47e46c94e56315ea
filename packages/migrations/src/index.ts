export { describeConnectionFailure } from './connection-failure.js';
export {
  type Database,
  type DatabaseInput,
  type PGliteLike,
  type PgClientLike,
  type PgPoolLike,
  type QueryResult,
  toDatabase,
} from './database.js';
export {
  type DatabaseInputOptions,
  type DatabaseLocation,
  describeConnectionString,
  describePostgresUrl,
  embeddedDatabaseDir,
  parseDatabaseInput,
  parsePostgresUrl,
  redactDatabaseUrl,
} from './database-input.js';
export { DEFINITIONS_TABLE, type DefinitionStatus, type DefinitionStep } from './definitions.js';
export {
  describeThisCommand,
  type EmbeddedDatabaseHolder,
  lockEmbeddedDatabase,
  openEmbeddedDatabase,
} from './embedded-database.js';
export { EMBEDDED_PGLITE_SETTINGS, embeddedPGliteOptions } from './embedded-pglite-options.js';
export {
  DatabaseInputError,
  type DownLoss,
  LegacyDropRefusedError,
  LegacySchemaMissingError,
  MigrationChecksumError,
  MigrationConnectionError,
  MigrationDatabaseInUseError,
  MigrationDownRefusedError,
  MigrationError,
  MigrationFailedError,
  MigrationTargetError,
} from './errors.js';
export {
  type DefinitionFile,
  definitionsDir,
  definitionsSql,
  listDefinitions,
  listMigrations,
  type MigrationFile,
  migrationsDir,
  sha256,
  unwrapTransaction,
} from './files.js';
export { type OpenDatabaseOptions, type OpenedDatabase, openDatabase } from './open-database.js';
export {
  checkTarget,
  type DownPlan,
  definitionStatus,
  MIGRATION_LOCK_KEY,
  type MigrateOptions,
  type MigrateResult,
  type MigrationLogger,
  type MigrationStatus,
  type MigrationStep,
  migrate,
  planDown,
  status,
} from './runner.js';
export { type DropLegacyResult, dropLegacy, type VerifyCheck, verify } from './verify.js';
