import {
  LegacyDropRefusedError,
  LegacySchemaMissingError,
  MigrationTargetError,
} from '@trainlytics/migrations';
import { describe, expect, it } from 'vitest';
import { safeReturnTo } from '../src/app/security';
import { streamsPolicyFromFlags } from '../src/commands/streams-options';
import {
  describeBacklogDuration,
  describeStreamsPlan,
  formatDistance,
  formatDuration,
  formatTable,
  parsePositiveInt,
} from '../src/format';
import { assertCredentials, configuredProviderIds, providersFromEnv } from '../src/providers-from-env';
import { runConcurrently } from '../src/run-concurrently';
import { describeError, UserError } from '../src/user-error';

describe('safeReturnTo', () => {
  const base = 'http://127.0.0.1:3000';
  it.each([
    ['/dashboard?user=1', '/dashboard?user=1'],
    ['/a/b?x=1&y=2', '/a/b?x=1&y=2'],
  ])('keeps the same-origin path %s', (input, expected) => {
    expect(safeReturnTo(input, base)).toBe(expected);
  });
  it.each([
    'https://evil.example/',
    '//evil.example/x',
    '/\\evil.example',
    'dashboard',
    'javascript:alert(1)',
    '',
    null,
  ])('refuses %s', (input) => {
    expect(safeReturnTo(input, base)).toBeNull();
  });
});

describe('formatting', () => {
  it('aligns a table on its widest cells', () => {
    const text = formatTable(
      ['name', 'n'],
      [
        ['Strava', '5'],
        ['Polar', '120'],
      ],
      { alignRight: [1] },
    );
    expect(text.split('\n')).toEqual(['name      n', '------  ---', 'Strava    5', 'Polar   120']);
  });
  it('formats durations and distances, with a dash when unknown', () => {
    expect(formatDuration(59)).toBe('59 s');
    expect(formatDuration(245)).toBe('4 min 05 s');
    expect(formatDuration(3725)).toBe('1 h 02 min');
    expect(formatDuration(null)).toBe('—');
    expect(formatDistance(12345)).toBe('12.35 km');
    expect(formatDistance(null)).toBe('—');
    // swims in metres, whatever the swim
    expect(formatDistance(1500, 'swim')).toBe('1,500 m');
    expect(formatDistance(2345.6, 'open_water_swim')).toBe('2,346 m');
    expect(formatDistance(1500, 'run')).toBe('1.50 km');
  });
  it('parses positive integers or throws a user error', () => {
    expect(parsePositiveInt('42', 'x')).toBe(42);
    for (const bad of ['0', '-1', '1.5', 'abc', '']) {
      expect(() => parsePositiveInt(bad, '--port')).toThrow(UserError);
    }
  });
});

describe('providers from the environment', () => {
  it('enables a provider only when both its client id and secret are set; half of them is an error', () => {
    const env = { STRAVA_CLIENT_ID: '1', STRAVA_CLIENT_SECRET: 's', POLAR_CLIENT_ID: '2' };
    expect(() => configuredProviderIds(env)).toThrow(
      'POLAR_CLIENT_ID is set but POLAR_CLIENT_SECRET is not: set both to use the real Polar API',
    );
    expect(() => providersFromEnv(env)).toThrow(/POLAR_CLIENT_SECRET is not/);
    const complete = { STRAVA_CLIENT_ID: '1', STRAVA_CLIENT_SECRET: 's' };
    expect(configuredProviderIds(complete)).toEqual(['strava']);
    expect(providersFromEnv(complete).map((p) => p.id)).toEqual(['strava']);
    expect(() => assertCredentials('polar', env)).toThrow(
      'Missing Polar credentials: set POLAR_CLIENT_ID and POLAR_CLIENT_SECRET',
    );
    expect(() => assertCredentials('wahoo', env)).toThrow('Unknown provider "wahoo"');
  });

  it('points the plugin at the URL overrides of the environment', () => {
    const [provider] = providersFromEnv({
      STRAVA_CLIENT_ID: '1',
      STRAVA_CLIENT_SECRET: 's',
      STRAVA_AUTHORIZE_URL: 'http://127.0.0.1:9/oauth/authorize',
    });
    const url = provider!.oauth.authorizationUrl({
      state: 'st',
      redirectUri: 'http://127.0.0.1:3000/connect/strava/callback',
      scopes: ['read'],
    });
    expect(url.origin + url.pathname).toBe('http://127.0.0.1:9/oauth/authorize');
    expect(url.searchParams.get('client_id')).toBe('1');
  });
});

