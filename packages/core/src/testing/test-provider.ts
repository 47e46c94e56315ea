import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ValidationError, WebhookVerificationError } from '../errors/errors';
import { createActivity } from '../model/activity';
import type { JsonValue } from '../model/json';
import { createProfile } from '../model/profile';
import { createSportTypeMapper } from '../model/sport-type';
import { parseLocalDateTime, toLocalDateTimeString } from '../model/time';
import { defineProvider } from '../provider/define-provider';
import type { ActivityPage } from '../provider/v1/activities';
import type { ConnectionContext } from '../provider/v1/context';
import type { ProviderV1 } from '../provider/v1/provider-v1';
import type { WebhookEvent } from '../provider/v1/webhook';
import { requestToken, tokenSetFromResponse } from '../provider-utils/oauth';
import { mapActivityItems, validatePayload } from '../provider-utils/validate';

/** The id of the test provider; add it to the database enum: `ALTER TYPE provider_type ADD VALUE 'testfit'`. */
export const TEST_PROVIDER_ID = 'testfit';

export interface TestProviderSettings {
  /** The test server's origin (`startTestProviderServer().baseUrl`). */
  baseUrl: string;
  clientId?: string;
  clientSecret?: string;
  /** Signs webhook bodies (HMAC-SHA256, hex, `x-testfit-signature` header). */
  webhookSecret?: string;
  /** Activities per page (default 5). */
  pageSize?: number;
  /** `false` plays a provider without refresh tokens (like Polar): expired tokens need a reconnect. */
  refresh?: boolean;
}

const activitySchema = z.object({
  id: z.string().min(1),
  seq: z.number().int(),
  name: z.string().nullable(),
  sport: z.string(),
  start_time: z.iso.datetime({ offset: true }),
  utc_offset_s: z.number().int(),
  elapsed_s: z.number().int().nonnegative(),
  moving_s: z.number().int().nonnegative().nullable(),
  distance_m: z.number().nonnegative().nullable(),
  avg_hr: z.number().positive().nullable(),
  manual: z.boolean(),
});
type TestActivity = z.infer<typeof activitySchema>;

