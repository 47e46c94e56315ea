import { ProviderApiError, ReauthorizationRequiredError } from '@trainlytics/core';
import { polarErrorBodySchema } from './polar-api';

const CONSENT_HINT =
  'ask the user to sign in to Polar Flow (flow.polar.com), accept the mandatory data-sharing consents, then connect again';

function readBody(body: string): { message?: string; error?: string } {
  try {
    const parsed = polarErrorBodySchema.safeParse(JSON.parse(body));
    if (!parsed.success) return {};
    const message = parsed.data.message ?? parsed.data.error_description;
    return {
      ...(message ? { message } : {}),
      ...(parsed.data.error ? { error: parsed.data.error } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * Turns a Polar error response into a message a person can act on. Polar answers errors with
 * `{"timestamp","status","errorType","message","corrId"}` (OAuth endpoints with `{"error"}`).
 */
export function describePolarError(info: {
  status: number;
  body: string;
  operation?: string;
}): { message?: string; hint?: string } | undefined {
  const { status, operation } = info;
  const body = readBody(info.body);
  const detail = body.message ? `: ${body.message}` : '';
  const during = operation ? ` (${operation})` : '';
  switch (status) {
    case 401:
      return {
        message: `Polar refused the access token${during}: it was revoked by the user or the partner, and Polar tokens cannot be refreshed: the user must reconnect Polar`,
        hint: 'the user must connect Polar again',
      };
    case 403:
      if (operation === 'register user') {
        return {
          message: `Polar refused to register the user: they have not accepted Polar's mandatory consents${detail}`,
          hint: CONSENT_HINT,
        };
      }
      return {
        message: `Polar refused${during}: the user has not accepted Polar's mandatory consents or is not registered${detail}`,
        hint: CONSENT_HINT,
      };
    case 404:
      return { message: `Polar has no such resource${during}${detail}` };
    case 409:
      if (operation === 'create webhook') {
        return {
          message: `Polar already has a webhook for this client (one per client)${detail}`,
          hint: 'list it with listPolarWebhooks and delete it first, or keep using it',
        };
      }
      return undefined;
    case 429:
      return {
        message: `Polar rate limit reached${during}${detail}`,
        hint: 'Polar limits are per partner (500 + 20 per user per 15 min); the next sync resumes',
      };
    default:
      return body.message ? { message: `Polar${during} failed with HTTP ${status}${detail}` } : undefined;
  }
}

/**
 * Polar answers 403 to any user call when the user has not accepted (or withdrew) the mandatory consents:
 * nothing works until they accept them and connect again, so it is reported as `ReauthorizationRequiredError`
 * carrying the described message and hint.
 */
export async function withConsentCheck<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (ProviderApiError.isInstance(error) && error.status === 403) {
      throw new ReauthorizationRequiredError(error.message, {
        provider: 'polar',
        hint: error.hint ?? CONSENT_HINT,
        cause: error,
      });
    }
    throw error;
  }
}
