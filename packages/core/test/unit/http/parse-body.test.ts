import { describe, expect, it } from 'vitest';
import { parseBody } from '../../../src/provider-utils/http/parse-body';
import { parseJsonExact } from '../../../src/provider-utils/parse-json-exact';

describe('parseBody', () => {
  it('reads an empty body as undefined data without calling the parser', () => {
    expect(
      parseBody('', () => {
        throw new Error('called');
      }),
    ).toEqual({ ok: true, data: undefined });
  });

  it('uses JSON.parse by default and the request hook when given', () => {
    expect(parseBody('{"id":9007199254740993}')).toEqual({ ok: true, data: { id: 9007199254740992 } });
    expect(parseBody('{"id":9007199254740993}', parseJsonExact)).toEqual({
      ok: true,
      data: { id: '9007199254740993' },
    });
  });

  it('turns whatever the parser throws into an invalid body (never throws itself)', () => {
    const truncated = parseBody('[{"id":1},');
    expect(truncated.ok).toBe(false);
    expect((truncated as { error: unknown }).error).toBeInstanceOf(SyntaxError);
    const custom = parseBody('x', () => {
      throw new RangeError('deep');
    });
    expect(custom).toEqual({ ok: false, error: new RangeError('deep') });
  });
});