const listSchema = z.object({
  items: z.array(z.unknown()),
  last_seq: z.number().int(),
  has_more: z.boolean(),
});
const profileSchema = z.object({
  id: z.string(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  city: z.string().nullable(),
});
const webhookSchema = z.object({
  event_id: z.string().min(1),
  type: z.enum(['activity.created', 'activity.updated', 'activity.deleted', 'deauthorized']),
  user_id: z.string().min(1),
  activity_id: z.string().optional(),
});

const sportType = createSportTypeMapper({
  Run: 'run',
  TrailRun: 'trail_run',
  Ride: 'ride',
  Swim: 'swim',
  Walk: 'walk',
});

function mapActivity(item: TestActivity, raw: unknown) {
  const start = new Date(item.start_time);
  return createActivity({
    providerActivityId: item.id,
    name: item.name,
    sportType: sportType(item.sport),
    providerSportType: item.sport,
    startDate: start,
    startDateLocal: parseLocalDateTime(toLocalDateTimeString(start, item.utc_offset_s)),
    utcOffsetS: item.utc_offset_s,
    elapsedTimeS: item.elapsed_s,
    movingTimeS: item.moving_s,
    distanceM: item.distance_m,
    averageHeartrate: item.avg_hr,
    isManual: item.manual,
    raw: raw as JsonValue,
  });
}

function readCursor(cursor: JsonValue | null): number {
  if (cursor && typeof cursor === 'object' && !Array.isArray(cursor) && typeof cursor.afterSeq === 'number') {
    return cursor.afterSeq;
  }
  return 0;
}

/**
 * "Testfit", a tiny provider for core's own tests and for the provider conformance suite's self-test:
 * OAuth with PKCE and rotating refresh tokens, a sequence-numbered activity list (cursor = last sequence
 * seen), signed webhooks. It talks to `startTestProviderServer()`.
 */
export function createTestProvider(settings: TestProviderSettings): ProviderV1 {
  const base = settings.baseUrl.replace(/\/+$/, '');
  const clientId = settings.clientId ?? 'test-client';
  const clientSecret = settings.clientSecret ?? 'test-secret';
  const webhookSecret = settings.webhookSecret ?? 'test-webhook-secret';
  const pageSize = settings.pageSize ?? 5;
  const canRefresh = settings.refresh ?? true;

  async function fetchActivity(ctx: ConnectionContext, id: string) {
    const res = await ctx.http.request({
      url: `${base}/api/activities/${encodeURIComponent(id)}`,
      auth: 'user',
      operation: 'get activity',
    });
    return mapActivityItems([res.data], {
      provider: TEST_PROVIDER_ID,
      schema: activitySchema,
      map: mapActivity,
    });
  }

  return defineProvider({
    specificationVersion: 'v1',
    id: TEST_PROVIDER_ID,
    name: 'Testfit',
    capabilities: { refresh: canRefresh, pkce: true, webhooks: true, backfill: 'pull', registration: false },
    oauth: {
      defaultScopes: ['activity:read'],
      authorizationUrl({ state, redirectUri, scopes, codeChallenge }) {
        const url = new URL(`${base}/oauth/authorize`);
        url.searchParams.set('client_id', clientId);
        url.searchParams.set('response_type', 'code');
        url.searchParams.set('redirect_uri', redirectUri);
        url.searchParams.set('scope', scopes.join(' '));
        url.searchParams.set('state', state);
        if (codeChallenge) {
          url.searchParams.set('code_challenge', codeChallenge);
          url.searchParams.set('code_challenge_method', 'S256');
        }
        return url;
      },
      async exchangeCode({ code, redirectUri, codeVerifier }, ctx) {
        const response = await requestToken(ctx, {
          provider: TEST_PROVIDER_ID,
          providerName: 'Testfit',
          url: `${base}/oauth/token`,
          operation: 'token exchange',
          form: {
            grant_type: 'authorization_code',
            code,
            redirect_uri: redirectUri,
            code_verifier: codeVerifier,
            client_id: clientId,
            client_secret: clientSecret,
          },
        });
        const userId = response.raw.user_id;
        return {
          tokens: tokenSetFromResponse(response, ctx.clock.now(), { scopeSeparator: ' ' }),
          ...(typeof userId === 'string' ? { providerUserId: userId } : {}),
        };
      },
      ...(canRefresh
        ? {
            async refresh({ refreshToken }, ctx) {
              const response = await requestToken(ctx, {
                provider: TEST_PROVIDER_ID,
                providerName: 'Testfit',
                url: `${base}/oauth/token`,
                operation: 'token refresh',
                form: {
                  grant_type: 'refresh_token',
                  refresh_token: refreshToken,
                  client_id: clientId,
                  client_secret: clientSecret,
                },
              });
              return tokenSetFromResponse(response, ctx.clock.now(), { scopeSeparator: ' ' });
            },
          }
        : {}),
      async revoke(ctx) {
        await ctx.http.request({
          method: 'POST',
          url: `${base}/oauth/revoke`,
          auth: 'user',
          operation: 'revoke',
        });
      },
    },
    async fetchProfile(ctx) {
      const res = await ctx.http.request({
        url: `${base}/api/me`,
        auth: 'user',
        operation: 'get profile',
        schema: profileSchema,
      });
      const p = res.data;
      return createProfile({
        providerUserId: p.id,
        firstName: p.first_name,
        lastName: p.last_name,
        city: p.city,
        raw: p,
      });
    },
    async *listActivities(ctx, request): AsyncIterable<ActivityPage> {
      let afterSeq = request.full ? 0 : readCursor(request.cursor);
      for (;;) {
        const res = await ctx.http.request({
          url: `${base}/api/activities`,
          query: { after_seq: afterSeq, limit: pageSize },
          auth: 'user',
          operation: 'list activities',
          schema: listSchema,
        });
        const batch = await mapActivityItems(res.data.items, {
          provider: TEST_PROVIDER_ID,
          schema: activitySchema,
          map: mapActivity,
        });
        afterSeq = Math.max(afterSeq, res.data.last_seq);
        yield { ...batch, cursor: { afterSeq } };
        if (!res.data.has_more) return;
      }
    },
    async fetchChanged(ctx, ref) {
      return fetchActivity(ctx, String(ref));
    },
    webhooks: {
      maxBodyBytes: 64 * 1024,
      handshake(request) {
        const challenge = request.url.searchParams.get('challenge');
        if (request.method !== 'GET' || !challenge) return null;
        return {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ challenge }),
        };
      },
      verify(request) {
        const given = request.headers.get('x-testfit-signature') ?? '';
        const expected = createHmac('sha256', webhookSecret).update(request.body).digest('hex');
        const a = Buffer.from(given);
        const b = Buffer.from(expected);
        if (a.length !== b.length || !timingSafeEqual(a, b)) {
          throw new WebhookVerificationError('The Testfit webhook signature does not match the body', {
            provider: TEST_PROVIDER_ID,
            status: 401,
          });
        }
      },
      async parse(request) {
        const body = await validatePayload(webhookSchema, request.json(), {
          provider: TEST_PROVIDER_ID,
          entity: 'webhook',
        });
        const common = { providerUserId: body.user_id, eventKey: body.event_id };
        const needsActivity = () => {
          if (!body.activity_id) {
            throw new ValidationError(`Testfit ${body.type} webhook has no activity_id`, {
              provider: TEST_PROVIDER_ID,
              entity: 'webhook',
              issues: [{ path: 'activity_id', message: 'required for activity events' }],
            });
          }
          return body.activity_id;
        };
        const events: WebhookEvent[] = [];
        if (body.type === 'deauthorized') events.push({ ...common, type: 'connection.deauthorized' });
        else if (body.type === 'activity.deleted')
          events.push({ ...common, type: 'activity.deleted', providerActivityId: needsActivity() });
        else events.push({ ...common, type: 'activity.changed', ref: needsActivity() });
        return events;
      },
    },
    rateLimit: {
      parse(headers, now) {
        const limit = Number(headers.get('x-ratelimit-limit'));
        const used = Number(headers.get('x-ratelimit-used'));
        if (!Number.isFinite(limit) || !Number.isFinite(used) || !headers.has('x-ratelimit-limit')) return [];
        const reset = Number(headers.get('x-ratelimit-reset'));
        return [
          {
            bucket: 'overall',
            windows: [
              {
                name: 'window',
                limit,
                used,
                resetsAt:
                  Number.isFinite(reset) && reset > 0
                    ? new Date(reset * 1000)
                    : new Date(now.getTime() + 60_000),
              },
            ],
          },
        ];
      },
    },
    describeError({ status, body }) {
      try {
        const parsed = JSON.parse(body) as { message?: unknown };
        if (typeof parsed.message === 'string')
          return { message: `Testfit answered HTTP ${status}: ${parsed.message}` };
      } catch {
        /* not JSON */
      }
      return undefined;
    },
  });
}
