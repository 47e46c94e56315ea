import { describe, expect, it } from 'vitest';
import {
  LegacyDropRefusedError,
  LegacySchemaMissingError,
  MigrationChecksumError,
  MigrationError,
  MigrationFailedError,
  MigrationTargetError,
} from '../src/index';

describe('migration errors', () => {
  it('are recognised by isInstance through the registered symbol, subclasses included', () => {
    const missing = new LegacySchemaMissingError('002_multi_provider.sql', 'no users table', undefined);
    expect(MigrationError.isInstance(missing)).toBe(true);
    expect(MigrationFailedError.isInstance(missing)).toBe(true);
    expect(LegacySchemaMissingError.isInstance(missing)).toBe(true);
    expect(MigrationChecksumError.isInstance(missing)).toBe(false);
    const failed = new MigrationFailedError('003_x.sql', 'syntax error', undefined);
    expect(LegacySchemaMissingError.isInstance(failed)).toBe(false);
    expect(MigrationError.isInstance(new LegacyDropRefusedError('rows left'))).toBe(true);
    expect(MigrationTargetError.isInstance(new MigrationTargetError('9', ['001']))).toBe(true);
  });

  it('work across two copies of the package (a marked object from elsewhere) and refuse lookalikes', () => {
    const fromOtherCopy = Object.assign(new Error('x'), {
      name: 'MigrationChecksumError',
      [Symbol.for('trainlytics.migration-error')]: true,
    });
    expect(MigrationChecksumError.isInstance(fromOtherCopy)).toBe(true);
    expect(MigrationTargetError.isInstance(fromOtherCopy)).toBe(false);
    const lookalike = Object.assign(new Error('x'), { name: 'MigrationChecksumError' });
    expect(MigrationError.isInstance(lookalike)).toBe(false);
    expect(MigrationError.isInstance(null)).toBe(false);
    expect(MigrationError.isInstance('MigrationError')).toBe(false);
  });
});
