import { serve } from '@hono/node-server';
import { createTrainlytics, TrainlyticsError } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { garmin } from '@trainlytics/provider-garmin';
import { polar } from '@trainlytics/provider-polar';
import { strava } from '@trainlytics/provider-strava';
import { Hono } from 'hono';

// Each plugin reads its settings from the environment when first needed (STRAVA_*, GARMIN_*, POLAR_*).
const trainlytics = createTrainlytics({
  store: postgresStore({ connectionString: process.env.DATABASE_URL! }),
  providers: [strava(), garmin(), polar()],
  encryptionKey: process.env.TRAINLYTICS_ENCRYPTION_KEY, // optional: tokens encrypted at rest
});

// Stands in for your sign-in: the signed-in user's id in your `users` table (the row must exist).
const userId = Number(process.env.DEMO_USER_ID ?? 1);

const app = new Hono();

// 1. Send the user to the provider's consent page.
app.get('/connect/:provider', async (c) => {
  const provider = c.req.param('provider');
  const redirectUri = new URL(`/callback/${provider}`, c.req.url).href;
  const { url } = await trainlytics.connect.start(provider, { userId, redirectUri });
  return c.redirect(url);
});

// 2. The provider sends the user back: store the connection, then the first (full) sync.
app.get('/callback/:provider', async (c) => {
  const connection = await trainlytics.connect.finish(c.req.param('provider'), {
    callbackParams: new URL(c.req.url).searchParams, // every parameter: code, state, scope, error
    userId,
  });
  await trainlytics.sync(connection.id, { full: true, maxRateLimitWaitMs: 5_000 });
  return c.redirect('/');
});

// 3. Webhooks (Strava's GET challenge too): a Fetch Request in, a Response out.
app.all('/webhooks/:provider', (c) => trainlytics.webhooks.handle(c.req.param('provider'), c.req.raw));

// 4. The user's connections (never their tokens) and recent activities (without the raw payloads).
app.get('/', async (c) =>
  c.json({
    connections: await trainlytics.connections.list({ userId }),
    activities: (await trainlytics.activities.list({ userId, limit: 20 })).map(
      ({ raw, ...activity }) => activity,
    ),
  }),
);

// Trainlytics' typed errors (consent declined, expired link, missing settings) say what to do: show them.
app.onError((error, c) =>
  TrainlyticsError.isInstance(error) ? c.text(error.message, 400) : c.text('Internal error', 500),
);

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) }, (info) =>
  console.log(`Listening on http://localhost:${info.port}`),
);
process.on('SIGTERM', async () => {
  server.close();
  await trainlytics.webhooks.idle(); // webhooks are processed after the answer: finish them
  await trainlytics.close();
});
