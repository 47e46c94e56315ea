import type { SandboxActivity } from '../generate-history';
import { generateStreams } from '../generate-streams';
import { sendJson } from '../sandbox-http';
import type { ApiRequest } from './api-request';

/**
 * `GET /activities/{id}/streams` of a visible activity: every generated stream as an array of
 * `{ type, … }`, or with `key_by_type=true` an object of the `keys` asked for (plus `distance`, which
 * Strava always adds).
 */
export function streamsRoute(request: ApiRequest, activity: SandboxActivity): void {
  const { res, url, headers } = request;
  const generated = generateStreams(activity);
  if (url.searchParams.get('key_by_type') !== 'true') {
    const list = Object.entries(generated.streams).map(([type, s]) => ({ type, ...s }));
    sendJson(res, 200, list, headers);
    return;
  }
  const keys = (url.searchParams.get('keys') ?? '').split(',').filter(Boolean);
  const wanted = Object.fromEntries(
    Object.entries(generated.streams).filter(([type]) => type === 'distance' || keys.includes(type)),
  );
  sendJson(res, 200, wanted, headers);
}

/** `GET /activities/{id}/laps` of a visible activity: the generated laps. */
export function lapsRoute(request: ApiRequest, activity: SandboxActivity): void {
  sendJson(request.res, 200, generateStreams(activity).laps, request.headers);
}
