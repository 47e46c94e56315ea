import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The sandbox imitates Garmin, not the plugin: nothing under `src/sandbox/` may import from outside it but
 * node builtins, third-party packages and `@trainlytics/core`'s generic pieces (a sandbox that borrowed the
 * plugin's code would agree with the plugin's mistakes). `createProvider`, the one place the plugin meets
 * the sandbox, lives in `src/sandbox.ts`, outside the folder.
 * (Inline check; the lead may switch it to core's shared `assertSandboxIndependent` when merging.)
 */
const ALLOWED_PACKAGES = ['@trainlytics/core', '@trainlytics/core/testing'];

/** Every import (static, re-export, dynamic, require) of a `.ts` file under `dir` that leaves it: `file: spec`. */
function importsLeaving(dir: string, allowed: string[]): string[] {
  const builtins = new Set(builtinModules);
  const offending: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of importedFiles) {
      const ok = spec.startsWith('.')
        ? !path.relative(dir, path.resolve(path.dirname(file), spec)).startsWith('..')
        : spec.startsWith('node:') ||
          builtins.has(spec) ||
          allowed.includes(spec) ||
          (!spec.startsWith('@trainlytics/') && !spec.startsWith('#'));
      if (!ok) offending.push(`${path.relative(dir, file)}: ${spec}`);
    }
  }
  return offending;
}

describe('sandbox independence', () => {
  it('no file under src/sandbox imports the plugin (or anything of the package outside the folder)', () => {
    const dir = fileURLToPath(new URL('../src/sandbox', import.meta.url));
    expect(importsLeaving(dir, ALLOWED_PACKAGES)).toEqual([]);
  });

  it('the check catches each way of reaching the plugin', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'sandbox-independence-'));
    const dir = path.join(root, 'sandbox');
    mkdirSync(path.join(dir, 'routes'), { recursive: true });
    const file = (name: string, source: string) => writeFileSync(path.join(dir, name), source);
    file('fine.ts', "import { x } from './y';\nimport { createHash } from 'node:crypto';\nimport 'zod';\n");
    file('routes/fine.ts', "import type { Clock } from '@trainlytics/core';\nexport * from '../fine';\n");
    file('signer.ts', "import {\n  sign,\n} from '../garmin-webhooks';\n");
    file('entry.ts', "export { garmin } from '@trainlytics/provider-garmin';\n");
    file('lazy.ts', "const m = await import('../garmin-provider');\n");
    file('routes/deep.ts', "import type { GarminApi } from '../../garmin-api';\n");
    file('other.ts', "import { x } from '@trainlytics/migrations';\n");
    expect(importsLeaving(dir, ALLOWED_PACKAGES).sort()).toEqual(
      [
        'entry.ts: @trainlytics/provider-garmin',
        'lazy.ts: ../garmin-provider',
        'other.ts: @trainlytics/migrations',
        `${path.join('routes', 'deep.ts')}: ../../garmin-api`,
        'signer.ts: ../garmin-webhooks',
      ].sort(),
    );
  });
});
