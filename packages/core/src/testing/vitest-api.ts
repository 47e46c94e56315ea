import type * as Vitest from 'vitest';

type VitestApi = Pick<typeof Vitest, 'afterAll' | 'beforeAll' | 'beforeEach' | 'describe' | 'expect' | 'it'>;

/**
 * The API of the vitest that runs the current test file. The conformance suites need it only when they are
 * called, so `@trainlytics/core/testing` has no import of `vitest`: it loads without vitest installed (its
 * sandbox helpers, databases and test provider work anywhere), and a suite called outside vitest says so.
 * Vitest publishes its API on `globalThis.__vitest_index__` in every test worker (what `import.meta.vitest`
 * reads for in-source tests).
 */
export function vitestApi(): VitestApi {
  const api = (globalThis as { __vitest_index__?: VitestApi }).__vitest_index__;
  if (!api) {
    throw new Error(
      'The @trainlytics/core/testing conformance suites register vitest tests: call them from a test file that vitest runs (npm install -D vitest)',
    );
  }
  return api;
}

/** A stand-in for one vitest function (and its properties: `it.skipIf`, `expect.any`, …), resolved per call. */
function lazy<K extends keyof VitestApi>(name: K): VitestApi[K] {
  return new Proxy(() => {}, {
    apply: (_target, thisArg, args) =>
      Reflect.apply(vitestApi()[name] as (...a: unknown[]) => unknown, thisArg, args),
    get: (_target, property) => Reflect.get(vitestApi()[name] as object, property),
  }) as unknown as VitestApi[K];
}

export const afterAll = lazy('afterAll');
export const beforeAll = lazy('beforeAll');
export const beforeEach = lazy('beforeEach');
export const describe = lazy('describe');
export const expect = lazy('expect');
export const it = lazy('it');
