import { describe, expect, it } from 'vitest';
import { simulateDay } from '../src/simulated-day';

/**
 * The simulated day with a few athletes: webhooks carry the uploads, polls repair the dropped ones, the
 * app's budget at the provider is never exceeded (no 429, no day over the limit) and at the end the store
 * equals the provider. The second case makes the daily budget bind (polls alone would need more).
 */
describe('simulated day (webhooks + repair polls under the app budget)', () => {
  it('stores every upload, most within seconds by webhook, the dropped ones by the next poll', async () => {
    const day = await simulateDay({
      connections: 4,
      uploadsPerDay: 2,
      dropRate: 0.3,
      pollIntervalMs: 6 * 3_600_000,
      limit15: 100,
      dailyLimit: 1_000,
      seed: 7,
    });
    expect(day.uploads).toBeGreaterThan(0);
    expect(day.webhooksDropped).toBeGreaterThan(0);
    expect(day.storedEqualsProvider).toBe(true);
    expect(day.tooManyRequests).toBe(0);
    expect(day.webhooksRefused).toBe(0);
    expect(day.freshness.webhook.count).toBe(day.webhooksDelivered);
    expect(day.freshness.webhook.maxS).toBeLessThanOrEqual(30);
    expect(day.freshness.repaired.count).toBe(day.webhooksDropped);
    // a repair waits for the connection's next poll, never longer than one interval (and a 5-minute tick)
    expect(day.freshness.repaired.maxS).toBeLessThanOrEqual(6 * 3_600 + 300);
  }, 240_000);

  it('never exceeds a daily budget that binds, and still ends with store = provider', async () => {
    const dailyLimit = 20;
    const day = await simulateDay({
      connections: 4,
      uploadsPerDay: 2,
      dropRate: 0.3,
      pollIntervalMs: 3 * 3_600_000,
      limit15: 5,
      dailyLimit,
      seed: 11,
    });
    // polls alone would need 4 connections × 8 polls a day, at least one request each, plus the webhooks'
    // fetches: the budget binds — the first day spends exactly the limit and the scheduler holds polls back
    // (it starts no sync the budget cannot pay for, so none needs to end deferred)
    expect(day.requestsPerDay[0]).toBe(dailyLimit);
    expect(day.polls).toBeGreaterThan(0);
    expect(day.polls).toBeLessThan(4 * 8);
    expect(Math.max(...day.requestsPerDay)).toBeLessThanOrEqual(dailyLimit);
    expect(day.maxRequestsIn15Min).toBeLessThanOrEqual(5);
    expect(day.tooManyRequests).toBe(0);
    expect(day.storedEqualsProvider).toBe(true);
  }, 240_000);
});
