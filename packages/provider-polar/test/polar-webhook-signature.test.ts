import type { ProviderContext, WebhookRequest } from '@trainlytics/core';
import { WebhookVerificationError } from '@trainlytics/core';
import { describe, expect, it } from 'vitest';
import { isValidPolarSignature, polar, signPolarWebhook } from '../src';
import { PolarSandbox, startPolarSandbox } from '../src/sandbox';
import { sandboxPolarSignature } from '../src/sandbox/sign-webhook';

/**
 * Known-answer vectors for `Polar-Webhook-Signature` (providers.md §3.4: HMAC-SHA256 over the raw body with the
 * webhook's signature_secret_key, lower-case hex), computed with OpenSSL, not with any code of this repository:
 *
 *   printf '%s' '<body>' > body.json                      # exactly the bytes of `body` below, no newline
 *   openssl dgst -sha256 -hmac '<secret>' body.json       # -> sha256
 *   openssl dgst -sha1   -hmac '<secret>' body.json       # -> sha1 (what a wrong signer would produce)
 *
 * The second body holds a non-ASCII character and ends with a newline, to pin "the raw bytes" (UTF-8):
 *
 *   printf '{"event":"EXERCISE","user_id":9007199254740993,"entity_id":"Zx9\xc3\xbc","timestamp":"2026-03-01T12:00:00.000Z"}\n' > body2.json
 *   openssl dgst -sha256 -hmac 'p0lar-w3bhook-s3cret' body2.json
 */
const VECTORS = [
  {
    name: 'the documented EXERCISE payload',
    secret: 'fd8a0b7a-7d4f-4a1e-9c61-2f0d3c8e5b17',
    body: '{"event":"EXERCISE","user_id":475,"entity_id":"aQlC83","timestamp":"2018-05-15T14:22:24Z","url":"https://www.polaraccesslink.com/v3/exercises/aQlC83"}',
    sha256: '568b48d1d8bd12aa859b4e79dc0ab0295851127ced8e90d4971b23b23ea808cf',
    sha1: '18de6fde119c7b3e314be321354064b07284501b',
  },
  {
    name: 'a UTF-8 body with a trailing newline',
    secret: 'p0lar-w3bhook-s3cret',
    body: '{"event":"EXERCISE","user_id":9007199254740993,"entity_id":"Zx9ü","timestamp":"2026-03-01T12:00:00.000Z"}\n',
    sha256: '2c9cb9a16e3d3c02ba3293937f13cb8c68b6102effeed37658010cbeb3486a8e',
  },
] as const;

function webhookRequest(body: string, headers: Record<string, string>): WebhookRequest {
  return {
    method: 'POST',
    url: new URL('https://app.example.com/webhooks/polar'),
    headers: new Headers(headers),
    body: new TextEncoder().encode(body),
    text: () => body,
    json: () => JSON.parse(body),
  };
}

describe('Polar webhook signatures: known-answer vectors computed with openssl', () => {
  for (const vector of VECTORS) {
    it(`the plugin signs and verifies ${vector.name}`, () => {
      const bytes = new TextEncoder().encode(vector.body);
      expect(signPolarWebhook(bytes, vector.secret)).toBe(vector.sha256);
      expect(isValidPolarSignature(bytes, vector.sha256, vector.secret)).toBe(true);

      const provider = polar({ webhookSecret: vector.secret });
      const request = webhookRequest(vector.body, { 'polar-webhook-signature': vector.sha256 });
      expect(() => provider.webhooks.verify(request, {} as ProviderContext)).not.toThrow();
    });

    it(`the sandbox signs ${vector.name} as Polar does, without the plugin's signer`, () => {
      expect(sandboxPolarSignature(vector.body, vector.secret)).toBe(vector.sha256);
      expect(sandboxPolarSignature(new TextEncoder().encode(vector.body), vector.secret)).toBe(vector.sha256);
    });
  }

  it('refuses a delivery signed with HMAC-SHA1 or with another key', () => {
    const [vector] = VECTORS;
    const provider = polar({ webhookSecret: vector.secret });
    const sha1 = webhookRequest(vector.body, { 'polar-webhook-signature': vector.sha1 });
    expect(() => provider.webhooks.verify(sha1, {} as ProviderContext)).toThrow(WebhookVerificationError);
    const otherKey = polar({ webhookSecret: VECTORS[1].secret });
    const signed = webhookRequest(vector.body, { 'polar-webhook-signature': vector.sha256 });
    expect(() => otherKey.webhooks.verify(signed, {} as ProviderContext)).toThrow(WebhookVerificationError);
  });

  /**
   * The sandbox's own wire bytes, pinned: the PING it POSTs at 2026-03-01T12:00:00.000Z with its default
   * signature_secret_key. Computed with OpenSSL, not with this repository's code:
   *
   *   printf '%s' '{"timestamp":"2026-03-01T12:00:00.000Z","event":"PING"}' > ping.json
   *   openssl dgst -sha256 -hmac 'polar-sandbox-signature-secret-key' ping.json
   */
  it("the sandbox's PING delivery carries the openssl signature, which the plugin's verifier accepts", async () => {
    const expected = '8f766e850374733b8e1821a61aa9fe9855c26b688203a7c4e145224e0b2f64ca';
    const sent: { url: string; headers: Headers; body: string }[] = [];
    const sandbox = new PolarSandbox({
      clock: { now: () => new Date('2026-03-01T12:00:00.000Z'), sleep: async () => {} },
      fetch: async (url, init) => {
        sent.push({ url: String(url), headers: new Headers(init?.headers), body: String(init?.body) });
        return new Response('OK');
      },
    });
    expect(sandbox.webhookSecret).toBe('polar-sandbox-signature-secret-key');
    await sandbox.sendWebhook({ type: 'ping' }, 'https://app.example.com/webhooks/polar');
    expect(sent).toHaveLength(1);
    const [{ headers, body }] = sent as [(typeof sent)[number]];
    expect(body).toBe('{"timestamp":"2026-03-01T12:00:00.000Z","event":"PING"}');
    expect(headers.get('polar-webhook-event')).toBe('PING');
    expect(headers.get('polar-webhook-signature')).toBe(expected);
    expect(isValidPolarSignature(new TextEncoder().encode(body), expected, sandbox.webhookSecret)).toBe(true);
    const provider = polar({ webhookSecret: sandbox.webhookSecret });
    const request = webhookRequest(body, { 'polar-webhook-signature': expected });
    expect(() => provider.webhooks.verify(request, {} as ProviderContext)).not.toThrow();
  });

  it("the plugin accepts the sandbox's deliveries, and the sandbox signs them with its own signer", async () => {
    const sandbox = await startPolarSandbox();
    try {
      const provider = sandbox.createProvider();
      const request = await sandbox.webhookRequest({
        type: 'activity.created',
        providerUserId: '475',
        providerActivityId: 'aQlC83',
      });
      const body = await request!.text();
      const signature = request!.headers.get('polar-webhook-signature');
      expect(signature).toBe(sandboxPolarSignature(body, sandbox.webhookSecret));
      expect(request!.headers.get('polar-webhook-event')).toBe('EXERCISE');
      expect(() =>
        provider.webhooks.verify(
          webhookRequest(body, { 'polar-webhook-signature': signature! }),
          {} as ProviderContext,
        ),
      ).not.toThrow();
    } finally {
      await sandbox.close();
    }
  });
});
