import * as core from '@trainlytics/core';
import { describe, expect, it, vi } from 'vitest';

type Core = typeof core;
type ErrorClass = abstract new (...args: never[]) => Error;
type Recogniser = ErrorClass & { isInstance(error: unknown): boolean };

const MARKER = Symbol.for('trainlytics.error');
const url = 'https://api.example/v1/x';

/**
 * One sample of each exported error class, built from a given copy of core. A class exported without a
 * sample here fails the first test: add one (and give the class a `name` and an `isInstance`).
 */
const SAMPLES: Record<string, (c: Core) => Error> = {
  TrainlyticsError: (c) => new c.TrainlyticsError('TrainlyticsError', 'base'),
  ProviderApiError: (c) => new c.ProviderApiError('503', { provider: 'strava', url, status: 503 }),
  RateLimitError: (c) => new c.RateLimitError('429', { provider: 'strava', url, retryAt: new Date(0) }),
  AppSuspendedError: (c) =>
    new c.AppSuspendedError('403', { provider: 'strava', url, retryAt: new Date(0), reason: 'inactive' }),
  ReauthorizationRequiredError: (c) =>
    new c.ReauthorizationRequiredError('refused', { provider: 'polar', reason: 'refresh-refused' }),
  InsufficientScopeError: (c) => new c.InsufficientScopeError('scope', { granted: [], required: ['read'] }),
  ConnectionInactiveError: (c) => new c.ConnectionInactiveError('disconnected', { connectionId: 1 }),
  OAuthError: (c) => new c.OAuthError('oauth', { code: 'invalid_grant' }),
  OAuthStateError: (c) => new c.OAuthStateError('state', { reason: 'reused' }),
  ConflictError: (c) => new c.ConflictError('linked', { reason: 'account-linked' }),
  ConnectionLimitError: (c) => new c.ConnectionLimitError('full', { limit: 10 }),
  SyncInProgressError: (c) => new c.SyncInProgressError('busy'),
  ConfigurationError: (c) => new c.ConfigurationError('config', { setting: 'STRAVA_CLIENT_ID' }),
  NotFoundError: (c) => new c.NotFoundError('missing'),
  ValidationError: (c) => new c.ValidationError('invalid', { entity: 'activity', issues: [] }),
  WebhookVerificationError: (c) => new c.WebhookVerificationError('unsigned'),
  StoreError: (c) => new c.StoreError('db', { code: '57P01' }),
  SampleCodecError: (c) => new c.SampleCodecError('truncated'),
  // deprecated aliases (ADR 0043): they build the class they were merged into
  TokenExpiredError: (c) => new c.TokenExpiredError('expired', { provider: 'strava', url }),
  ConnectionConflictError: (c) => new c.ConnectionConflictError('linked'),
  MatchDecisionError: (c) => new c.MatchDecisionError('refused'),
  EncryptionError: (c) => new c.EncryptionError('key'),
};

/** The deprecated names and the class each was merged into (its instances carry that class's name). */
const MERGED: Record<string, string> = {
  TokenExpiredError: 'ReauthorizationRequiredError',
  ConnectionConflictError: 'ConflictError',
  MatchDecisionError: 'ConflictError',
  EncryptionError: 'ConfigurationError',
};

function errorClasses(c: Core): [string, Recogniser][] {
  return Object.entries(c as Record<string, unknown>).filter(
    (entry): entry is [string, Recogniser] =>
      typeof entry[1] === 'function' && entry[1].prototype instanceof Error,
  );
}

/** A second copy of core's main entry, as a plugin built against another install would load it. */
async function otherCopy(): Promise<Core> {
  vi.resetModules();
  const copy = (await import('@trainlytics/core')) as Core;
  expect(copy.TrainlyticsError).not.toBe(core.TrainlyticsError);
  return copy;
}

describe('every exported error class', () => {
  const classes = errorClasses(core);
  const byName = new Map(classes);

  it('has a sample here (a new class must be added, with a name and an isInstance)', () => {
    expect(classes.length).toBeGreaterThanOrEqual(21);
    expect(classes.map(([name]) => name).sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  it('is marked with Symbol.for, carries its own stable name and recognises its own errors', () => {
    for (const [name, Class] of classes) {
      const error = SAMPLES[name]!(core);
      expect((error as unknown as Record<symbol, unknown>)[MARKER], name).toBe(true);
      expect(core.TrainlyticsError.isInstance(error), name).toBe(true);
      expect(error.name, name).toBe(MERGED[name] ?? name);
      expect(Class.isInstance(error), name).toBe(true);
      // an unmarked lookalike (same name, no symbol) is not one
      expect(Class.isInstance(Object.assign(new Error('x'), { name: error.name })), name).toBe(false);
    }
  });

  it('isInstance of one copy agrees with the class hierarchy for errors thrown by another copy', async () => {
    const copy = await otherCopy();
    const current = classes.filter(([name]) => !(name in MERGED));
    for (const [thrownName] of errorClasses(copy)) {
      const thrown = SAMPLES[thrownName]!(copy);
      const same = SAMPLES[thrownName]!(core);
      expect(thrown).not.toBeInstanceOf(core.TrainlyticsError); // really another copy's class
      for (const [name, Class] of current) {
        expect(Class.isInstance(thrown), `${name}.isInstance(${thrownName} of another copy)`).toBe(
          Object.prototype.isPrototypeOf.call(Class.prototype, same),
        );
      }
    }
  });

  it('recognises the merged names an older copy of core still throws', () => {
    const older = (name: string) =>
      Object.assign(new Error(`from an older core: ${name}`), { name, [MARKER]: true });
    for (const [old, merged] of Object.entries(MERGED)) {
      const Merged = byName.get(merged)!;
      const Old = byName.get(old)!;
      expect(Merged.isInstance(older(old)), `${merged} ← ${old}`).toBe(true);
      expect(Old.isInstance(older(old)), old).toBe(true);
      expect(older(old) instanceof Old, old).toBe(true);
    }
    expect(core.ConflictError.isInstance(older('ConnectionLimitError'))).toBe(true);
    expect(core.needsReauthorization(older('TokenExpiredError'))).toBe(true);
  });
});
