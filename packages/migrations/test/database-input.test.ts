import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DatabaseInputError,
  embeddedDatabaseDir,
  MigrationConnectionError,
  parseDatabaseInput,
  toDatabase,
} from '../src/index.js';

// The one parser of a database input (`--database-url`, `DATABASE_URL`, else `./.trainlytics/db`), ADR 0042:
// a postgres URL gives PostgreSQL, nothing gives the embedded database, anything else a typed error.

const cwd = path.resolve('/srv/app');
const SECRET = 'Pw_s3cret_Z';

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
const host = fc.oneof(
  fc.ipV4(),
  fc.domain().filter((d) => !d.includes(SECRET)),
  fc.constant('localhost'),
);
const postgresUrl = fc.record({
  scheme: fc.constantFrom('postgres', 'postgresql', 'POSTGRES', 'PostgreSQL'),
  user: fc.option(name, { nil: undefined }),
  password: fc.boolean(),
  host,
  port: fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }),
  database: fc.option(name, { nil: undefined }),
});

/** A file path or a `pglite:` form: not a way to choose the database (no URL means the embedded one). */
const pathOrPglite = fc.oneof(
  fc.stringMatching(/^(\/|\.\/|\.\.\/|~\/)?[a-zA-Z0-9_.-]{1,12}(\/[a-zA-Z0-9_.-]{1,12}){0,3}$/),
  fc.stringMatching(/^[A-Z]:\\[a-zA-Z0-9_\\.-]{1,20}$/),
  fc
    .tuple(
      fc.constantFrom('pglite:', 'pglite://', 'PGLITE:', 'file:', 'file://'),
      fc.string({ maxLength: 20 }),
    )
    .map(([prefix, rest]) => prefix + rest),
  fc.constantFrom('pglite:memory', 'pglite:./.trainlytics/db', '.trainlytics/db', 'memory://'),
);

/** Anything that does not start with postgres:// or postgresql:// (any case). */
const garbage = fc
  .oneof(
    fc.string({ maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('postgres:/x', 'postgres:x', 'postgres//x', ' postgres://x', 'mysql://root@db/app'),
  )
  .filter((s) => s !== '' && !/^postgres(ql)?:\/\//i.test(s));

function expectInputError(parse: () => unknown, input: string): void {
  let thrown: unknown;
  try {
    parse();
  } catch (error) {
    thrown = error;
  }
  expect(DatabaseInputError.isInstance(thrown)).toBe(true);
  expect(MigrationConnectionError.isInstance(thrown)).toBe(true);
  const error = thrown as DatabaseInputError;
  expect(error.name).toBe('DatabaseInputError');
  expect(error.message).toMatch(
    /^Invalid database URL ".*": expected postgres:\/\/user:password@host:port\/database$/s,
  );
  expect(error.message.split('\n')).toHaveLength(1);
  expect(error.message).toContain(JSON.stringify(error.input));
  if (!input.includes(SECRET)) return;
  // a password before the host's @ is never repeated
  if (/^([a-z][a-z0-9+.-]*:\/\/)?[^@/]*@/i.test(input)) expect(error.message).not.toContain(SECRET);
}

describe('parseDatabaseInput', () => {
  it('a postgres:// or postgresql:// URL is PostgreSQL, described without credentials', () => {
    fc.assert(
      fc.property(postgresUrl, fc.boolean(), (u, viaEnv) => {
        const credentials = u.user ? `${u.user}${u.password ? `:${SECRET}` : ''}@` : '';
        const url = `${u.scheme}://${credentials}${u.host}${u.port ? `:${u.port}` : ''}${u.database ? `/${u.database}` : ''}`;
        const location = parseDatabaseInput(
          viaEnv ? { env: { DATABASE_URL: url }, cwd } : { databaseUrl: url, env: {}, cwd },
        );
        const hostname = new URL(url).hostname;
        expect(location).toEqual({
          kind: 'postgres',
          url,
          target: `${hostname}:${u.port ?? 5432}`,
          description: `PostgreSQL at ${hostname}:${u.port ?? 5432}${u.database ? `/${u.database}` : ''}`,
        });
        expect(JSON.stringify(location).replace(url, '')).not.toContain(SECRET);
      }),
    );
  });

  it('--database-url wins over DATABASE_URL; an empty value counts as not given', () => {
    fc.assert(
      fc.property(name, name, fc.constantFrom(undefined, ''), (a, b, empty) => {
        const flag = `postgres://h/${a}`;
        const env = `postgres://h/${b}`;
        expect(parseDatabaseInput({ databaseUrl: flag, env: { DATABASE_URL: env }, cwd })).toMatchObject({
          url: flag,
        });
        expect(parseDatabaseInput({ databaseUrl: empty, env: { DATABASE_URL: env }, cwd })).toMatchObject({
          url: env,
        });
      }),
    );
  });

  it('no URL at all is the embedded database in <cwd>/.trainlytics/db', () => {
    const folder = fc
      .stringMatching(/^(\/[a-zA-Z0-9_. -]{1,10}){1,4}$/)
      .filter((d) => !/\/\.\.?(\/|$)/.test(d));
    fc.assert(
      fc.property(
        folder,
        fc.constantFrom(undefined, ''),
        fc.constantFrom(undefined, ''),
        (dir, flag, env) => {
          const location = parseDatabaseInput({ databaseUrl: flag, env: { DATABASE_URL: env }, cwd: dir });
          expect(location).toEqual({
            kind: 'pglite',
            dir: path.join(path.resolve(dir), '.trainlytics', 'db'),
            description: `embedded PGlite database ${path.join('.trainlytics', 'db')}`,
          });
          expect(embeddedDatabaseDir(dir)).toBe(location.kind === 'pglite' ? location.dir : '');
        },
      ),
    );
  });

  it('a file path or a pglite: form is a typed error that names the expected URL, never a raw throw', () => {
    fc.assert(
      fc.property(pathOrPglite, fc.boolean(), (input, viaEnv) => {
        const options = viaEnv ? { env: { DATABASE_URL: input }, cwd } : { databaseUrl: input, env: {}, cwd };
        expectInputError(() => parseDatabaseInput(options), input);
      }),
    );
  });

  it('garbage is the same typed error, in one line, without the password', () => {
    const withSecret = fc
      .tuple(fc.constantFrom('mysql://', 'http://', 'redis://', ''), name, host)
      .map(([scheme, user, h]) => `${scheme}${user}:${SECRET}@${h}/app`);
    fc.assert(
      fc.property(fc.oneof(garbage, withSecret), (input) => {
        expectInputError(() => parseDatabaseInput({ databaseUrl: input, env: {}, cwd }), input);
      }),
    );
  });

  it('toDatabase(string) never throws for a bad string: its first query rejects with the same error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(garbage, pathOrPglite), async (input) => {
        const db = toDatabase(input);
        const error = await db.query('select 1').then(
          () => null,
          (e: unknown) => e,
        );
        expect(DatabaseInputError.isInstance(error)).toBe(true);
        await db.close();
      }),
      { numRuns: 50 },
    );
  });
});
