import { request as httpRequest } from 'node:http';
import { createTrainlytics, type Trainlytics } from '@trainlytics/core';
import { migrate } from '@trainlytics/migrations';
import { garmin } from '@trainlytics/provider-garmin';
import { polar } from '@trainlytics/provider-polar';
import { strava } from '@trainlytics/provider-strava';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loopbackDemoAuth } from '../src/app/auth';
import { type HostServer, startHostServer } from '../src/app/host-server';
import { type OpenedDatabase, openDatabase } from '../src/database';
import { storeFromDatabase } from '../src/store-from-database';

// Issue 18 A5: eight concurrent 50 MB unauthenticated posts to /webhooks/garmin grew `serve` by 420 MB.
// Every webhook route of the host app, over a real socket, with bodies streamed from one reused buffer
// (never materialised): what core reads is counted by `trainlytics.webhooks.bodyBytes()`, deterministic,
// unlike RSS (an RSS figure: `npm run bench:webhooks -w @trainlytics/bench`).

const KiB = 1024;
const MiB = 1024 * KiB;
const GARMIN_CLIENT_ID = 'garmin-memory-client';
const BUDGET = 8 * MiB;
const POSTS = 8;
const BODY_BYTES = 50 * 1000 * 1000;

let database: OpenedDatabase;
let trainlytics: Trainlytics;
let server: HostServer;

beforeAll(async () => {
  database = await openDatabase({ env: {}, cwd: process.cwd(), memory: true });
  await migrate(database.db, { direction: 'up' });
  trainlytics = createTrainlytics({
    store: storeFromDatabase(database),
    providers: [
      strava({
        clientId: '1',
        clientSecret: 's',
        webhooks: { verifyToken: 'v', subscriptionId: 7 },
        env: {},
      }),
      garmin({
        clientId: GARMIN_CLIENT_ID,
        clientSecret: 's',
        webhooks: { maxBodyBytes: 4 * MiB },
        env: {},
      }),
      polar({ clientId: 'p', clientSecret: 's', webhookSecret: 'polar-secret', env: {} }),
    ],
    webhookProcessing: 'inline',
    webhookBodyBudgetBytes: BUDGET,
  });
  server = await startHostServer({ ...loopbackDemoAuth(), trainlytics, db: database.db, port: 0 });
});
afterAll(async () => {
  await server?.close();
  await trainlytics?.close();
  await database?.close();
});

/**
 * POSTs `BODY_BYTES` to `path`, written chunk by chunk from one 64 KiB buffer (respecting backpressure),
 * until the server answers; then stops sending. Chunked unless `declare` sets `content-length`.
 */
function streamedPost(
  path: string,
  headers: Record<string, string>,
  declare = false,
  pause?: { after: number; until: Promise<void>; onAnswer: () => void },
): Promise<{ status: number; retryAfter: string | null }> {
  const chunk = Buffer.alloc(64 * KiB, 0x20);
  const url = new URL(path, server.baseUrl);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(declare ? { 'content-length': String(BODY_BYTES) } : {}),
        ...headers,
      },
    });
    req.on('response', (res) => {
      answered = true;
      pause?.onAnswer();
      res.resume();
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, retryAfter: (res.headers['retry-after'] as string) ?? null });
        req.destroy();
      });
    });
    req.on('error', (error) => {
      // the server may close the connection on an unread body once it has answered
      if (!answered) reject(error);
    });
    let sent = 0;
    let paused = false;
    const write = () => {
      while (!answered && sent < BODY_BYTES) {
        if (pause && !paused && sent >= pause.after) {
          paused = true;
          return void pause.until.then(write);
        }
        const n = Math.min(chunk.length, BODY_BYTES - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n)))
          return void req.once('drain', write);
      }
      if (!answered) req.end();
    };
    write();
  });
}

const statuses = (results: Array<{ status: number }>) => [...new Set(results.map((r) => r.status))].sort();

describe('webhook routes under concurrent oversized posts', () => {
  it('unauthenticated posts are refused on their headers: not one body byte is read', async () => {
    const before = trainlytics.webhooks.bodyBytes().read;
    const results = await Promise.all([
      ...Array.from({ length: POSTS }, () => streamedPost('/webhooks/garmin', {})),
      ...Array.from({ length: POSTS }, () =>
        streamedPost('/webhooks/garmin', { 'garmin-client-id': 'someone-else' }),
      ),
      ...Array.from({ length: POSTS }, () =>
        streamedPost('/webhooks/polar', { 'polar-webhook-event': 'EXERCISE' }),
      ),
    ]);
    expect(statuses(results)).toEqual([401, 403]);
    expect(trainlytics.webhooks.bodyBytes().read - before).toBe(0);
  });

  it('a declared length over the limit is refused on the headers, on every route', async () => {
    const before = trainlytics.webhooks.bodyBytes().read;
    const results = await Promise.all(
      ['strava', 'garmin', 'polar'].flatMap((provider) =>
        Array.from({ length: POSTS }, () =>
          streamedPost(
            `/webhooks/${provider}`,
            { 'garmin-client-id': GARMIN_CLIENT_ID, 'polar-webhook-signature': 'ab' },
            true,
          ),
        ),
      ),
    );
    expect(statuses(results)).toEqual([413]);
    expect(trainlytics.webhooks.bodyBytes().read - before).toBe(0);
  });

  it('bodies that pass the header checks never hold more than the budget, all routes together', async () => {
    const before = trainlytics.webhooks.bodyBytes();
    const authenticated = { 'garmin-client-id': GARMIN_CLIENT_ID, 'polar-webhook-signature': 'ab' };
    // Garmin's posts send 3 MiB each (under its 4 MiB limit), then wait: without a budget, all eight would
    // be held at once (24 MiB); with it, what does not fit is answered 503 at once.
    let answered = 0;
    let go!: () => void;
    const until = new Promise<void>((resolve) => {
      go = resolve;
    });
    const pause = { after: 3 * MiB, until, onAnswer: () => answered++ };
    const garminPosts = Array.from({ length: POSTS }, () =>
      streamedPost('/webhooks/garmin', authenticated, false, pause),
    );
    const others = ['strava', 'polar'].flatMap((provider) =>
      Array.from({ length: POSTS }, () => streamedPost(`/webhooks/${provider}`, authenticated)),
    );
    // every Garmin post is either answered or has had its first 3 MiB read by core
    await vi.waitFor(
      () => {
        const read = trainlytics.webhooks.bodyBytes().read - before.read;
        expect(answered + Math.floor(read / (3 * MiB))).toBeGreaterThanOrEqual(POSTS);
      },
      { timeout: 60_000, interval: 20 },
    );
    const held = trainlytics.webhooks.bodyBytes();
    go();
    const results = [...(await Promise.all(garminPosts)), ...(await Promise.all(others))];
    expect(held.peak).toBeLessThanOrEqual(BUDGET);
    // too large (413), or refused for the budget with a time to come back (503): never buffered whole
    expect(
      results.every((r) => r.status === 413 || (r.status === 503 && /^\d+$/.test(r.retryAfter ?? ''))),
    ).toBe(true);
    expect(results.filter((r) => r.status === 503).length).toBeGreaterThan(0);
    const figures = trainlytics.webhooks.bodyBytes();
    expect(figures.peak).toBeLessThanOrEqual(BUDGET);
    expect(figures.held).toBe(0);
    expect((await fetch(new URL('/health', server.baseUrl))).status).toBe(200);
  });
});
