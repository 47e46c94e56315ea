import { runSandboxControlSuite } from '@trainlytics/core/testing';
import * as fc from 'fast-check';
import { runSandboxCli, startStravaSandbox } from '../src/sandbox-entry';

runSandboxControlSuite({
  provider: 'Strava',
  fc,
  start: ({ webhookUrl }) => startStravaSandbox({ webhookUrl }),
  runCli: (argv, log) => runSandboxCli(argv, { out: log, handleSignals: false }),
});
