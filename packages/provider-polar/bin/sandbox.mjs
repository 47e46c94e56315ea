#!/usr/bin/env node
import { runSandboxCli } from '../dist/sandbox/index.js';

runSandboxCli(process.argv.slice(2)).catch((error) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
