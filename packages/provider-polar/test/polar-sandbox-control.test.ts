import { runSandboxControlSuite } from '@trainlytics/core/testing';
import * as fc from 'fast-check';
import { runSandboxCli, startPolarSandbox } from '../src/sandbox';

runSandboxControlSuite({
  provider: 'Polar',
  fc,
  start: ({ webhookUrl }) => startPolarSandbox({ webhookUrl }),
  runCli: (argv, log) => runSandboxCli(argv, { log }),
});
