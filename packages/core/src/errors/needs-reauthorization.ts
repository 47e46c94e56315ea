import { InsufficientScopeError } from './insufficient-scope-error';
import { ReauthorizationRequiredError } from './reauthorization-required-error';

/**
 * Whether a failure can only be fixed by the user going through the provider's consent again: a refused
 * access or refresh token (`ReauthorizationRequiredError`, which also covers Polar's withdrawn consents and,
 * from an older copy of core, `TokenExpiredError`), or a scope or permission the user no longer grants
 * (`InsufficientScopeError`, e.g. Garmin's "Activities" unshared). The sync engine and webhook processing
 * mark such a connection `reauth_required` (status `reauth_required` everywhere: API, dashboard,
 * `connections list`); a reconnect clears it. Any other failure (network, 5xx, a bad payload) leaves the
 * connection `active`, and so does a scope only part of the work needs (`InsufficientScopeError` with
 * `blocking: false`, e.g. Garmin's "Historical data" for a backfill): that run fails saying what to share,
 * the rest keeps syncing.
 */
export function needsReauthorization(error: unknown): boolean {
  return (
    ReauthorizationRequiredError.isInstance(error) ||
    (InsufficientScopeError.isInstance(error) && error.blocking !== false)
  );
}
