import {
  type ActivityStreams,
  SAMPLE_CHANNEL_NAMES,
  type SampleChannelName,
  type SampleChannels,
} from '../model/activity-streams';

/**
 * The compact, lossless encoding of an activity's sample channels (ADR 0030): one byte string per
 * activity, stored in `activity_streams.samples`.
 *
 * Each numeric column is scaled to integers by the smallest power of ten that keeps every value exact
 * (`n / 10^d === v` for every value, so decoding gives back the very double the provider's JSON parsed to),
 * then written as zig-zag varints of the differences between consecutive present values: a 1 Hz heart
 * rate or a 0.1 m altitude changes by a few units a second and costs one byte a sample. A value that no
 * power of ten up to 10^9 makes exact (or that would exceed 2^50 scaled) turns its column into raw
 * float64s, still lossless. Gaps (`null`) are a presence bitmap, written only when a column has one.
 *
 * Layout (all integers are unsigned LEB128 varints unless said):
 *   version (1 byte = 1) · sample count · time column · channel count · per channel: channel index
 *   (1 byte, index in SAMPLE_CHANNEL_NAMES) then its column(s) — `latlng` is two numeric columns
 *   (latitude, longitude) sharing one presence, `moving` is a boolean column.
 *   numeric column: mode (1 byte: 0–9 decimal digits, 255 float64) · presence · values
 *   presence: 0 (every value present) or 1 followed by ⌈n/8⌉ bytes, bit i set when value i is present
 *   boolean column: presence · ⌈n/8⌉ bytes of values
 *
 * Hand-written rather than a dependency: the format is ~150 lines, must be exactly reproducible in SQL-free
 * readers of the table, and no maintained JS library does scaled-decimal delta coding with gaps
 * (general-purpose compressors such as gzip on the JSON give ~3–4 bytes a sample and lose the typed access).
 */
export const SAMPLE_CODEC_VERSION = 1;

const MAX_DIGITS = 9;
const FLOAT64 = 255;
const MAX_SCALED = 2 ** 50;

export class SampleCodecError extends Error {
  override readonly name = 'SampleCodecError';
}

/** Encodes `time` and `channels` (every channel must have one entry per `time` entry). */
export function encodeSamples(streams: Pick<ActivityStreams, 'time' | 'channels'>): Uint8Array {
  const n = streams.time.length;
  const out = new ByteWriter(64 + n * 4);
  out.byte(SAMPLE_CODEC_VERSION);
  out.varint(n);
  writeNumericColumn(out, streams.time);
  const present = SAMPLE_CHANNEL_NAMES.filter((name) => streams.channels[name] !== undefined);
  out.varint(present.length);
  for (const name of present) {
    const values = streams.channels[name] as unknown[];
    if (values.length !== n) {
      throw new SampleCodecError(
        `Channel ${name} has ${values.length} samples but time has ${n}: every channel needs one entry per time entry`,
      );
    }
    out.byte(SAMPLE_CHANNEL_NAMES.indexOf(name));
    if (name === 'latlng') {
      const points = values as Array<readonly [number, number] | null>;
      writePresence(out, points);
      writeNumericValues(
        out,
        points.map((p) => (p === null ? null : p[0])),
      );
      writeNumericValues(
        out,
        points.map((p) => (p === null ? null : p[1])),
      );
    } else if (name === 'moving') {
      const flags = values as Array<boolean | null>;
      writePresence(out, flags);
      const bits = new Uint8Array(Math.ceil(n / 8));
      flags.forEach((flag, i) => {
        if (flag) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
      });
      out.bytes(bits);
    } else {
      writeNumericColumn(out, values as Array<number | null>);
    }
  }
  return out.finish();
}

/** Decodes what `encodeSamples` wrote. Throws `SampleCodecError` for a truncated or unknown encoding. */
export function decodeSamples(bytes: Uint8Array): Pick<ActivityStreams, 'time' | 'channels'> {
  const input = new ByteReader(bytes);
  const version = input.byte();
  if (version !== SAMPLE_CODEC_VERSION) {
    throw new SampleCodecError(`Unknown sample encoding version ${version} (this release reads version 1)`);
  }
  const n = input.varint();
  const time = readNumericColumn(input, n).map((v) => v as number);
  const channels: SampleChannels = {};
  const count = input.varint();
  for (let c = 0; c < count; c++) {
    const name: SampleChannelName | undefined = SAMPLE_CHANNEL_NAMES[input.byte()];
    if (!name) throw new SampleCodecError('Unknown sample channel in the encoding');
    if (name === 'latlng') {
      const presence = readPresence(input, n);
      const lat = readNumericValues(input, n, presence);
      const lng = readNumericValues(input, n, presence);
      channels.latlng = lat.map((v, i) => (v === null ? null : ([v, lng[i] as number] as const)));
    } else if (name === 'moving') {
      const presence = readPresence(input, n);
      const bits = input.bytes(Math.ceil(n / 8));
      channels.moving = Array.from({ length: n }, (_, i) =>
        presence && !isSet(presence, i) ? null : isSet(bits, i),
      );
    } else {
      channels[name] = readNumericColumn(input, n);
    }
  }
  if (!input.done()) throw new SampleCodecError('Trailing bytes after the sample encoding');
  return { time, channels };
}