describe('runConcurrently', () => {
  it('keeps the order of the items, runs at most N at once and returns failures', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await runConcurrently([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      if (n === 4) throw new Error('four');
      return n * 10;
    });
    expect(most).toBe(3);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      10,
      20,
      30,
      'four',
      50,
      60,
      70,
    ]);
  });
});

describe('describeError', () => {
  it('prints user errors as they are and hides the stack of unexpected ones', () => {
    expect(describeError(new UserError('Bad input'))).toBe('Bad input');
    const unexpected = describeError(new TypeError('x is undefined\n    at somewhere'));
    expect(unexpected).toBe('Unexpected error: x is undefined (set TRAINLYTICS_DEBUG=1 for details)');
  });

  it('prints every migration error as its message, the legacy ones and a lookalike only when marked', () => {
    const refused = new LegacyDropRefusedError(
      'strava_connections still holds 3 rows that were not migrated',
    );
    expect(describeError(refused)).toBe('strava_connections still holds 3 rows that were not migrated');
    const missing = new LegacySchemaMissingError('002_multi_provider.sql', 'no users table', 'run 001 first');
    expect(describeError(missing)).toBe(missing.message);
    expect(describeError(new MigrationTargetError('9', ['001', '002']))).toMatch(
      /^Unknown migration target "9"/,
    );
    // an error that only borrows the name is not one of ours
    const lookalike = Object.assign(new Error('secret detail'), { name: 'MigrationFailedError' });
    expect(describeError(lookalike)).toBe(
      'Unexpected error: secret detail (set TRAINLYTICS_DEBUG=1 for details)',
    );
  });
});

describe('the streams backfill flags and their estimate in words', () => {
  it('turns the flags into a policy, refusing what cannot work with the flag’s name', () => {
    expect(streamsPolicyFromFlags({})).toEqual({ reserve: 0.3 });
    expect(
      streamsPolicyFromFlags({
        streamsMaxAge: '90',
        streamsSports: 'run, trail_run,,ride',
        streamsReserve: '50',
        streamsPerTick: '5',
      }),
    ).toEqual({
      reserve: 0.5,
      maxAgeDays: 90,
      sportTypes: ['run', 'trail_run', 'ride'],
      maxActivitiesPerTick: 5,
    });
    expect(() => streamsPolicyFromFlags({ streamsSports: 'run,running' })).toThrow(
      /--streams-sports: unknown sport "running"/,
    );
    expect(() => streamsPolicyFromFlags({ streamsReserve: '100' })).toThrow(/--streams-reserve/);
    expect(() => streamsPolicyFromFlags({ streamsReserve: '-1' })).toThrow(/--streams-reserve/);
    expect(() => streamsPolicyFromFlags({ streamsMaxAge: '0' })).toThrow(/--streams-max-age/);
    expect(() => streamsPolicyFromFlags({ streamsPerTick: 'many' })).toThrow(/--streams-per-tick/);
  });

  it('says how long the rest takes in words a person reads at a glance', () => {
    expect(describeStreamsPlan(null)).toBe('—');
    expect(describeStreamsPlan({ remaining: 0, estimatedMs: 0 })).toBe('complete');
    expect(describeStreamsPlan({ remaining: 1, estimatedMs: null })).toBe('1 activity');
    expect(describeStreamsPlan({ remaining: 2000, estimatedMs: 5.7 * 86_400_000 })).toBe(
      '2,000 activities, about 6 days',
    );
    expect(describeBacklogDuration(20 * 60_000)).toBe('under an hour');
    expect(describeBacklogDuration(3_600_000)).toBe('about 1 hour');
    expect(describeBacklogDuration(30 * 3_600_000)).toBe('about 30 hours');
    expect(describeBacklogDuration(48 * 3_600_000)).toBe('about 2 days');
  });
});
