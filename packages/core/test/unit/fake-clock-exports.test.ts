import { FakeClock as DeprecatedFakeClock } from '@trainlytics/core';
import { FakeClock } from '@trainlytics/core/testing';
import { describe, expect, it } from 'vitest';

describe('FakeClock', () => {
  it('comes from /testing; the main entry keeps the same class for one minor version', async () => {
    expect(DeprecatedFakeClock).toBe(FakeClock);
    const clock: FakeClock = new DeprecatedFakeClock('2026-03-01T00:00:00Z');
    expect(clock).toBeInstanceOf(FakeClock);
    await clock.sleep(90_000);
    clock.advance(10_000);
    expect(clock.now().toISOString()).toBe('2026-03-01T00:01:40.000Z');
    expect(clock.sleeps).toEqual([90_000]);
  });
});
