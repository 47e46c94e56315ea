import { runProviderDetailSuite } from '@trainlytics/core/testing';
import { startStravaSandbox } from '../src/sandbox';

// Core's provider detail suite (issue 14): streams fetched for outdoor, indoor and manual recordings through
// the sandbox over real HTTP into a migrated PGlite — aligned, in core's units, exactly the recorded
// channels, lossless through the codec and the store, in exactly two requests per activity.
runProviderDetailSuite({ name: 'strava', startSandbox: () => startStravaSandbox() });
