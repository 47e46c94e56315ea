import { defineConfig } from 'tsup';

/**
 * How every published package builds: ESM and CommonJS with type declarations and source maps, for Node 20.
 * Only the entry points differ from package to package (one per `exports` subpath; an object names the output).
 */
export function packageBuild(entry: string[] | Record<string, string>) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    shims: true,
    target: 'node20',
    splitting: false,
  });
}
