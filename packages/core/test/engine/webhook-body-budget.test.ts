import {
  ConfigurationError,
  createTrainlytics,
  type Provider,
  WebhookVerificationError,
} from '@trainlytics/core';
import { TEST_PROVIDER_ID } from '@trainlytics/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './harness';

const h = new EngineHarness();
beforeAll(() => h.setup());
afterAll(() => h.teardown());
beforeEach(() => h.reset());

const KiB = 1024;

/** Testfit whose deliveries must carry a signature header, checked before the body is read. */
function headerCheckingProvider(): Provider {
  const base = h.server.createProvider();
  return {
    ...base,
    webhooks: {
      ...base.webhooks!,
      verifyHeaders(request) {
        if (!request.headers.get('x-testfit-signature')) {
          throw new WebhookVerificationError('no x-testfit-signature header', {
            provider: TEST_PROVIDER_ID,
            status: 401,
          });
        }
      },
    },
  };
}

/**
 * A streamed body: `chunks` chunks of `chunkBytes`, counting what was pulled; with `hold`, it stops after
 * the first chunk until `release()` (a delivery still arriving), and `firstPulled` resolves once read.
 */
function streamedBody(chunks: number, chunkBytes: number, options: { hold?: boolean } = {}) {
  let pulled = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let markFirst!: () => void;
  const firstPulled = new Promise<void>((resolve) => {
    markFirst = resolve;
  });
  const chunk = new Uint8Array(chunkBytes).fill(32);
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (pulled === 1) markFirst();
        if (pulled === 1 && options.hold) await released;
        if (pulled >= chunks) return controller.close();
        pulled++;
        controller.enqueue(chunk);
      },
      // nothing is pulled before someone reads
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => pulled, release, firstPulled };
}

function post(body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}) {
  return new Request('http://127.0.0.1/webhooks/testfit', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    duplex: 'half',
  } as RequestInit);
}

describe('webhook bodies: refused on the headers, and bounded all together', () => {
  it('refuses on the headers without reading a byte of the body', async () => {
    const t = h.trainlytics({ providers: [headerCheckingProvider()], webhookProcessing: 'inline' });
    const body = streamedBody(1000, 64 * KiB);
    const response = await t.webhooks.handle(TEST_PROVIDER_ID, post(body.stream));
    expect(response.status).toBe(401);
    expect(body.pulled()).toBe(0);
    expect(t.webhooks.bodyBytes()).toMatchObject({ read: 0, held: 0, peak: 0 });
  });

  it('refuses a declared length over the limit on the headers, before the plugin is asked', async () => {
    const t = h.trainlytics({ providers: [headerCheckingProvider()], webhookProcessing: 'inline' });
    const body = streamedBody(1000, 64 * KiB);
    const response = await t.webhooks.handle(
      TEST_PROVIDER_ID,
      post(body.stream, { 'content-length': String(50 * 1024 * KiB) }),
    );
    expect(response.status).toBe(413);
    expect(body.pulled()).toBe(0);
  });

  it('answers 503 with Retry-After, instead of buffering, once the bodies in flight fill the budget', async () => {
    const t = h.trainlytics({
      providers: [headerCheckingProvider()],
      webhookProcessing: 'inline',
      webhookBodyBudgetBytes: 100 * KiB,
    });
    const signed = { 'x-testfit-signature': 'not-checked-until-the-body-is-read' };
    const a = streamedBody(2, 30 * KiB, { hold: true });
    const b = streamedBody(2, 30 * KiB, { hold: true });
    const first = t.webhooks.handle(TEST_PROVIDER_ID, post(a.stream, signed));
    const second = t.webhooks.handle(TEST_PROVIDER_ID, post(b.stream, signed));
    await Promise.all([a.firstPulled, b.firstPulled]);
    expect(t.webhooks.bodyBytes().held).toBe(60 * KiB);

    const c = streamedBody(1, 50 * KiB);
    const refused = await t.webhooks.handle(TEST_PROVIDER_ID, post(c.stream, signed));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(c.pulled()).toBe(1); // stopped at the chunk that did not fit

    // a declared length that does not fit is refused before anything is read
    const d = streamedBody(1, 50 * KiB);
    const declared = await t.webhooks.handle(
      TEST_PROVIDER_ID,
      post(d.stream, { ...signed, 'content-length': String(50 * KiB) }),
    );
    expect(declared.status).toBe(503);
    expect(d.pulled()).toBe(0);

    a.release();
    expect((await first).status).toBe(401); // the signature is wrong: read, then refused by `verify`
    b.release();
    expect((await second).status).toBe(401);
    const figures = t.webhooks.bodyBytes();
    expect(figures).toMatchObject({ limit: 100 * KiB, held: 0, refused: 2 });
    expect(figures.peak).toBeLessThanOrEqual(100 * KiB);

    // the budget is free again
    const e = streamedBody(1, 10 * KiB);
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, post(e.stream, signed))).status).toBe(401);
  });

  it('refuses a budget smaller than a plugin accepts, or one that is not a positive number', () => {
    for (const webhookBodyBudgetBytes of [32 * KiB, 0, -1, 1.5, Number.NaN]) {
      expect(() => createTrainlytics(h.options({ webhookBodyBudgetBytes }))).toThrow(ConfigurationError);
    }
    expect(() => createTrainlytics(h.options({ webhookBodyBudgetBytes: 32 * KiB }))).toThrow(
      /smaller than the Testfit plugin's webhooks.maxBodyBytes \(65536\)/,
    );
  });
});
