import { runSandboxControlSuite } from '@trainlytics/core/testing';
import * as fc from 'fast-check';
import { runSandboxCli, startGarminSandbox } from '../src/sandbox';

runSandboxControlSuite({
  provider: 'Garmin',
  fc,
  start: ({ webhookUrl }) => startGarminSandbox({ webhookUrl }),
  runCli: (argv, log) => runSandboxCli(argv, { log }),
});
