import { defineConfig } from 'tsup';

export default defineConfig({
  // `./sandbox` is built from src/sandbox.ts (the sandbox of src/sandbox/ bound to the plugin) to dist/sandbox/
  entry: { index: 'src/index.ts', 'sandbox/index': 'src/sandbox.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  shims: true,
  target: 'node20',
  splitting: false,
});
