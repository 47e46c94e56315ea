import { athleteJson } from '../generate-athlete';
import { sendJson } from '../sandbox-http';
import type { SandboxState } from '../sandbox-state';
import type { ApiRequest } from './api-request';

/** `GET /athlete`: the DetailedAthlete with `profile:read_all`, else the SummaryAthlete. */
export function athleteRoute(state: SandboxState, request: ApiRequest): void {
  const account = state.athletes.get(request.athleteId);
  sendJson(request.res, 200, athleteJson(account, request.can('profile:read_all')), request.headers);
}
