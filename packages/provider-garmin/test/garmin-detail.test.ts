import { runProviderDetailSuite } from '@trainlytics/core/testing';
import { startGarminSandbox } from '../src/sandbox';

// Core's provider detail suite (issue 14): Activity Details for outdoor, indoor and manual recordings through
// the sandbox over real HTTP into a migrated PGlite. Garmin delivers by push (ADR 0033): `activities.detail`
// requests a backfill of `activityDetails` (one request) and answers `requested`; the sandbox then pushes the
// Activity Details the plugin asked for, which the webhook stores — aligned, in core's units, exactly the
// recorded channels and values (timer pauses, recording gaps, GPS dropouts included), lossless through the
// codec and the store. The activity summaries arrive by the `activity.created` push (summaries only).
runProviderDetailSuite({ name: 'garmin', startSandbox: () => startGarminSandbox() });
