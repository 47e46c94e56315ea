import { stravaErrorSchema } from './strava-api';

/**
 * Turns a Strava error body into a message a person can act on. Strava answers
 * `{"message":"Authorization Error","errors":[{"resource":"Athlete","field":"access_token","code":"invalid"}]}`.
 */
export function describeStravaError(info: {
  status: number;
  body: string;
  operation?: string;
}): { message?: string; hint?: string } | undefined {
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
