import { SampleCodecError } from '../errors/sample-codec-error';
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
 * Each numeric column picks, from the modes below that keep every one of its values bit-for-bit, the one
 * whose bytes are fewest, and writes zig-zag varints of the differences between consecutive present values
 * of its integer form:
 *   - decimal (modes 0–9): `n` with `n / 10^d === v` for every value (Strava's JSON: 1e-6°, 0.1 m, integers);
 *   - float32 (mode 32, version 2): values with `Math.fround(v) === v` (Garmin's 32-bit floats widened to
 *     doubles, `314.20001220703125`) as their float32 bit pattern mapped to an ordered integer (sign-magnitude
 *     to two's complement, so a value crossing zero moves by a few units);
 *   - float32-decimal (modes 40–49, version 2): `n` with `Math.fround(n / 10^d) === v` (a device's
 *     decimal reading, 0.01 m or 0.001 m/s, stored as float32: Garmin's distance and speed);
 *   - semicircles (mode 33, version 2): `s` with `s * (180 / 2^31) === v` (Garmin positions converted from
 *     semicircles);
 *   - float64 (mode 255): raw little-endian doubles, for anything else.
 * Gaps (`null`) are a presence bitmap, written only when a column has one.
 *
 * Layout (all integers are unsigned LEB128 varints unless said):
 *   version (1 byte: 2; 1 is still read) · sample count · time column · channel count · per channel: channel
 *   index (1 byte, index in SAMPLE_CHANNEL_NAMES) then its column(s) — `latlng` is two numeric columns
 *   (latitude, longitude) sharing one presence, `moving` is a boolean column.
 *   numeric column: presence · mode (1 byte) · values
 *   presence: 0 (every value present) or 1 followed by ⌈n/8⌉ bytes, bit i set when value i is present
 *   boolean column: presence · ⌈n/8⌉ bytes of values
 * Version 1 is the same layout with only the decimal and float64 modes.
 *
 * Hand-written rather than a dependency: the format is a few hundred lines, must be exactly reproducible in
 * SQL-free readers of the table, and no maintained JS library does scaled-decimal delta coding with gaps
 * (general-purpose compressors such as gzip on the JSON give ~3–4 bytes a sample and lose the typed access).
 */
export const SAMPLE_CODEC_VERSION = 2;

const MAX_DIGITS = 9;
const FLOAT32 = 32;
const SEMICIRCLES = 33;
/** Modes 40–49: float32-decimal at 0–9 digits. */
const FLOAT32_DECIMAL = 40;
const FLOAT64 = 255;
const MAX_SCALED = 2 ** 50;
const POWERS = Array.from({ length: MAX_DIGITS + 1 }, (_, d) => 10 ** d);
/** Garmin's semicircle: 2^31 of them make 180°. */
const SEMICIRCLE = 180 / 2 ** 31;
const PER_SEMICIRCLE = 2 ** 31 / 180;

export { SampleCodecError };

/** A column's present values, gathered once, reused across columns of one encoding. */
interface Scratch {
  values: Float64Array;
  decimal: Float64Array;
  semicircles: Float64Array;
  float32: Float64Array;
  narrow: Float64Array;
}

let cached: Scratch | null = null;

/** Encoding is synchronous: one scratch, grown as needed, serves every call. */
function scratchFor(n: number): Scratch {
  if (cached && cached.values.length >= n) return cached;
  cached = {
    values: new Float64Array(n),
    decimal: new Float64Array(n),
    semicircles: new Float64Array(n),
    float32: new Float64Array(n),
    narrow: new Float64Array(n),
  };
  return cached;
}

/** Encodes `time` and `channels` (every channel must have one entry per `time` entry). */
export function encodeSamples(streams: Pick<ActivityStreams, 'time' | 'channels'>): Uint8Array {
  const n = streams.time.length;
  const out = new ByteWriter(64 + n * 12);
  const scratch = scratchFor(n);
  out.byte(SAMPLE_CODEC_VERSION);
  out.varint(n);
  writeNumericColumn(out, streams.time, scratch);
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
      let count = 0;
      for (let i = 0; i < n; i++) {
        const p = points[i];
        if (p != null) scratch.values[count++] = p[0];
      }
      writeNumericValues(out, count, scratch);
      count = 0;
      for (let i = 0; i < n; i++) {
        const p = points[i];
        if (p != null) scratch.values[count++] = p[1];
      }
      writeNumericValues(out, count, scratch);
    } else if (name === 'moving') {
      const flags = values as Array<boolean | null>;
      writePresence(out, flags);
      const bits = new Uint8Array(Math.ceil(n / 8));
      for (let i = 0; i < n; i++) if (flags[i]) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
      out.bytes(bits);
    } else {
      writeNumericColumn(out, values as Array<number | null>, scratch);
    }
  }
  return out.finish();
}

/** Decodes what `encodeSamples` wrote (version 2, or version 1 from earlier releases). Throws `SampleCodecError` for a truncated or unknown encoding. */
export function decodeSamples(bytes: Uint8Array): Pick<ActivityStreams, 'time' | 'channels'> {
  const input = new ByteReader(bytes);
  const version = input.byte();
  if (version !== 1 && version !== 2) {
    throw new SampleCodecError(
      `Unknown sample encoding version ${version} (this release reads versions 1 and 2)`,
    );
  }
  const n = input.varint();
  const time = readNumericColumn(input, n, version) as number[];
  const channels: SampleChannels = {};
  const count = input.varint();
  for (let c = 0; c < count; c++) {
    const name: SampleChannelName | undefined = SAMPLE_CHANNEL_NAMES[input.byte()];
    if (!name) throw new SampleCodecError('Unknown sample channel in the encoding');
    if (name === 'latlng') {
      const presence = readPresence(input, n);
      const lat = readNumericValues(input, n, presence, version);
      const lng = readNumericValues(input, n, presence, version);
      const points: Array<readonly [number, number] | null> = new Array(n);
      for (let i = 0; i < n; i++) {
        const v = lat[i] as number | null;
        points[i] = v === null ? null : [v, lng[i] as number];
      }
      channels.latlng = points;
    } else if (name === 'moving') {
      const presence = readPresence(input, n);
      const bits = input.bytes(Math.ceil(n / 8));
      const flags: Array<boolean | null> = new Array(n);
      for (let i = 0; i < n; i++) flags[i] = presence && !isSet(presence, i) ? null : isSet(bits, i);
      channels.moving = flags;
    } else {
      channels[name] = readNumericColumn(input, n, version);
    }
  }
  if (!input.done()) throw new SampleCodecError('Trailing bytes after the sample encoding');
  return { time, channels };
}

function writeNumericColumn(out: ByteWriter, values: ReadonlyArray<number | null>, scratch: Scratch) {
  writePresence(out, values);
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v != null) scratch.values[count++] = v;
  }
  writeNumericValues(out, count, scratch);
}

