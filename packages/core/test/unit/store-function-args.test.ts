import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { activityArgs } from '../../src/postgres/map-rows';
import { STORE_FUNCTION_ARG_KEYS, STORE_FUNCTION_DEFINITIONS } from '../../src/postgres/store-function-args';
import { STORE_FUNCTIONS } from '../../src/postgres/store-functions';

// The argument shape of each store function is declared next to its caller (store-function-args.ts) and read by
// its body in @trainlytics/migrations' sql/definitions/ (ADR 0038). Both sides are compared here, key by key, so a
// key renamed in the SQL or in the type fails this test.

const definitionsDir = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@trainlytics/migrations/package.json')),
  'sql',
  'definitions',
);

/** The text of `create or replace function <name>(args jsonb …) … $$;` in `file`. */
function body(file: string, name: string): string {
  const sql = readFileSync(path.join(definitionsDir, file), 'utf8');
  const match = new RegExp(
    `create or replace function ${name}\\(args jsonb[^)]*\\)[\\s\\S]*?\\n\\$\\$;`,
  ).exec(sql);
  if (!match) throw new Error(`${file} defines no ${name}(args jsonb)`);
  return match[0];
}

/**
 * The top-level keys the body reads from `args`: `args ->> 'k'`, `args -> 'k'`, `args ? 'k'`, and the first
 * element of a path, `args #>> '{k,sub}'`.
 */
function keysRead(sql: string): string[] {
  const keys = [...sql.matchAll(/\bargs\s*(?:->>|->|\?|#>>|#>)\s*'\{?([A-Za-z0-9_]+)[,}']/g)].map(
    (m) => m[1]!,
  );
  return [...new Set(keys)].sort();
}

describe('store function arguments: the TypeScript shape and the definition file agree', () => {
  it('every store function has a shape and a definition file', () => {
    expect(Object.keys(STORE_FUNCTION_ARG_KEYS).sort()).toEqual([...STORE_FUNCTIONS].sort());
    expect(Object.keys(STORE_FUNCTION_DEFINITIONS).sort()).toEqual([...STORE_FUNCTIONS].sort());
  });

  it.each([...STORE_FUNCTIONS])('%s reads exactly the keys of its type', (name) => {
    const sql = body(STORE_FUNCTION_DEFINITIONS[name], name);
    // `args` is read only by key or path (anything else, e.g. jsonb_populate_record(args), would hide keys);
    // the comments above the function (`-- args: { … }`) are not code
    const otherUses = sql
      .replace(/\(args jsonb[^)]*\)/, '')
      .replace(/--[^\n]*/g, '')
      .match(/\bargs\b(?!\s*(?:->>|->|\?|#>>|#>))/g);
    expect(otherUses, `${name} uses args otherwise than by key`).toBeNull();
    expect(keysRead(sql), `${name}: keys read by ${STORE_FUNCTION_DEFINITIONS[name]}`).toEqual(
      [...STORE_FUNCTION_ARG_KEYS[name]].sort(),
    );
  });

  it('a page activity has the columns trainlytics_commit_page reads from each element', () => {
    const sql = body('05_commit_page.sql', 'trainlytics_commit_page');
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

  it('the key reader finds each form, once', () => {
    expect(
      keysRead(
        `select args ->> 'a', args->'b', args ? 'c', (args ->> 'a')::int, other ->> 'd', args #>> '{e,x}'`,
      ),
    ).toEqual(['a', 'b', 'c', 'e']);
  });
});
