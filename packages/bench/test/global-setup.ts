import { prepareTestDatabases } from '../../core/src/testing/databases';

/**
 * Builds the migrated test databases (a PostgreSQL template, a PGlite image) once per run, before any file.
 * Imported from core's source, as the tests are: a stale `dist` must not decide what the tests get.
 */
export default async function setup(): Promise<void> {
  await prepareTestDatabases();
}