function writeNumericColumn(out: ByteWriter, values: ReadonlyArray<number | null>) {
  writePresence(out, values);
  writeNumericValues(out, values);
}

function readNumericColumn(input: ByteReader, n: number): Array<number | null> {
  return readNumericValues(input, n, readPresence(input, n));
}

function writePresence(out: ByteWriter, values: ReadonlyArray<unknown>) {
  if (!values.includes(null)) {
    out.byte(0);
    return;
  }
  out.byte(1);
  const bits = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v !== null) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
  });
  out.bytes(bits);
}

function readPresence(input: ByteReader, n: number): Uint8Array | null {
  const flag = input.byte();
  if (flag === 0) return null;
  if (flag !== 1) throw new SampleCodecError('Corrupt presence flag in the sample encoding');
  return input.bytes(Math.ceil(n / 8));
}

/** The fewest decimal digits that keep `value` exact, or null when none up to MAX_DIGITS does. */
function digitsOf(value: number): number | null {
  if (!Number.isFinite(value) || Object.is(value, -0)) return null;
  for (let d = 0, scale = 1; d <= MAX_DIGITS; d++, scale *= 10) {
    const scaled = Math.round(value * scale);
    if (Math.abs(scaled) > MAX_SCALED) return null;
    if (scaled / scale === value) return d;
  }
  return null;
}

function writeNumericValues(out: ByteWriter, values: ReadonlyArray<number | null>) {
  let digits = 0;
  for (const v of values) {
    if (v === null) continue;
    const d = digitsOf(v);
    if (d === null) {
      digits = FLOAT64;
      break;
    }
    if (d > digits) digits = d;
  }
  const scale = digits === FLOAT64 ? 1 : 10 ** digits;
  // a value exact at d digits may still exceed the limit at a larger common scale
  if (digits !== FLOAT64 && values.some((v) => v !== null && Math.abs(Math.round(v * scale)) > MAX_SCALED)) {
    digits = FLOAT64;
  }
  out.byte(digits);
  if (digits === FLOAT64) {
    for (const v of values) if (v !== null) out.float64(v);
    return;
  }
  let previous = 0;
  for (const v of values) {
    if (v === null) continue;
    const scaled = Math.round(v * scale);
    out.zigzag(scaled - previous);
    previous = scaled;
  }
}

function readNumericValues(input: ByteReader, n: number, presence: Uint8Array | null): Array<number | null> {
  const digits = input.byte();
  if (digits !== FLOAT64 && digits > MAX_DIGITS) {
    throw new SampleCodecError('Corrupt column mode in the sample encoding');
  }
  const scale = 10 ** (digits === FLOAT64 ? 0 : digits);
  const values: Array<number | null> = new Array(n);
  let previous = 0;
  for (let i = 0; i < n; i++) {
    if (presence && !isSet(presence, i)) {
      values[i] = null;
    } else if (digits === FLOAT64) {
      values[i] = input.float64();
    } else {
      previous += input.zigzag();
      values[i] = previous / scale;
    }
  }
  return values;
}

function isSet(bits: Uint8Array, i: number): boolean {
  return (((bits[i >> 3] as number) >> (i & 7)) & 1) === 1;
}

class ByteWriter {
  private buffer: Uint8Array;
  private length = 0;
  private readonly view8 = new DataView(new ArrayBuffer(8));

  constructor(initial: number) {
    this.buffer = new Uint8Array(Math.max(16, initial));
  }

  private reserve(extra: number) {
    if (this.length + extra <= this.buffer.length) return;
    const next = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  byte(value: number) {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  bytes(values: Uint8Array) {
    this.reserve(values.length);
    this.buffer.set(values, this.length);
    this.length += values.length;
  }

  /** Unsigned LEB128 of a non-negative safe integer (arithmetic, not 32-bit shifts). */
  varint(value: number) {
    this.reserve(8);
    let v = value;
    while (v >= 0x80) {
      this.buffer[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buffer[this.length++] = v;
  }

  zigzag(value: number) {
    this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  float64(value: number) {
    this.view8.setFloat64(0, value, true);
    this.bytes(new Uint8Array(this.view8.buffer.slice(0)));
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

class ByteReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly buffer: Uint8Array) {
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }

  private need(count: number) {
    if (this.offset + count > this.buffer.length) {
      throw new SampleCodecError('The sample encoding is truncated');
    }
  }

  byte(): number {
    this.need(1);
    return this.buffer[this.offset++] as number;
  }

  bytes(count: number): Uint8Array {
    this.need(count);
    const slice = this.buffer.subarray(this.offset, this.offset + count);
    this.offset += count;
    return slice;
  }

  varint(): number {
    let result = 0;
    let factor = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      result += (b & 0x7f) * factor;
      if (b < 0x80) return result;
      factor *= 0x80;
    }
    throw new SampleCodecError('Corrupt varint in the sample encoding');
  }

  zigzag(): number {
    const v = this.varint();
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }

  float64(): number {
    this.need(8);
    const value = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return value;
  }

  done(): boolean {
    return this.offset === this.buffer.length;
  }
}
