import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonExact, parseJsonExactScan } from '../../src/provider-utils/parse-json-exact';

/** JSON with bigints written as bare numbers, as a provider writes an int64. */
function writeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? `\u0000int:${v}` : v), indent).replace(
    /"\\u0000int:(-?\d+)"/g,
    '$1',
  );
}

/** What `parseJsonExact` must return: integers written beyond 2^53 as their digits, every other value as is. */
function expected(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  }
  // a double written as an integer beyond 2^53 (`9007199254740992`) reads like an int64: its digits
  if (typeof value === 'number') {
    const text = JSON.stringify(value);
    return /^-?\d+$/.test(text) && !Number.isSafeInteger(value) ? text : JSON.parse(text);
  }
  if (Array.isArray(value)) return value.map(expected);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expected(v)]));
  }
  return value;
}

/** What a parser made of a text: its value, or the kind of error it threw. */
function outcome(parse: (t: string) => unknown, t: string) {
  try {
    return { value: parse(t) };
  } catch (error) {
    return { threw: error instanceof SyntaxError ? 'SyntaxError' : String(error) };
  }
}

/** JSON punctuation, whitespace and keywords, to build texts valid and invalid from fragments. */
const PUNCTUATION = [
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  ' ',
  '\n',
  '\t',
  '"',
  '\\',
  '-',
  '+',
  '.',
  'e',
  'true',
  'null',
  '"k":',
];

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    int64,
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.string(),
    // strings that look like big numbers, and escapes before them, stay strings
    int64.map((n) => `${n}`),
    int64.map((n) => `\\":${n}`),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 4 }),
  ),
}));

describe('parseJsonExact', () => {
  it('property: integers beyond 2^53 come back as their exact digits, everything else as JSON.parse reads it', () => {
    fc.assert(
      fc.property(json.value, fc.boolean(), (value, pretty) => {
        const text = writeJson(value, pretty ? 2 : undefined);
        expect(parseJsonExact(text)).toEqual(expected(value));
      }),
      { numRuns: 500 },
    );
  });

  it("keeps Garmin's activityId and Polar's long ids exact, and a safe integer a number", () => {
    expect(
      parseJsonExact('{"activityId":9007199254740993,"summaryId":"x9007199254740993","n":1234}'),
    ).toEqual({
      activityId: '9007199254740993',
      summaryId: 'x9007199254740993',
      n: 1234,
    });
    expect(parseJsonExact('[12345678987654321, 1.5e300, -9007199254740993]')).toEqual([
      '12345678987654321',
      1.5e300,
      '-9007199254740993',
    ]);
  });

  it('reads a body with a string of 11 MB (a Garmin push may carry one) without exhausting the stack', () => {
    const description = `${'x'.repeat(11 * 1024 * 1024)}\\"9007199254740993`;
    const text = `{"activities":[{"activityDescription":${JSON.stringify(description)},"activityId":9007199254740993}]}`;
    expect(parseJsonExact(text)).toEqual({
      activities: [{ activityDescription: description, activityId: '9007199254740993' }],
    });
  });

  it('throws SyntaxError on invalid JSON, like JSON.parse', () => {
    expect(() => parseJsonExact('{"id": 9007199254740993')).toThrow(SyntaxError);
  });

  it('property: the fast path reads every text exactly as the exact scan does (values, or the same SyntaxError)', () => {
    const digits = (min: number, max: number) =>
      fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));
    // numbers near and beyond 2^53 in every position: bare, negative, with a fraction or an exponent (of
    // 16+ digits too), inside strings and after escapes, plus JSON punctuation to build invalid texts
    const fragment = fc.oneof(
      digits(1, 22),
      digits(14, 20).map((d) => `-${d}`),
      fc.tuple(digits(1, 20), digits(1, 20)).map(([a, b]) => `${a}.${b}`),
      fc
        .tuple(digits(1, 20), fc.constantFrom('e', 'E', 'e+', 'e-', 'E-'), digits(1, 20))
        .map((p) => p.join('')),
      digits(16, 20).map((d) => `"${d}"`),
      digits(16, 20).map((d) => `"x\\"${d}"`),
      fc.constantFrom(...PUNCTUATION),
    );
    const structured = fc
      .tuple(json.value, fc.boolean())
      .map(([value, pretty]) => writeJson(value, pretty ? 2 : undefined));
    const text = fc.oneof(
      structured,
      fc.array(fragment, { maxLength: 12 }).map((parts) => parts.join('')),
      fc.array(fragment, { maxLength: 8 }).map((parts) => `[${parts.join(',')}]`),
      fc
        .array(fc.tuple(fc.string({ maxLength: 4 }), fragment), { maxLength: 6 })
        .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
    );
    fc.assert(
      fc.property(text, (t) => {
        expect(outcome(parseJsonExact, t)).toEqual(outcome(parseJsonExactScan, t));
      }),
      { numRuns: 3_000 },
    );
  });

  it('property: the exact reading equals JSON.parse on every text without an integer beyond 2^53', () => {
    // JSON values with no integer literal beyond 2^53 (a double such as 2^60 is written as one), written
    // compactly or pretty, and fragments (valid or not)
    const double = fc
      .double({ noNaN: true, noDefaultInfinity: true })
      .filter((d) => Number.isSafeInteger(d) || !/^-?\d+$/.test(JSON.stringify(d)));
    const safeJson = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        double,
        fc.maxSafeInteger(),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 4 }),
      ),
    }));
    const fragment = fc.oneof(
      fc.maxSafeInteger().map(String),
      double.map(String),
      fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s)),
      fc.constantFrom(...PUNCTUATION, 'nul', '01', '1.', '\u00a0'),
    );
    const text = fc.oneof(
      fc
        .tuple(safeJson.value, fc.boolean())
        .map(([v, pretty]) => JSON.stringify(v, null, pretty ? 2 : undefined)),
      // fragments side by side may form a long integer (`-1` `1000000000000000`): such texts are left out
      fc
        .array(fragment, { maxLength: 10 })
        .map((parts) => parts.join(''))
        .filter((t) => !/\d{16}/.test(t)),
    );
    fc.assert(
      fc.property(text, (t) => {
        expect(outcome(parseJsonExactScan, t)).toEqual(outcome(JSON.parse, t));
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads duplicate keys and `__proto__` as JSON.parse does, on the exact path too', () => {
    const text = '{"id":9007199254740993,"a":1,"a":2,"__proto__":{"polluted":true}}';
    const value = parseJsonExact(text) as Record<string, unknown>;
    expect(value).toEqual(JSON.parse(text.replace('9007199254740993', '"9007199254740993"')));
    expect(value.a).toBe(2);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['id', 'a', '__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('takes the exact scan for a long integer after a string or at the start, and JSON.parse for floats', () => {
    expect(parseJsonExact('9007199254740993')).toBe('9007199254740993');
    expect(parseJsonExact('-9007199254740993')).toBe('-9007199254740993');
    expect(parseJsonExact('{"a":-12345678987654321}')).toEqual({ a: '-12345678987654321' });
    expect(parseJsonExact('[0.12345678987654321, 1e12345678987654321, -1.5e-3]')).toEqual([
      0.12345678987654321,
      Number.POSITIVE_INFINITY,
      -1.5e-3,
    ]);
  });
});
