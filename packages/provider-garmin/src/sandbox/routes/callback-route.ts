import type { GarminSummaryType } from '../pending-notifications';
import type { StoredSummary } from '../sandbox-history';
import type { SandboxState } from '../sandbox-state';
import type { ApiCall } from './api-gate';

/**
 * A ping's `callbackURL` (the summary endpoint with the ping's `token`): the summaries the ping announced,
 * to the user it announced them to, on its own summary type. Null when the call was answered with a 400
 * (an unknown token, another user's, another summary type's).
 */
export function callbackSummaries(
  state: SandboxState,
  call: ApiCall,
  token: string,
  summaryType: GarminSummaryType,
): StoredSummary[] | null {
  const callback = state.callbacks.get(token);
  if (!callback || callback.userId !== call.user.userId || callback.summaryType !== summaryType) {
    call.reply(400, { errorMessage: 'Unknown or foreign callback token' });
    return null;
  }
  return callback.summaries();
}