function readNumericColumn(input: ByteReader, n: number, version: number): Array<number | null> {
  return readNumericValues(input, n, readPresence(input, n), version);
}

function writePresence(out: ByteWriter, values: ReadonlyArray<unknown>) {
  const n = values.length;
  let gaps = false;
  for (let i = 0; i < n; i++) {
    if (values[i] == null) {
      gaps = true;
      break;
    }
  }
  if (!gaps) {
    out.byte(0);
    return;
  }
  out.byte(1);
  const bits = new Uint8Array(Math.ceil(n / 8));
  for (let i = 0; i < n; i++) if (values[i] != null) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
  out.bytes(bits);
}

function readPresence(input: ByteReader, n: number): Uint8Array | null {
  const flag = input.byte();
  if (flag === 0) return null;
  if (flag !== 1) throw new SampleCodecError('Corrupt presence flag in the sample encoding');
  return input.bytes(Math.ceil(n / 8));
}

/** Bytes of the zig-zag varint of `delta` (a safe integer). */
function zigzagSize(delta: number): number {
  const z = delta >= 0 ? delta * 2 : -delta * 2 - 1;
  if (z < 0x80) return 1;
  if (z < 0x4000) return 2;
  if (z < 0x200000) return 3;
  if (z < 0x10000000) return 4;
  let bytes = 4;
  for (let rest = Math.floor(z / 0x10000000); rest > 0; rest = Math.floor(rest / 0x80)) bytes++;
  return bytes;
}

/**
 * The decimal mode's integers into `ints` and their bytes, or null when no power of ten keeps every value.
 * `narrow`: the float32-decimal mode, where a value is `Math.fround(n / 10^d)` (a decimal a device rounded to
 * float32), else `n / 10^d`.
 */
function decimalCandidate(
  values: Float64Array,
  count: number,
  ints: Float64Array,
  narrow: boolean,
): { digits: number; size: number } | null {
  // one pass at the digits seen so far; a value needing more digits restarts it (at most MAX_DIGITS times)
  let digits = 0;
  restart: for (;;) {
    const scale = POWERS[digits] as number;
    let size = 0;
    let previous = 0;
    for (let i = 0; i < count; i++) {
      const v = values[i] as number;
      const scaled = Math.round(v * scale);
      const back = scaled / scale;
      if ((narrow ? Math.fround(back) : back) !== v) {
        // NaN and ±Infinity end here too
        if (++digits > MAX_DIGITS) return null;
        continue restart;
      }
      // -0 has no integer form; the integer must stay safe
      if (scaled > MAX_SCALED || scaled < -MAX_SCALED || (v === 0 && 1 / v < 0)) return null;
      ints[i] = scaled;
      size += zigzagSize(scaled - previous);
      previous = scaled;
    }
    return { digits, size };
  }
}

