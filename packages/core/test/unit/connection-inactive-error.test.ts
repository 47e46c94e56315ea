import { ConnectionInactiveError, ReauthorizationRequiredError, TrainlyticsError } from '@trainlytics/core';
import { describe, expect, it } from 'vitest';

describe('ConnectionInactiveError', () => {
  it('is a marked TrainlyticsError recognised across copies of core, distinct from reauthorization', () => {
    const error = new ConnectionInactiveError('Strava connection 7 is disconnected', {
      provider: 'strava',
      connectionId: 7,
    });
    expect(error.name).toBe('ConnectionInactiveError');
    expect(error.connectionId).toBe(7);
    expect(error.userMessage).toMatch(/connect the account again/);
    expect(ConnectionInactiveError.isInstance(error)).toBe(true);
    expect(TrainlyticsError.isInstance(error)).toBe(true);
    expect(ReauthorizationRequiredError.isInstance(error)).toBe(false);
    // what another copy of core throws: the registered symbol and the name, not this class
    const foreign = Object.assign(new Error('x'), { name: 'ConnectionInactiveError' });
    expect(ConnectionInactiveError.isInstance(foreign)).toBe(false);
    (foreign as unknown as Record<symbol, boolean>)[Symbol.for('trainlytics.error')] = true;
    expect(ConnectionInactiveError.isInstance(foreign)).toBe(true);
  });
});
