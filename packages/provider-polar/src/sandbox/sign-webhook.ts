import { createHmac } from 'node:crypto';

/**
 * How Polar signs a webhook delivery, written from Polar's documentation (providers.md §3.4) and NOT from the
 * plugin: `Polar-Webhook-Signature` is the lower-case hex HMAC-SHA256 of the raw request body keyed with the
 * webhook's `signature_secret_key`; `Polar-Webhook-Event` names the event. The sandbox must never import the
 * plugin's signer or header names: a wrong algorithm or header in the plugin would then be checked against
 * itself and pass (a planted SHA-1 signer did).
 */
export const SANDBOX_POLAR_EVENT_HEADER = 'Polar-Webhook-Event';
export const SANDBOX_POLAR_SIGNATURE_HEADER = 'Polar-Webhook-Signature';

/** The `Polar-Webhook-Signature` value Polar would send for these body bytes. */
export function sandboxPolarSignature(body: string | Uint8Array, signatureSecretKey: string): string {
  return createHmac('sha256', signatureSecretKey).update(body).digest('hex');
}