function semicircleCandidate(values: Float64Array, count: number, ints: Float64Array): number {
  let size = 0;
  let previous = 0;
  for (let i = 0; i < count; i++) {
    const v = values[i] as number;
    const s = Math.round(v * PER_SEMICIRCLE);
    if (s * SEMICIRCLE !== v || (v === 0 && 1 / v < 0) || s > MAX_SCALED || s < -MAX_SCALED) return -1;
    ints[i] = s;
    size += zigzagSize(s - previous);
    previous = s;
  }
  return size;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** A float32's bits as an integer ordered like the floats: sign-magnitude to two's complement (-0 is -1). */
function float32Key(v: number): number {
  f32[0] = v;
  const bits = u32[0] as number;
  return bits >= 0x80000000 ? -1 - (bits - 0x80000000) : bits;
}

function float32FromKey(key: number): number {
  u32[0] = key < 0 ? -1 - key + 0x80000000 : key;
  return f32[0] as number;
}

function float32Candidate(values: Float64Array, count: number, ints: Float64Array): number {
  let size = 0;
  let previous = 0;
  for (let i = 0; i < count; i++) {
    const v = values[i] as number;
    if (Math.fround(v) !== v) return -1; // NaN ends here too
    const key = float32Key(v);
    ints[i] = key;
    size += zigzagSize(key - previous);
    previous = key;
  }
  return size;
}

/** Writes the `count` values in `scratch.values` in whichever lossless mode takes the fewest bytes. */
function writeNumericValues(out: ByteWriter, count: number, scratch: Scratch) {
  const { values } = scratch;
  let mode = FLOAT64;
  let best = count * 8;
  let ints: Float64Array | null = null;
  const decimal = decimalCandidate(values, count, scratch.decimal, false);
  if (decimal && decimal.size < best) {
    mode = decimal.digits;
    best = decimal.size;
    ints = scratch.decimal;
  }
  // decimal at one byte a value is as good as it gets: skip the other modes' pass
  if (!decimal || decimal.size > count) {
    const semicircles = semicircleCandidate(values, count, scratch.semicircles);
    if (semicircles >= 0 && semicircles < best) {
      mode = SEMICIRCLES;
      best = semicircles;
      ints = scratch.semicircles;
    }
    const float32 = float32Candidate(values, count, scratch.float32);
    if (float32 >= 0 && float32 < best) {
      mode = FLOAT32;
      best = float32;
      ints = scratch.float32;
    }
    const narrow = float32 >= 0 ? decimalCandidate(values, count, scratch.narrow, true) : null;
    if (narrow && narrow.size < best) {
      mode = FLOAT32_DECIMAL + narrow.digits;
      best = narrow.size;
      ints = scratch.narrow;
    }
  }
  out.byte(mode);
  if (ints === null) {
    for (let i = 0; i < count; i++) out.float64(values[i] as number);
  } else {
    out.zigzags(ints, count, best);
  }
}

function readNumericValues(
  input: ByteReader,
  n: number,
  presence: Uint8Array | null,
  version: number,
): Array<number | null> {
  const mode = input.byte();
  const narrow = mode >= FLOAT32_DECIMAL && mode <= FLOAT32_DECIMAL + MAX_DIGITS;
  const known =
    mode <= MAX_DIGITS ||
    mode === FLOAT64 ||
    (version >= 2 && (mode === FLOAT32 || mode === SEMICIRCLES || narrow));
  if (!known) throw new SampleCodecError('Corrupt column mode in the sample encoding');
  const values: Array<number | null> = new Array(n);
  let previous = 0;
  const scale =
    mode <= MAX_DIGITS ? (POWERS[mode] as number) : narrow ? (POWERS[mode - FLOAT32_DECIMAL] as number) : 1;
  for (let i = 0; i < n; i++) {
    if (presence && !isSet(presence, i)) {
      values[i] = null;
    } else if (mode === FLOAT64) {
      values[i] = input.float64();
    } else {
      previous += input.zigzag();
      values[i] =
        mode === FLOAT32
          ? float32FromKey(previous)
          : mode === SEMICIRCLES
            ? previous * SEMICIRCLE
            : narrow
              ? Math.fround(previous / scale)
              : previous / scale;
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
  private readonly bytes8 = new Uint8Array(this.view8.buffer);

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
    if (value < 0x80) {
      this.buffer[this.length++] = value;
      return;
    }
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

  /** The zig-zag varints of the differences between consecutive `ints` (safe integers), from 0. */
  zigzags(ints: Float64Array, count: number, size: number) {
    this.reserve(size);
    const buffer = this.buffer;
    let at = this.length;
    let previous = 0;
    for (let i = 0; i < count; i++) {
      const v = ints[i] as number;
      const delta = v - previous;
      previous = v;
      let z = delta >= 0 ? delta * 2 : -delta * 2 - 1;
      if (z < 0x80000000) {
        while (z >= 0x80) {
          buffer[at++] = (z & 0x7f) | 0x80;
          z >>>= 7;
        }
        buffer[at++] = z;
      } else {
        while (z >= 0x80) {
          buffer[at++] = (z % 0x80) | 0x80;
          z = Math.floor(z / 0x80);
        }
        buffer[at++] = z;
      }
    }
    this.length = at;
  }

  float64(value: number) {
    this.reserve(8);
    this.view8.setFloat64(0, value, true);
    this.buffer.set(this.bytes8, this.length);
    this.length += 8;
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
