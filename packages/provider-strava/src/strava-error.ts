import type { OAuthErrorBody, ProviderErrorDescription } from '@trainlytics/core';
import { type StravaErrorBody, stravaErrorSchema } from './strava-api';

/** Strava's fix for an inactive app, in words (shown in `sync_history`, `connections list`, the dashboard). */
export const STRAVA_INACTIVE_APP_HINT =
  'its owner needs an active Strava subscription and must reactivate the app at https://www.strava.com/settings/api';

/** Strava's fix for a full app, in words (shown on the connect page). */
export const STRAVA_ATHLETE_LIMIT_HINT =
  "the app's limit of connected athletes is reached (Standard tier: 10): the app owner can disconnect an athlete, or apply for Strava's Extended Access for more";

/**
 * `{"message":"Forbidden","errors":[{"resource":"Application","field":"Status","code":"Inactive"}]}`: a
 * Standard-tier app whose owner has no active subscription (Strava's 2026 developer program). Every call of
 * the app gets it, whoever the athlete.
 */
export function isInactiveApp(body: StravaErrorBody): boolean {
  return (body.errors ?? []).some(
    (e) =>
      e.resource?.toLowerCase() === 'application' &&
      e.field?.toLowerCase() === 'status' &&
      e.code?.toLowerCase() === 'inactive',
  );
}

/**
 * Strava's "Limit of connected athletes exceeded" 403. Strava documents only the words (its authorize page
 * shows "Error 403: Limit of connected athletes exceeded"); the JSON body's exact fields are not
 * documented, so any message or error entry naming the limit of connected athletes counts.
 */
export function isAthleteLimit(body: StravaErrorBody): boolean {
  const texts = [body.message, ...(body.errors ?? []).flatMap((e) => [e.resource, e.field, e.code])];
  return texts.some((t) => typeof t === 'string' && /connected athletes|athlete (limit|cap)/i.test(t));
}

/**
 * Turns a Strava error body into a message a person can act on. Strava answers
 * `{"message":"Authorization Error","errors":[{"resource":"Athlete","field":"access_token","code":"invalid"}]}`.
 * Two 403s concern the whole app rather than the athlete and say so through `condition`: an inactive app
 * (`app-suspended`: core pauses every Strava sync) and the athlete cap (`connection-limit`).
 */
export function describeStravaError(info: {
  status: number;
  body: string;
  operation?: string;
}): ProviderErrorDescription | undefined {
  let parsed: ReturnType<typeof stravaErrorSchema.safeParse>;
  try {
    parsed = stravaErrorSchema.safeParse(JSON.parse(info.body));
  } catch {
    return undefined;
  }
  if (!parsed.success) return undefined;
  const { message, errors } = parsed.data;
  const first = errors?.[0];
  const detail = first ? ` (${[first.resource, first.field, first.code].filter(Boolean).join(' ')})` : '';
  const what = info.operation ? `'${info.operation}'` : 'the request';
  const text = `Strava refused ${what} with HTTP ${info.status}: ${message}${detail}`;

  if (info.status === 403 && isInactiveApp(parsed.data)) {
    return {
      message: `Strava refused ${what}: the Strava app is Inactive (HTTP 403)`,
      hint: STRAVA_INACTIVE_APP_HINT,
      condition: 'app-suspended',
      reason: 'inactive',
    };
  }
  if (info.status === 403 && isAthleteLimit(parsed.data)) {
    return {
      message: `Strava refused ${what}: this app has as many connected athletes as Strava allows it (HTTP 403)`,
      hint: STRAVA_ATHLETE_LIMIT_HINT,
      condition: 'connection-limit',
    };
  }
  // the app's own credentials (a wrong client secret: 400 or 401 at the token endpoint), before the
  // status-based hints, which are about the athlete's token (an `Application` 429 is the rate limit)
  const credentials = { message: text, hint: 'check STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET' };
  if (first?.field === 'client_id' || first?.field === 'client_secret') return credentials;
  if (info.status === 401) {
    return {
      message: text,
      hint: 'the access token is invalid or revoked; the athlete may need to reconnect',
    };
  }
  if (info.status === 403) {
    return {
      message: text,
      hint: 'the token lacks a scope this call needs (activity:read or activity:read_all); reconnect and grant it',
    };
  }
  if (info.status === 404) {
    return { message: text, hint: 'the activity or athlete does not exist or is private to the token' };
  }
  if (info.status === 429) {
    return {
      message: text,
      hint: 'the app-wide Strava rate limit is used up; windows reset every quarter-hour and at midnight UTC',
    };
  }
  if (first?.field === 'refresh_token' || first?.resource === 'RefreshToken') {
    return { message: text, hint: 'Strava refused the refresh token: the athlete must reconnect' };
  }
  if (first?.resource === 'Application') return credentials;
  return { message: text };
}

/**
 * Reads the token endpoint's error body (`requestToken`'s `describeTokenError`). Strava does not answer RFC
 * 6749's `{"error"}` but `{"message":"Bad Request","errors":[{"resource":"RefreshToken","field":"refresh_token","code":"invalid"}]}`:
 * the code becomes `field:code` (`refresh_token:invalid`), the description the message. A body with a string
 * `error`, or any other body, is left to core's RFC 6749 reading (undefined).
 */
export function describeStravaTokenError(info: { status: number; body: string }): OAuthErrorBody | undefined {
  let body: unknown;
  try {
    body = JSON.parse(info.body);
  } catch {
    return undefined;
  }
  if (!body || typeof body !== 'object') return undefined;
  const { error, message, errors } = body as Record<string, unknown>;
  if (typeof error === 'string' || typeof message !== 'string' || !Array.isArray(errors)) return undefined;
  const first = errors[0] as Record<string, unknown> | undefined;
  const code =
    first && typeof first.code === 'string'
      ? `${String(first.field ?? first.resource ?? 'request')}:${first.code}`
      : 'invalid_request';
  return { error: code, description: message };
}
