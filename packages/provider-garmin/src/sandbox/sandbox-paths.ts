/** Garmin's own paths, served by the sandbox, so pointing a plugin at it only changes the origins. */

/** The Health/Activity API's base path (the plugin's `apiUrl` is the origin plus this). */
export const SANDBOX_API_PATH = '/wellness-api/rest';
/** The consent page (`connect.garmin.com/oauth2Confirm` at Garmin). */
export const SANDBOX_AUTHORIZE_PATH = '/oauth2Confirm';
/** The OAuth 2.0 token endpoint (`diauth.garmin.com/di-oauth2-service/oauth/token` at Garmin). */
export const SANDBOX_TOKEN_PATH = '/di-oauth2-service/oauth/token';
