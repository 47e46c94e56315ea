import { fileURLToPath } from 'node:url';
import { assertSandboxIndependent } from '@trainlytics/core/testing';
import { describe, expect, it } from 'vitest';
import { startStravaApiSandbox } from '../src/sandbox/strava-api-sandbox';

const SANDBOX = fileURLToPath(new URL('../src/sandbox', import.meta.url));

describe('the Strava sandbox stands alone (issue 13)', () => {
  it('imports nothing of the plugin: only its own files, node, core’s test kit and core’s types', () => {
    assertSandboxIndependent(SANDBOX, [
      // the sandbox-control protocol and the conformance kit's types, shared by every sandbox
      '@trainlytics/core/testing',
      // Clock, FetchFunction and the stream model's types; no code of core
      { specifier: '@trainlytics/core', typeOnly: true },
    ]);
  });

  it('serves the API without the plugin loaded', async () => {
    const sandbox = await startStravaApiSandbox();
    try {
      const { providerUserId } = await sandbox.seedAthlete({ activityCount: 3 });
      const res = await fetch(`${sandbox.apiUrl}/athlete`);
      expect(res.status).toBe(401);
      expect(sandbox.activityIds(providerUserId)).toHaveLength(3);
    } finally {
      await sandbox.close();
    }
  });
});
