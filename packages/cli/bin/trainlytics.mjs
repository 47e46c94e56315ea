#!/usr/bin/env node
import { run } from '../dist/index.js';

run(process.argv).then(
  (code) => {
    process.exitCode = code ?? 0;
  },
  (error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
