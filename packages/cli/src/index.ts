export {
  ADMIN_TOKEN_MIN_LENGTH,
  type AdminTokenAuthOptions,
  adminTokenAuth,
  SESSION_COOKIE,
  secretsEqual,
} from './app/admin-token-auth';
export {
  type Authenticate,
  type HostAuthOptions,
  type HostPrincipal,
  loopbackDemoAuth,
} from './app/auth';
export { createHostApp, type HostAppOptions } from './app/create-host-app';
export { type HostServer, type HostServerOptions, isLoopbackHost, startHostServer } from './app/host-server';
export { SyncProgressBoard } from './app/sync-progress';
export { type AppUser, ensureUser, listUsers } from './app/users';
export type { CliIO } from './cli-io';
export { describeWait, failedSyncJson, type SyncJson, syncJson } from './commands/sync-command';
export { assertMigrated, embeddedDatabaseDir, type OpenedDatabase, openDatabase } from './database';
export { type DemoOptions, type DemoReport, runDemo } from './demo/run-demo';
export { runMigrateCommand } from './migrate/run-migrate-command';
export { type OpenedTrainlytics, type OpenTrainlyticsOptions, openTrainlytics } from './open-trainlytics';
export { createProgram, run } from './program';
export {
  assertCompleteCredentials,
  assertCredentials,
  assertKnownProvider,
  configuredProviderIds,
  KNOWN_PROVIDER_IDS,
  providersFromEnv,
} from './providers-from-env';
export { runConcurrently } from './run-concurrently';
export { createScheduler, type Scheduler, type SchedulerOptions, type TickReport } from './scheduler';
export { UserError } from './user-error';
export { VERSION } from './version';
export * from './worker';
