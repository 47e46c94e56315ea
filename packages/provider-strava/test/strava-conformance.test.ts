import { runProviderConformanceSuite } from '@trainlytics/core/testing';
import { startStravaSandbox } from '../src/sandbox-entry';

// Core's provider conformance suite: connect, consent denied, state reuse, full/incremental sync, refresh,
// 5xx/429 faults with resume, malformed items, webhooks, deauthorization, disconnect — through a real
// Trainlytics instance and a migrated PGlite database, against the Strava sandbox over real HTTP.
// A page size of 5 makes the suite's 12-activity histories span several pages.
runProviderConformanceSuite({
  name: 'strava',
  startSandbox: () => startStravaSandbox({ provider: { pageSize: 5 } }),
});
