import { providerRoute, trainlytics, userId } from '../../../lib/trainlytics';

// GET /connect/strava: send the signed-in user to the provider's consent page.
export const GET = providerRoute(async (request, provider) => {
  const redirectUri = new URL(`/callback/${provider}`, request.url).href;
  const { url } = await trainlytics().connect.start(provider, { userId, redirectUri });
  return Response.redirect(url, 302);
});
