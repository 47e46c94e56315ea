import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The sandbox imitates Polar from Polar's documentation: no file under src/sandbox may import the plugin
 * (`../polar-*.ts`, `../index.ts`, `@trainlytics/provider-polar`), or a wrong algorithm in the plugin is
 * checked against itself and passes (issue 13: a SHA-1 signer did). Allowed: node builtins, third-party
 * packages, `@trainlytics/core` and `@trainlytics/core/testing`, and files of src/sandbox itself. Imports of
 * types count too. (An inline check; core's `assertSandboxIndependent` may replace it.)
 */
const SANDBOX_DIR = fileURLToPath(new URL('../src/sandbox', import.meta.url));
const ALLOWED_PACKAGES = new Set(['@trainlytics/core', '@trainlytics/core/testing']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(c|m)?tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** `file: specifier` for every import, re-export, dynamic import or require that leaves `dir`. */
function outsideImports(dir: string): string[] {
  const violations: string[] = [];
  for (const file of sourceFiles(dir)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of importedFiles) {
      const local = spec.startsWith('.') && !relative(dir, resolve(dirname(file), spec)).startsWith('..');
      const builtin = spec.startsWith('node:') || builtinModules.includes(spec);
      const thirdParty = /^[a-z@]/i.test(spec) && !spec.startsWith('@trainlytics/');
      if (!local && !builtin && !thirdParty && !ALLOWED_PACKAGES.has(spec)) {
        violations.push(`${relative(dir, file)}: ${spec}`);
      }
    }
  }
  return violations;
}

describe('the Polar sandbox is independent of the plugin it imitates', () => {
  it('no file under src/sandbox imports from outside it, but node builtins, packages and core', () => {
    const files = sourceFiles(SANDBOX_DIR).map((file) => relative(SANDBOX_DIR, file));
    expect(files).toContain('sign-webhook.ts');
    expect(files.length).toBeGreaterThan(10); // the scan saw the sandbox, not an empty folder
    expect(outsideImports(SANDBOX_DIR)).toEqual([]);
  });

  const planted = mkdtempSync(join(tmpdir(), 'polar-sandbox-independence-'));
  afterAll(() => rmSync(planted, { recursive: true, force: true }));

  it('the check finds a planted import of the plugin, in any form', () => {
    const sandbox = join(planted, 'src', 'sandbox');
    mkdirSync(join(sandbox, 'routes'), { recursive: true });
    writeFileSync(join(planted, 'src', 'polar-webhooks.ts'), 'export const signPolarWebhook = 1;\n');
    const files: Record<string, string> = {
      'allowed.ts': [
        "import { createHmac } from 'node:crypto';",
        "import { createServer } from 'http';",
        "import { z } from 'zod';",
        "import type { Clock } from '@trainlytics/core';",
        "import { handleSandboxControl } from '@trainlytics/core/testing';",
        "import { base62 } from './sandbox-random';",
        "import { HttpError } from '../sandbox/http-error';",
      ].join('\n'),
      'signer.ts': "import { signPolarWebhook } from '../polar-webhooks';",
      'types.ts': "import type { PolarProvider } from '../polar-provider';",
      'entry.ts': "export * from '../index';\nexport { polar } from '@trainlytics/provider-polar';",
      'routes/lazy.ts':
        "export const load = () => import('../../polar-provider');\nrequire('../../version');",
      'routes/deep.ts': "import { x } from '@trainlytics/core/postgres';",
    };
    for (const [name, source] of Object.entries(files)) writeFileSync(join(sandbox, name), `${source}\n`);
    expect(outsideImports(sandbox).sort()).toEqual(
      [
        'signer.ts: ../polar-webhooks',
        'types.ts: ../polar-provider',
        'entry.ts: ../index',
        'entry.ts: @trainlytics/provider-polar',
        `${join('routes', 'lazy.ts')}: ../../polar-provider`,
        `${join('routes', 'lazy.ts')}: ../../version`,
        `${join('routes', 'deep.ts')}: @trainlytics/core/postgres`,
      ].sort(),
    );
  });
});
