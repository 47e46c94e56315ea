import { runProviderConformanceSuite, startTestProviderServer } from '@trainlytics/core/testing';

// The suite every provider package runs, proven first against core's own Testfit provider.
runProviderConformanceSuite({
  name: 'testfit',
  startSandbox: () => startTestProviderServer(),
});

// A provider without refresh tokens (like Polar): an expired token means the user must reconnect.
runProviderConformanceSuite({
  name: 'testfit without refresh tokens',
  startSandbox: () => startTestProviderServer({ refresh: false }),
});
