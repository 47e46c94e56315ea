import { providerRoute, trainlytics } from '../../../lib/trainlytics';

// Strava's GET challenge and every provider's POST: a Fetch Request in, a Response out.
export const GET = providerRoute((request, provider) => trainlytics().webhooks.handle(provider, request));
export const POST = GET;
