import { describe, expect, it, vi } from 'vitest';
import * as migrations from '../src/index';
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

type MigrationErrors = typeof import('../src/errors');
type Recogniser = (abstract new (...args: never[]) => Error) & { isInstance(error: unknown): boolean };

/** One sample per exported error class; a class exported without one fails the first test below: add it. */
const SAMPLES: Record<string, (m: MigrationErrors) => Error> = {
  MigrationError: (m) => new m.MigrationError('x'),
  MigrationConnectionError: (m) => new m.MigrationConnectionError('refused', 'postgres://127.0.0.1/x'),
  DatabaseInputError: (m) => new m.DatabaseInputError('Invalid database URL "mysql://h/db"', 'mysql://h/db'),
  MigrationChecksumError: (m) => new m.MigrationChecksumError('002_x.sql', 'a'.repeat(64), 'b'.repeat(64)),
  MigrationFailedError: (m) => new m.MigrationFailedError('003_x.sql', 'syntax error', undefined),
  LegacySchemaMissingError: (m) => new m.LegacySchemaMissingError('002_x.sql', 'no users table', undefined),
  LegacyDropRefusedError: (m) => new m.LegacyDropRefusedError('rows left'),
  MigrationTargetError: (m) => new m.MigrationTargetError('9', ['001']),
  MigrationDownRefusedError: (m) =>
    new m.MigrationDownRefusedError([{ file: '002.down.sql', lost: ['x: 1 row(s)'] }]),
  MigrationDatabaseInUseError: (m) =>
    new m.MigrationDatabaseInUseError('in use', { pid: 1, host: 'h', command: 'c', since: 'now' }),
};

describe('every exported migration error class', () => {
  const classes = Object.entries(migrations as Record<string, unknown>).filter(
    (entry): entry is [string, Recogniser] =>
      typeof entry[1] === 'function' && entry[1].prototype instanceof Error,
  );

  it('has a sample here, is marked with Symbol.for and carries its own name', () => {
    expect(classes.map(([name]) => name).sort()).toEqual(Object.keys(SAMPLES).sort());
    for (const [name, Class] of classes) {
      const error = SAMPLES[name]!(migrations as unknown as MigrationErrors);
      expect(
        (error as unknown as Record<symbol, unknown>)[Symbol.for('trainlytics.migration-error')],
        name,
      ).toBe(true);
      expect(error.name, name).toBe(name);
      expect(Class.isInstance(error), name).toBe(true);
    }
  });

  it('isInstance of one copy agrees with the class hierarchy for errors of another copy', async () => {
    vi.resetModules();
    const copy = (await import('../src/errors')) as MigrationErrors;
    expect(copy.MigrationError).not.toBe(migrations.MigrationError);
    for (const [thrownName] of classes) {
      const thrown = SAMPLES[thrownName]!(copy);
      const same = SAMPLES[thrownName]!(migrations as unknown as MigrationErrors);
      for (const [name, Class] of classes) {
        expect(Class.isInstance(thrown), `${name}.isInstance(${thrownName} of another copy)`).toBe(
          Object.prototype.isPrototypeOf.call(Class.prototype, same),
        );
      }
    }
  });
});
