import { prepareTestDatabases } from '../src/testing/databases';

/** Builds the migrated test databases (a PostgreSQL template, a PGlite image) once per run, before any file. */
export default async function setup(): Promise<void> {
  await prepareTestDatabases();
}
