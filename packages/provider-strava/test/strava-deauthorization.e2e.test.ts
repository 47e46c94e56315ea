import type { PGlite } from '@electric-sql/pglite';
import { createTrainlytics, FakeClock, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestPGlite, type SandboxFaults } from '@trainlytics/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StravaSandbox, startStravaSandbox } from '../src/sandbox-entry';
import { strava } from '../src/strava-provider';
import { connectAthlete, redirectUri } from './harness';

/**
 * Strava signs no event, and anyone who saw one knows the subscription id: an `authorized: "false"` event is
 * confirmed with `GET /athlete` and the athlete's token before anyone is disconnected. Only a definitive
 * refusal (the token and then the refresh grant refused) disconnects; a 5xx, 429 or timeout keeps the
 * connection and leaves the decision to the next sync.
 */
describe('Strava deauthorization events are confirmed with Strava', () => {
  let sandbox: StravaSandbox;
  let pglite: PGlite;
  let trainlytics: Trainlytics;
  let users = 0;

  beforeAll(async () => {
    sandbox = await startStravaSandbox();
    pglite = await createTestPGlite({ migrate: true });
    trainlytics = createTrainlytics({
      store: postgresStore(pglite),
      providers: [sandbox.createProvider()],
      clock: new FakeClock(sandbox.clock.now()),
      webhookProcessing: 'inline',
      // a hanging request counts as a timeout after this long; generous, so a loaded machine does not time out the others
      http: { timeoutMs: 5_000 },
    });
  });

  afterAll(async () => {
    await trainlytics.close();
    await sandbox.close();
    await pglite.close();
  });

  async function connect() {
    const user = await pglite.query<{ id: number }>(`insert into users (email) values ($1) returning id`, [
      `deauth-${++users}@example.com`,
    ]);
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 1 });
    const { url } = await trainlytics.connect.start('strava', { userId: user.rows[0]!.id, redirectUri });
    const callback = await sandbox.approve(url, { providerUserId });
    const connection = await trainlytics.connect.finish('strava', { callbackParams: callback.searchParams });
    return { connectionId: connection.id, athleteId: providerUserId };
  }

  /** An event with the right subscription id that revokes nothing at Strava (a forged or stale one). */
  const forged = (athleteId: string) =>
    new Request('http://127.0.0.1/webhooks/strava', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: sandbox.webhookBody({ type: 'deauthorized', providerUserId: athleteId }),
    });

  it.each<[string, SandboxFaults]>([
    ['503', { status: { code: 503, times: 1, pathPrefix: '/athlete' } }],
    ['429', { rateLimited: { times: 1, retryAfterSeconds: 1 } }],
    ['timeout', { hangs: 1 }],
    ['dropped connection', { connectionResets: 1 }],
  ])('a %s on GET /athlete does not disconnect the athlete', async (_, faults) => {
    const { connectionId, athleteId } = await connect();
    sandbox.setFaults(faults);
    const response = await trainlytics.webhooks.handle('strava', forged(athleteId));
    sandbox.resetFaults();
    expect(response.status).toBe(503); // Strava delivers it again
    const connection = await trainlytics.connections.get(connectionId);
    expect(connection?.status).toBe('active');
    expect(connection?.lastError).toMatch(/Strava could not confirm/);
  });

  it('the next sync settles it: success clears the doubt; a revoked athlete must reconnect', async () => {
    const kept = await connect();
    const revoked = await connect();
    sandbox.setFaults({ status: { code: 503, times: 2, pathPrefix: '/athlete' } });
    expect((await trainlytics.webhooks.handle('strava', forged(kept.athleteId))).status).toBe(503);
    // the athlete really revoked access, but Strava was down when the event came
    const genuine = await sandbox.webhookRequest({ type: 'deauthorized', providerUserId: revoked.athleteId });
    expect((await trainlytics.webhooks.handle('strava', genuine)).status).toBe(503);
    sandbox.resetFaults();
    expect((await trainlytics.connections.get(revoked.connectionId))?.status).toBe('active');

    expect((await trainlytics.sync(kept.connectionId)).status).toBe('success');
    expect(await trainlytics.connections.get(kept.connectionId)).toMatchObject({
      status: 'active',
      lastError: null,
    });
    expect((await trainlytics.sync(revoked.connectionId)).status).toBe('failed');
    expect((await trainlytics.connections.get(revoked.connectionId))?.status).toBe('reauth_required');
  });

  it("Strava's redelivery of a real deauthorization, once Strava answers, disconnects", async () => {
    const { connectionId, athleteId } = await connect();
    const genuine = await sandbox.webhookRequest({ type: 'deauthorized', providerUserId: athleteId });
    const redelivery = genuine.clone();
    sandbox.setFaults({ status: { code: 502, times: 1, pathPrefix: '/athlete' } });
    expect((await trainlytics.webhooks.handle('strava', genuine)).status).toBe(503);
    expect((await trainlytics.connections.get(connectionId))?.status).toBe('active');
    expect((await trainlytics.webhooks.handle('strava', redelivery)).status).toBe(200);
    expect((await trainlytics.connections.get(connectionId))?.status).toBe('inactive');
  });

  it('a forged event while Strava answers is ignored without a trace on the connection', async () => {
    const { connectionId, athleteId } = await connect();
    expect((await trainlytics.webhooks.handle('strava', forged(athleteId))).status).toBe(200);
    expect(await trainlytics.connections.get(connectionId)).toMatchObject({
      status: 'active',
      lastError: null,
    });
  });

  it('the plugin answers with the tri-state: authorized, or unknown when Strava cannot tell', async () => {
    const provider = strava(sandbox.providerOptions());
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 0 });
    const { ctx } = await connectAthlete(sandbox, provider, providerUserId);
    const confirm = () => provider.webhooks.confirmDeauthorization!(ctx);
    expect(await confirm()).toBe('authorized');
    sandbox.setFaults({ status: { code: 503, times: 1, pathPrefix: '/athlete' } });
    expect(await confirm()).toBe('unknown');
    sandbox.setFaults({ rateLimited: { times: 1 } });
    expect(await confirm()).toBe('unknown');
    sandbox.resetFaults();
  });
});
