import { defineConfig } from 'tsup';

export default defineConfig({
  // the sandbox entry stays `dist/sandbox/index.*` (the `./sandbox` export, the bin)
  entry: { index: 'src/index.ts', 'sandbox/index': 'src/sandbox.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  shims: true,
  target: 'node20',
  splitting: false,
});
