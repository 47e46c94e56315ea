import {
  InsufficientScopeError,
  OAuthError,
  OAuthStateError,
  type TrainlyticsError,
} from '@trainlytics/core';

/**
 * What a person reads when connecting a provider failed, in their words: no OAuth codes in the headline
 * (the error's own message, codes included, goes behind "Technical detail").
 */
export function connectFailureMessage(providerName: string, error: TrainlyticsError): string {
  // core reports a refused consent page as InsufficientScopeError granting nothing (access_denied)
  const declined =
    (OAuthError.isInstance(error) && error.code === 'access_denied') ||
    (InsufficientScopeError.isInstance(error) &&
      error.granted.length === 0 &&
      error.message.includes('access_denied'));
  if (declined) {
    return `You chose not to connect ${providerName}: nothing was shared or stored. You can try again at any time.`;
  }
  if (InsufficientScopeError.isInstance(error)) {
    return `${providerName} was not connected: the app needs permission to read your activities. Try again and keep the activity permissions checked on the ${providerName} page.`;
  }
  if (OAuthStateError.isInstance(error)) {
    return `This ${providerName} connection link has expired or was already used. Start again from the dashboard.`;
  }
  return `${providerName} did not finish connecting your account. Try again in a moment; if it keeps failing, the technical detail below helps whoever runs this app.`;
}
