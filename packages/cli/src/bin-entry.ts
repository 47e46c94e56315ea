/**
 * Runs the CLI from source: `node --import tsx --conditions=@trainlytics/source packages/cli/src/bin-entry.ts`
 * (the tests and development use it; the published binary is `bin/trainlytics.mjs` over `dist`).
 */
import { run } from './program';

run(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`trainlytics: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
