import { runProviderConformanceSuite } from '@trainlytics/core/testing';
import { startGarminSandbox } from '../src/sandbox';

// Core's provider conformance suite through a real Trainlytics instance and a migrated PGlite database,
// against the Garmin sandbox over real HTTP. Garmin's backfill is asynchronous (capabilities.backfill
// 'async'): a full sync only requests it, and the suite's incremental, fault and webhook checks run on
// the upload-time pull and on push notifications. The 12-activity histories span 3 days, so the first
// incremental sync covers them in several 24-hour pages.
runProviderConformanceSuite({
  name: 'garmin',
  startSandbox: () => startGarminSandbox(),
});
