import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hidePackage } from './hide-package';

// `@trainlytics/core/testing` as published (dist/, built by `turbo build` before the tests) must load in a
// project without vitest: its sandbox helpers, databases and test provider are useful anywhere. Only the
// conformance suites need vitest, and calling one outside it says so. Here vitest is made unresolvable for
// the child process (ESM resolve hook; Module._resolveFilename for CommonJS).

const run = promisify(execFile);
const dist = new URL('../../dist/testing/', import.meta.url);

const { esmImport: HIDE_VITEST_ESM, cjsPrelude: HIDE_VITEST_CJS } = hidePackage('vitest');

const USE = (load: string) => `
const testing = ${load};
const clock = new testing.FakeClock(0);
clock.advance(1000);
const provider = testing.createTestProvider({ baseUrl: 'http://127.0.0.1:9' });
let refused = '';
try { testing.runStoreConformanceSuite({ name: 'x', createStore: async () => { throw new Error('unused'); } }); }
catch (error) { refused = error.message; }
console.log(JSON.stringify({ now: clock.now().getTime(), provider: provider.id, refused }));
`;

describe('@trainlytics/core/testing without vitest', () => {
  it('loads (ESM and CommonJS); a suite says it needs vitest', async () => {
    expect(
      existsSync(new URL('index.js', dist)),
      'dist/ is missing: npx turbo run build --filter=@trainlytics/core',
    ).toBe(true);
    const esm = await run(process.execPath, [
      '--import',
      HIDE_VITEST_ESM,
      '--input-type=module',
      '-e',
      USE(`await import(${JSON.stringify(new URL('index.js', dist).href)})`),
    ]);
    const cjsFile = new URL('index.cjs', dist).pathname;
    const cjs = await run(process.execPath, [
      '-e',
      `${HIDE_VITEST_CJS}\n${USE(`require(${JSON.stringify(cjsFile)})`)}`,
    ]);
    for (const { stdout } of [esm, cjs]) {
      expect(JSON.parse(stdout)).toEqual({
        now: 1000,
        provider: 'testfit',
        refused:
          'The @trainlytics/core/testing conformance suites register vitest tests: call them from a test file that vitest runs (npm install -D vitest)',
      });
    }
  });
});
