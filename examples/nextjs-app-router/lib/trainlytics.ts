import { createTrainlytics, type Trainlytics, TrainlyticsError } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { garmin } from '@trainlytics/provider-garmin';
import { polar } from '@trainlytics/provider-polar';
import { strava } from '@trainlytics/provider-strava';

// Created on first use, not at import: `next build` loads the routes without the runtime environment.
let instance: Trainlytics | undefined;
export const trainlytics = (): Trainlytics =>
  // Each plugin reads its settings from the environment when first needed (STRAVA_*, GARMIN_*, POLAR_*).
  (instance ??= createTrainlytics({
    store: postgresStore({ connectionString: process.env.DATABASE_URL! }),
    providers: [strava(), garmin(), polar()],
    encryptionKey: process.env.TRAINLYTICS_ENCRYPTION_KEY, // optional: tokens encrypted at rest
    // A serverless function may stop once it answered: process each webhook before answering it.
    webhookProcessing: 'inline',
  }));

// Stands in for your sign-in (read the session per request): the user's id in your `users` table (the row
// must exist).
export const userId = Number(process.env.DEMO_USER_ID ?? 1);

// A route handler for /…/[provider]. Trainlytics' typed errors (consent declined, expired link, missing
// settings) say what to do: show them to the user instead of a 500.
export const providerRoute =
  (handler: (request: Request, provider: string) => Promise<Response>) =>
  async (request: Request, { params }: { params: Promise<{ provider: string }> }) =>
    handler(request, (await params).provider).catch((error: unknown) => {
      if (TrainlyticsError.isInstance(error)) return new Response(error.message, { status: 400 });
      throw error;
    });
