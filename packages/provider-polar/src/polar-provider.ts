import { defineProvider, type ProviderContext, ReauthorizationRequiredError } from '@trainlytics/core';
import { describePolarError } from './polar-error';
import { fetchPolarExercise, listPolarExercises, listPolarExerciseTransactions } from './polar-exercises';
import {
  deregisterPolarUser,
  exchangePolarCode,
  fetchPolarProfile,
  polarAuthorizationUrl,
  registerPolarUser,
} from './polar-oauth';
import { polarRateLimit } from './polar-rate-limit';
import { createPolarSettings, POLAR_SCOPE_READ_ALL, type PolarSettingsOptions } from './polar-settings';
import { createPolarStreams } from './polar-streams';
import {
  createPolarWebhook,
  createPolarWebhookHandler,
  deletePolarWebhook,
  listPolarWebhooks,
  type PolarWebhookAdminOptions,
} from './polar-webhooks';
import { VERSION } from './version';

export interface PolarProviderOptions extends PolarSettingsOptions {
  /** Scopes requested when the host app does not choose (default `accesslink.read_all`). */
  scopes?: string[];
  /**
   * `exercises` (default): the current non-transactional `GET /v3/exercises` (last 30 days).
   * `transactional`: the deprecated exercise transactions (create, list, fetch, commit after storing).
   */
  exerciseFlow?: 'exercises' | 'transactional';
  /** Send `redirect_uri` to Polar (default true); see `PolarOAuthOptions`. */
  sendRedirectUri?: boolean;
  /** Activities per page handed to the sync engine in the non-transactional flow (default 100). */
  pageSize?: number;
}

/**
 * The Polar AccessLink v3 plugin.
 *
 * ```ts
 * polar({ clientId, clientSecret, webhookSecret }) // or POLAR_CLIENT_ID, POLAR_CLIENT_SECRET, POLAR_WEBHOOK_SECRET
 * ```
 * Tokens never refresh (a 401 means the user must reconnect); the user is registered with AccessLink right
 * after the code exchange and deregistered on disconnect; EXERCISE webhooks are HMAC-signed.
 */
export function polar(options: PolarProviderOptions = {}) {
  const settings = createPolarSettings(options);
  const oauthOptions =
    options.sendRedirectUri === undefined ? {} : { sendRedirectUri: options.sendRedirectUri };
  const adminOptions: PolarWebhookAdminOptions = options;

  return defineProvider({
    specificationVersion: 'v1',
    id: 'polar',
    name: 'Polar',
    capabilities: { refresh: false, pkce: false, webhooks: true, backfill: 'pull', registration: true },
    userAgent: `provider-polar/${VERSION}`,
    /** The `fetch` option: core's HTTP client sends every request of this provider through it (else the host's). */
    fetch: options.fetch,
    oauth: {
      defaultScopes: options.scopes ?? [POLAR_SCOPE_READ_ALL],
      checkConfiguration: () => settings.checkCredentials(),
      authorizationUrl: (params) => polarAuthorizationUrl(settings, oauthOptions, params),
      exchangeCode: (params, ctx) => exchangePolarCode(settings, oauthOptions, params, ctx),
      revoke: (ctx) => deregisterPolarUser(settings, ctx),
    },
    afterAuthorize: (ctx, result) => registerPolarUser(settings, ctx, result),
    fetchProfile(ctx) {
      const id = ctx.connection.providerUserId;
      if (!id) {
        throw new ReauthorizationRequiredError('The Polar connection has no Polar user id', {
          provider: 'polar',
        });
      }
      return fetchPolarProfile(settings, ctx, id);
    },
    listActivities(ctx, request) {
      return options.exerciseFlow === 'transactional'
        ? listPolarExerciseTransactions(settings, ctx)
        : listPolarExercises(settings, options, ctx, request);
    },
    fetchChanged: (ctx, ref) => fetchPolarExercise(settings, ctx, ref),
    /** Samples, route and laps: one `GET /v3/exercises/{id}?samples=true&zones=true&route=true` (ADR 0034). */
    streams: createPolarStreams(settings),
    webhooks: createPolarWebhookHandler(settings),
    rateLimit: polarRateLimit,
    describeError: describePolarError,
    /**
     * Manages the client's webhook with this plugin's credentials and API URL; pass the runtime's context
     * (`trainlytics.providerContext('polar')`) to send the calls through the instance's client.
     */
    webhookSubscriptions: {
      create: (params: { url: string; events?: string[] }, context?: ProviderContext) =>
        createPolarWebhook(params, withContext(adminOptions, context)),
      list: (context?: ProviderContext) => listPolarWebhooks(withContext(adminOptions, context)),
      delete: (id: string, context?: ProviderContext) =>
        deletePolarWebhook(id, withContext(adminOptions, context)),
    },
  });
}

export type PolarProvider = ReturnType<typeof polar>;

const withContext = (options: PolarWebhookAdminOptions, context: ProviderContext | undefined) =>
  context ? { ...options, context } : options;
