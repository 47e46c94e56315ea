import { providerRoute, trainlytics, userId } from '../../../lib/trainlytics';

// GET /callback/strava?code=…&state=…: store the connection, then run its first (full) sync.
export const GET = providerRoute(async (request, provider) => {
  const callbackParams = new URL(request.url).searchParams; // every parameter: code, state, scope, error
  const connection = await trainlytics().connect.finish(provider, { callbackParams, userId });
  await trainlytics().sync(connection.id, { full: true, maxRateLimitWaitMs: 5_000 });
  return Response.redirect(new URL('/', request.url), 302);
});
