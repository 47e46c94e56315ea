import { toDetailed } from '../generate-activity';
import { sendJson, stravaError } from '../sandbox-http';
import type { SandboxState } from '../sandbox-state';
import type { ApiRequest } from './api-request';
import { lapsRoute, streamsRoute } from './streams';

const ACTIVITY_PATH = /^\/activities\/(\d+)(?:\/(streams|laps))?$/;

/** Whether the path is `/activities/{id}`, `/activities/{id}/streams` or `/activities/{id}/laps`. */
export function isActivityPath(path: string): boolean {
  return ACTIVITY_PATH.test(path);
}

/**
 * `GET /activities/{id}` (the DetailedActivity) and its `/streams` and `/laps`, with the same visibility
 * rules for all three: 404 for an unknown or deleted activity, for a private one without
 * `activity:read_all`, and for a token without any activity scope.
 */
export function activityRoute(state: SandboxState, request: ApiRequest): void {
  const { res, headers } = request;
  const match = ACTIVITY_PATH.exec(request.path)!;
  const activity = state.athletes.activity(request.athleteId, match[1]!);
  const visible =
    activity &&
    (activity.private !== true || request.can('activity:read_all')) &&
    request.can('activity:read', 'activity:read_all');
  if (!activity || !visible) {
    sendJson(res, 404, stravaError('Record Not Found', 'Activity', 'id', 'invalid'), headers);
  } else if (match[2] === 'streams') streamsRoute(request, activity);
  else if (match[2] === 'laps') lapsRoute(request, activity);
  else sendJson(res, 200, toDetailed(activity), headers);
}
