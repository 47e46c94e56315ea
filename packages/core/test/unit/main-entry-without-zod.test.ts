import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hidePackage } from './hide-package';

// zod is an optional peer dependency, needed only by the test provider of `/testing`: core validates through
// Standard Schema. The published main, `/postgres` and `/supabase` entries must load where zod is not installed
// (ESM resolve hook; Module._resolveFilename for CommonJS), and must report the version from package.json.

const run = promisify(execFile);
const dist = new URL('../../dist/', import.meta.url);
const entries = ['index', 'postgres/index', 'supabase/index'];

const { esmImport: HIDE_ZOD_ESM, cjsPrelude: HIDE_ZOD_CJS } = hidePackage('zod');

describe('@trainlytics/core without zod', () => {
  it('loads its main, /postgres and /supabase entries (ESM and CommonJS), which carry the real VERSION', async () => {
    expect(
      existsSync(new URL('index.js', dist)),
      'dist/ is missing: npx turbo run build --filter=@trainlytics/core',
    ).toBe(true);
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    for (const entry of entries) {
      const esmFile = new URL(`${entry}.js`, dist).href;
      const cjsFile = new URL(`${entry}.cjs`, dist).pathname;
      const esm = await run(process.execPath, [
        '--import',
        HIDE_ZOD_ESM,
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(esmFile)}); console.log(JSON.stringify(Object.keys(m).length))`,
      ]);
      const cjs = await run(process.execPath, [
        '-e',
        `${HIDE_ZOD_CJS}\nconsole.log(JSON.stringify(Object.keys(require(${JSON.stringify(cjsFile)})).length))`,
      ]);
      for (const { stdout } of [esm, cjs]) expect(Number(stdout), entry).toBeGreaterThan(0);
    }
    // the control: /testing's test provider does need zod, and the hook does hide it
    await expect(
      run(process.execPath, [
        '--import',
        HIDE_ZOD_ESM,
        '--input-type=module',
        '-e',
        `await import(${JSON.stringify(new URL('testing/index.js', dist).href)})`,
      ]),
    ).rejects.toThrow(/Cannot find package 'zod'/);
    const versions = await run(process.execPath, [
      '--import',
      HIDE_ZOD_ESM,
      '--input-type=module',
      '-e',
      `import { createRequire } from 'node:module'; const m = await import(${JSON.stringify(new URL('index.js', dist).href)}); const c = createRequire(import.meta.url)(${JSON.stringify(new URL('index.cjs', dist).pathname)}); console.log(JSON.stringify([m.VERSION, c.VERSION]))`,
    ]);
    // the built VERSION is the package's version (inlined by the build), in both formats
    expect(JSON.parse(versions.stdout)).toEqual([version, version]);
  });
});
