import { runProviderConformanceSuite } from '@trainlytics/core/testing';
import { startPolarSandbox } from '../src/sandbox';

// The legacy transactional flow pages like any pull provider: one transaction (≤ 50 exercises) per page,
// committed after it is stored. 120 exercises = 3 pages, so a failure can fall between two pages.
runProviderConformanceSuite({
  name: 'polar (transactional exercises)',
  activityCount: 120,
  startSandbox: () =>
    startPolarSandbox({
      provider: { exerciseFlow: 'transactional' },
      // the suite makes ~2,000 requests in a few seconds: more than Polar's 15-minute partner limit
      rateLimit: { windowMs: 15 * 60_000, limit: 100_000 },
    }),
});

// The default flow reads the whole 30-day window in ONE request (`GET /v3/exercises`), so no request can
// fail between two of its pages: `listing: 'single'` makes the suite inject the fault before the sync and
// check that nothing is stored, then that the next run stores everything.
runProviderConformanceSuite({
  name: 'polar (exercises)',
  startSandbox: () => startPolarSandbox(),
  capabilities: { listing: 'single' },
});
