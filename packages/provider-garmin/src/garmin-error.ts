import { garminErrorBodySchema } from './garmin-api';

function readMessage(body: string): string | undefined {
  try {
    const parsed = garminErrorBodySchema.safeParse(JSON.parse(body));
    if (!parsed.success) return undefined;
    const b = parsed.data;
    return b.errorMessage ?? b.error_description ?? b.message ?? b.error;
  } catch {
    return undefined;
  }
}

/** Turns a Garmin error response into a message a person can act on. */
export function describeGarminError(info: {
  status: number;
  body: string;
  operation?: string;
}): { message?: string; hint?: string } | undefined {
  const what = info.operation ? `'${info.operation}'` : 'the request';
  const detail = readMessage(info.body);
  const suffix = detail ? `: ${detail}` : '';
  switch (info.status) {
    case 400:
      return {
        message: `Garmin rejected ${what} as invalid (HTTP 400)${suffix}`,
        hint: 'pull windows are limited to 24 hours of upload time and backfill windows to 30 days',
      };
    case 401:
      return {
        message: `Garmin refused the access token for ${what} (HTTP 401)${suffix}`,
        hint: 'the user must reconnect Garmin if this persists',
      };
    case 403:
      return {
        message: `Garmin denied ${what} (HTTP 403)${suffix}`,
        hint: 'the user has not shared this data with the app: ask them to enable it in Garmin Connect (Settings > Connected Apps) or reconnect',
      };
    case 412:
      return {
        message: `Garmin says the user is not registered for ${what} (HTTP 412)${suffix}`,
        hint: 'the user deregistered the app; they must reconnect Garmin',
      };
    default:
      return detail ? { message: `Garmin ${what} failed with HTTP ${info.status}${suffix}` } : undefined;
  }
}
