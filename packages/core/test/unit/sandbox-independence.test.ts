import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assertSandboxIndependent } from '../../src/testing';
import { importReferences } from '../../src/testing/import-specifiers';

let root = '';
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = '';
});

/** A package `@acme/provider-x` whose `src/sandbox` holds `files` (and `src/x-plugin.ts` beside it). */
function plugin(files: Record<string, string>): string {
  root = mkdtempSync(join(tmpdir(), 'sandbox-independence-'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: '@acme/provider-x' }));
  const all = { 'src/x-plugin.ts': 'export const sign = () => 1;\n', ...files };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return join(root, 'src/sandbox');
}

describe('assertSandboxIndependent', () => {
  it('accepts own files, node builtins, third-party packages and what is allowed', () => {
    const dir = plugin({
      'src/sandbox/index.ts': [
        "import { createServer } from 'node:http';",
        "import { randomBytes } from 'crypto';",
        "import { z } from 'zod';",
        "import { handle } from '@acme/core/testing';",
        "import type { Clock } from '@acme/core';",
        "export { a } from './routes/a';",
        "const url = 'https://example.com/x'; // import '../x-plugin' in a comment",
        'const text = "from \'../x-plugin\'";',
        'const re = /from "..\\/x-plugin"/;',
        "const t = `import('../x-plugin')`;",
      ].join('\n'),
      'src/sandbox/routes/a.ts': "import { b } from '../b';\nexport const a = 1;\n",
      'src/sandbox/b.ts': 'export const b = 1;\n',
    });
    expect(() =>
      assertSandboxIndependent(dir, ['@acme/core/testing', { specifier: '@acme/core', typeOnly: true }]),
    ).not.toThrow();
  });

  it.each([
    ["import { sign } from '../x-plugin';", '../x-plugin'],
    ["import type { Settings } from '../x-plugin';", 'outside the sandbox folder'],
    ["export * from '../x-plugin';", 'outside the sandbox folder'],
    ["import '../x-plugin';", 'outside the sandbox folder'],
    ["const m = await import('../x-plugin');", 'outside the sandbox folder'],
    ["const m = require('../x-plugin');", 'outside the sandbox folder'],
    ["let t: typeof import('../x-plugin');", 'outside the sandbox folder'],
    ["import { x } from '@acme/provider-x';", 'the package the sandbox belongs to'],
    ["import { x } from '@acme/provider-x/sandbox';", 'the package the sandbox belongs to'],
    ["import { x } from '@acme/core';", "plugin's own scope"],
    ["import { x } from '#plugin';", 'package import'],
    ['const m = await import(name);', 'computed specifier'],
  ])('refuses %s', (line, reason) => {
    const dir = plugin({ 'src/sandbox/server.ts': `export const ok = 1;\n${line}\n` });
    expect(() => assertSandboxIndependent(dir, ['@acme/core/testing'])).toThrow(reason);
    expect(() => assertSandboxIndependent(dir, ['@acme/core/testing'])).toThrow('server.ts:2');
  });

  it('accepts a type-only allowance for `import type` only', () => {
    const allowed = [{ specifier: '@acme/core', typeOnly: true as const }];
    const typeOnly = plugin({ 'src/sandbox/a.ts': "import type { Clock } from '@acme/core';\n" });
    expect(() => assertSandboxIndependent(typeOnly, allowed)).not.toThrow();
    rmSync(root, { recursive: true, force: true });
    const code = plugin({ 'src/sandbox/a.ts': "import { encode } from '@acme/core';\n" });
    expect(() => assertSandboxIndependent(code, allowed)).toThrow("a.ts:1 imports '@acme/core'");
  });

  it('fails on an empty or missing folder rather than passing vacuously', () => {
    const dir = plugin({ 'src/sandbox/readme.md': 'nothing\n' });
    expect(() => assertSandboxIndependent(dir)).toThrow('no source files');
  });
});

describe('importReferences', () => {
  it('reads every form of import, with lines and type-only clauses', () => {
    const source = [
      "import type { A } from 'a';",
      "import { type B, c } from 'b';",
      "export type { D } from 'd';",
      "import type from 'e';",
      'const x = a / 2; const y = /re/g.test("import(\'f\')");',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text with a template literal
      "const z = `${import('g')}`;",
      "obj.import('h'); Array.from('i');",
    ].join('\n');
    expect(importReferences(source)).toEqual([
      { specifier: 'a', line: 1, typeOnly: true },
      { specifier: 'b', line: 2, typeOnly: false },
      { specifier: 'd', line: 3, typeOnly: true },
      { specifier: 'e', line: 4, typeOnly: false },
      { specifier: 'g', line: 6, typeOnly: false },
    ]);
  });
});
