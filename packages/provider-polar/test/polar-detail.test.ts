import { runProviderDetailSuite } from '@trainlytics/core/testing';
import { startPolarSandbox } from '../src/sandbox';

// Core's provider detail suite (issue 14): exercise samples and routes for outdoor, indoor and manual
// recordings through the sandbox over real HTTP into a migrated PGlite. Polar serves them by pull (ADR 0034),
// one `GET /v3/exercises/{id}?samples=true&zones=true&route=true` per exercise: aligned, in core's units,
// exactly the recorded channels and values (strap and power dropouts as gaps, GPS points at millisecond
// offsets placed as ADR 0034 documents), lossless through the codec and the store; a manual entry is `none`.
runProviderDetailSuite({ name: 'polar', startSandbox: () => startPolarSandbox() });
