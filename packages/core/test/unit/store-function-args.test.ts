import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { activityArgs } from '../../src/postgres/map-rows';
import { CONNECTION_PATCH_KEYS, STORE_FUNCTION_ARG_KEYS } from '../../src/postgres/store-function-args';
import { STORE_FUNCTIONS } from '../../src/postgres/store-functions';

// The argument shape of each store function is declared next to its caller (store-function-args.ts) and read by
// its body in @trainlytics/migrations' sql/definitions/ (ADR 0038). Both sides are compared here, key by key, so a
// key renamed in the SQL or in the type fails this test.

const definitionsDir = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@trainlytics/migrations/package.json')),
  'sql',
  'definitions',
);

/** Every definition file's text, by name. */
const definitions = readdirSync(definitionsDir)
  .filter((file) => file.endsWith('.sql'))
  .sort()
  .map((file) => ({ file, sql: readFileSync(path.join(definitionsDir, file), 'utf8') }));

/** Where `create or replace function <name>(` is written: the file and the offset, once per occurrence. */
function definitionsOf(name: string): { file: string; sql: string; at: number }[] {
  const start = new RegExp(`\\bcreate or replace function ${name}\\(`, 'gi');
  return definitions.flatMap(({ file, sql }) =>
    [...sql.matchAll(start)].map((m) => ({ file, sql, at: m.index })),
  );
}

/** The text of `create or replace function <name>(args jsonb …) … $$;`, in the one file that defines it. */
function body(name: string): { file: string; text: string } {
  const found = definitionsOf(name);
  if (found.length !== 1) {
    throw new Error(
      `${name} is defined ${found.length} times in sql/definitions: ${found.map((d) => d.file)}`,
    );
  }
  const { file, sql, at } = found[0]!;
  const match = new RegExp(
    `create or replace function ${name}\\(args jsonb[^)]*\\)[\\s\\S]*?\\n\\$\\$;`,
    'iy',
  );
  match.lastIndex = at;
  const text = match.exec(sql)?.[0];
  if (!text) throw new Error(`${file} defines no ${name}(args jsonb)`);
  return { file, text };
}

/**
 * The top-level keys the body reads from the jsonb `variable` (default `args`): `args ->> 'k'`, `args -> 'k'`,
 * `args ? 'k'`, and the first element of a path, `args #>> '{k,sub}'`.
 */
function keysRead(sql: string, variable = 'args'): string[] {
  const read = new RegExp(String.raw`\b${variable}\s*(?:->>|->|\?|#>>|#>)\s*'\{?([A-Za-z0-9_]+)[,}']`, 'g');
  const keys = [...sql.matchAll(read)].map((m) => m[1]!);
  return [...new Set(keys)].sort();
}

describe('store function arguments: the TypeScript shape and the definition file agree', () => {
  it('every store function has a shape and is defined exactly once in the definition files', () => {
    expect(definitions.length).toBeGreaterThan(0);
    expect(Object.keys(STORE_FUNCTION_ARG_KEYS).sort()).toEqual([...STORE_FUNCTIONS].sort());
    const files = Object.fromEntries(
      STORE_FUNCTIONS.map((name) => [name, definitionsOf(name).map((d) => d.file)]),
    );
    for (const name of STORE_FUNCTIONS) expect(files[name], name).toHaveLength(1);
  });

  it.each([...STORE_FUNCTIONS])('%s reads exactly the keys of its type', (name) => {
    const { file, text: sql } = body(name);
    // `args` is read only by key or path (anything else, e.g. jsonb_populate_record(args), would hide keys);
    // the comments above the function (`-- args: { … }`) are not code
    const otherUses = sql
      .replace(/\(args jsonb[^)]*\)/, '')
      .replace(/--[^\n]*/g, '')
      .match(/\bargs\b(?!\s*(?:->>|->|\?|#>>|#>))/g);
    expect(otherUses, `${name} uses args otherwise than by key`).toBeNull();
    expect(keysRead(sql), `${name}: keys read by ${file}`).toEqual([...STORE_FUNCTION_ARG_KEYS[name]].sort());
  });

  it('a page activity has the columns trainlytics_commit_page reads from each element', () => {
    const sql = body('trainlytics_commit_page').text;
    const record = /jsonb_to_recordset\(args -> 'activities'\) as \(([\s\S]*?)\)\)/.exec(sql)?.[1];
    expect(record).toBeDefined();
    const columns = record!
      .split(',')
      .map((column) => column.trim().split(/\s+/)[0]!)
      .sort();
    // every key the builder sends (values do not matter here: only its keys are compared)
    const sent = Object.keys(
      activityArgs({ startDate: new Date(0) } as unknown as Parameters<typeof activityArgs>[0]),
    ).sort();
    expect(sent).toEqual(columns);
  });

  it('a connection patch has the keys trainlytics_update_connection reads from `patch`', () => {
    const sql = body('trainlytics_update_connection').text;
    expect(sql).toMatch(/\bp jsonb := coalesce\(args -> 'patch', '\{\}'::jsonb\)/);
    expect(keysRead(sql, 'p')).toEqual([...CONNECTION_PATCH_KEYS].sort());
  });

  it('the key reader finds each form, once', () => {
    expect(
      keysRead(
        `select args ->> 'a', args->'b', args ? 'c', (args ->> 'a')::int, other ->> 'd', args #>> '{e,x}'`,
      ),
    ).toEqual(['a', 'b', 'c', 'e']);
  });
});
