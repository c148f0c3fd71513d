import type { ByteSink } from '../formats/byte-sink.js';
import { ColumnType } from '../schema/column-type.js';

/**
 * PostgreSQL's binary COPY format (`COPY … FROM STDIN WITH (FORMAT binary)`), written value by
 * value into a ByteSink — what a worker hands PostgreSQL once it has parsed every value: the
 * server then parses nothing (issue #7, item 8; measured cheaper than CSV for the server in
 * ARCHITECTURE.md's lessons). Layout:
 *
 *   header   "PGCOPY\n\xff\r\n\0", int32 flags (0), int32 header-extension length (0)
 *   tuple    int16 field count, then per field int32 byte length (-1: NULL) and the bytes
 *   trailer  int16 -1
 *
 * All integers are big-endian. Values come as numbers (no per-value BigInt or Date): dates as
 * days since 1970-01-01, timestamps as milliseconds since 1970 plus microseconds, so numbers,
 * booleans, dates, times and text allocate nothing; the int64 conversions are done in exact parts
 * of a double. (numeric, uuid and bigints beyond 2^53 allocate a little: rarer columns.)
 *
 * The workers write a ColumnBatch with it (binary-copy-encoder.ts, through the `put…` field
 * writers below). test/sink/binary-copy.test.ts checks every type against PostgreSQL's own text
 * input.
 */

export const BINARY_COPY_SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
/** The whole header: the signature, flags 0 and no header extension. */
export const BINARY_COPY_HEADER = Uint8Array.from([...BINARY_COPY_SIGNATURE, 0, 0, 0, 0, 0, 0, 0, 0]);
/** 2000-01-01, PostgreSQL's epoch, in days and milliseconds since 1970-01-01. */
export const PG_EPOCH_DAYS = 10_957;
export const PG_EPOCH_MS = PG_EPOCH_DAYS * 86_400_000;
const TWO_32 = 2 ** 32;
const TWO_24 = 2 ** 24;

/** Scratch for float8: its bytes in the platform's order, reversed where needed. */
const floatScratch = new Float64Array(1);
const floatBytes = new Uint8Array(floatScratch.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class BinaryCopyEncoder {
  constructor(readonly sink: ByteSink) {}

  header(): void {
    this.sink.pushBytes(BINARY_COPY_HEADER, 0, BINARY_COPY_HEADER.length);
  }

  trailer(): void {
    this.int16(-1);
  }

  /** Starts a tuple of `fields` values (provenance columns included). */
  row(fields: number): void {
    this.int16(fields);
  }

  null(): void {
    this.int32(-1);
  }

  int4(value: number): void {
    this.sink.length = putInt4(this.sink.reserve(8), this.sink.length, value);
  }

  /** An integer within ±2^53 (a file offset, a bigint the worker checked fits). */
  int8(value: number): void {
    this.sink.length = putInt8(this.sink.reserve(12), this.sink.length, value);
  }

  /** An int64 given as its decimal text (bigint values beyond 2^53), digits checked by the caller. */
  int8Text(text: string): void {
    this.int32(8);
    const value = BigInt.asUintN(64, BigInt(text));
    this.int32(Number(value >> 32n));
    this.int32(Number(value & 0xffffffffn));
  }

  float8(value: number): void {
    this.sink.length = putFloat8(this.sink.reserve(12), this.sink.length, value);
  }

  bool(value: boolean): void {
    this.int32(1);
    this.sink.pushByte(value ? 1 : 0);
  }

  /** Days since 1970-01-01. */
  date(epochDays: number): void {
    this.int4(epochDays - PG_EPOCH_DAYS);
  }

  /** Milliseconds since 1970-01-01 UTC (an integer) and the microseconds within it (0..999). */
  timestamptz(epochMs: number, micros = 0): void {
    this.sink.length = putTimestamptz(this.sink.reserve(12), this.sink.length, epochMs, micros);
  }

  /** Microseconds since 1970-01-01 UTC (a double: exact to the microsecond until about 2255). */
  timestamptzMicros(micros: number): void {
    const ms = Math.floor(micros / 1000);
    this.timestamptz(ms, Math.round(micros - ms * 1000));
  }

  /** UTF-8 text as it is in `bytes[start, end)` (already checked to be valid UTF-8, no NUL). */
  text(source: Uint8Array, start: number, end: number): void {
    const length = end - start;
    // A native copy costs more than a byte loop for the short values most columns hold.
    if (length > SHORT_TEXT) {
      this.int32(length);
      this.sink.pushBytes(source, start, end);
      return;
    }
    const bytes = this.sink.reserve(4 + length);
    const at = this.sink.length;
    writeInt32(bytes, at, length);
    for (let k = 0; k < length; k++) bytes[at + 4 + k] = source[start + k];
    this.sink.length = at + 4 + length;
  }

  textString(value: string): void {
    const encoded = Buffer.from(value, 'utf8');
    this.text(encoded, 0, encoded.length);
  }

  /** jsonb: a version byte (1) and the JSON text. */
  jsonb(bytes: Uint8Array, start: number, end: number): void {
    this.int32(end - start + 1);
    this.sink.pushByte(1);
    this.sink.pushBytes(bytes, start, end);
  }

  /** A uuid from its text (32 hex digits, dashes anywhere ignored); false if it is not one. */
  uuid(bytes: Uint8Array, start: number, end: number): boolean {
    const out = new Uint8Array(16);
    let n = 0;
    for (let i = start; i < end; i++) {
      const c = bytes[i];
      if (c === 0x2d) continue;
      const digit = hexDigit(c);
      if (digit < 0 || n >= 32) return false;
      out[n >> 1] |= (n & 1) === 0 ? digit << 4 : digit;
      n++;
    }
    if (n !== 32) return false;
    this.int32(16);
    this.sink.pushBytes(out, 0, 16);
    return true;
  }

  /**
   * numeric from a plain decimal text (`-123.4500`, `1e3` not accepted: the caller writes plain
   * digits): base-10000 digit groups aligned on the decimal point, weight, sign, display scale.
   * Returns false for text that is not a plain decimal.
   */
  numeric(bytes: Uint8Array, start: number, end: number): boolean {
    let i = start;
    let negative = false;
    if (i < end && (bytes[i] === 0x2d || bytes[i] === 0x2b)) { negative = bytes[i] === 0x2d; i++; }
    const intStart = i;
    while (i < end && isDigit(bytes[i])) i++;
    const intEnd = i;
    let fracStart = i;
    let fracEnd = i;
    if (i < end && bytes[i] === 0x2e) {
      fracStart = ++i;
      while (i < end && isDigit(bytes[i])) i++;
      fracEnd = i;
    }
    if (i !== end || (intEnd === intStart && fracEnd === fracStart)) return false;
    // Skip leading zeros of the integer part and trailing zeros of the fraction (dscale keeps them).
    let first = intStart;
    while (first < intEnd && bytes[first] === 0x30) first++;
    let lastFrac = fracEnd;
    while (lastFrac > fracStart && bytes[lastFrac - 1] === 0x30) lastFrac--;
    const dscale = fracEnd - fracStart;
    const intDigits = intEnd - first;
    // Groups of four digits: the integer part padded on the left, the fraction on the right.
    const intGroups = Math.ceil(intDigits / 4);
    const fracGroups = Math.ceil((lastFrac - fracStart) / 4);
    const groups: number[] = [];
    const digitAt = (k: number): number => {
      // k counts digits from the first integer digit of the padded integer part.
      const padded = intGroups * 4 - intDigits;
      if (k < padded) return 0;
      if (k < intGroups * 4) return bytes[first + k - padded] - 0x30;
      const f = fracStart + k - intGroups * 4;
      return f < lastFrac ? bytes[f] - 0x30 : 0;
    };
    for (let g = 0; g < intGroups + fracGroups; g++) {
      groups.push(digitAt(4 * g) * 1000 + digitAt(4 * g + 1) * 100 + digitAt(4 * g + 2) * 10 + digitAt(4 * g + 3));
    }
    let weight = intGroups - 1;
    // Strip leading and trailing zero groups (PostgreSQL stores none).
    let lead = 0;
    while (lead < groups.length && groups[lead] === 0) { lead++; weight--; }
    let trail = groups.length;
    while (trail > lead && groups[trail - 1] === 0) trail--;
    const digits = groups.slice(lead, trail);
    if (digits.length === 0) { weight = 0; negative = false; }
    this.int32(8 + 2 * digits.length);
    this.int16(digits.length);
    this.int16(weight);
    this.int16(negative ? 0x4000 : 0);
    this.int16(dscale);
    for (const d of digits) this.int16(d);
    return true;
  }

  private int16(value: number): void {
    const bytes = this.sink.reserve(2);
    const at = this.sink.length;
    bytes[at] = (value >> 8) & 0xff;
    bytes[at + 1] = value & 0xff;
    this.sink.length = at + 2;
  }

  private int32(value: number): void {
    const bytes = this.sink.reserve(4);
    writeInt32(bytes, this.sink.length, value);
    this.sink.length += 4;
  }
}

/** Bytes of a non-NULL field (length word and value) of each fixed-width type; absent: as long as its text. */
export const FIELD_BYTES: Partial<Record<number, number>> = {
  [ColumnType.bool]: 5,
  [ColumnType.int]: 8,
  [ColumnType.bigint]: 12,
  [ColumnType.float]: 12,
  [ColumnType.date]: 8,
  [ColumnType.timestamptz]: 12,
};

/** Texts up to this many bytes are copied by a loop, longer ones natively. */
export const SHORT_TEXT = 32;

/*
 * Whole fields (length word and value) written at `at` of an array the caller reserved room in;
 * each returns the index after the field. The encoder methods above use them one field at a
 * time; the batch encoder (binary-copy-encoder.ts) reserves a row's bytes once and calls them.
 */

export function putInt4(bytes: Uint8Array, at: number, value: number): number {
  writeInt32(bytes, at, 4);
  writeInt32(bytes, at + 4, value);
  return at + 8;
}

/** An integer within ±2^53. */
export function putInt8(bytes: Uint8Array, at: number, value: number): number {
  const high = Math.floor(value / TWO_32);
  writeInt32(bytes, at, 8);
  writeInt32(bytes, at + 4, high);
  writeInt32(bytes, at + 8, value - high * TWO_32);
  return at + 12;
}

export function putFloat8(bytes: Uint8Array, at: number, value: number): number {
  writeInt32(bytes, at, 8);
  floatScratch[0] = value;
  if (LITTLE_ENDIAN) {
    bytes[at + 4] = floatBytes[7]; bytes[at + 5] = floatBytes[6]; bytes[at + 6] = floatBytes[5]; bytes[at + 7] = floatBytes[4];
    bytes[at + 8] = floatBytes[3]; bytes[at + 9] = floatBytes[2]; bytes[at + 10] = floatBytes[1]; bytes[at + 11] = floatBytes[0];
  } else {
    for (let k = 0; k < 8; k++) bytes[at + 4 + k] = floatBytes[k];
  }
  return at + 12;
}

export function putBool(bytes: Uint8Array, at: number, value: boolean): number {
  writeInt32(bytes, at, 1);
  bytes[at + 4] = value ? 1 : 0;
  return at + 5;
}

/** Days since 1970-01-01. */
export function putDate(bytes: Uint8Array, at: number, epochDays: number): number {
  return putInt4(bytes, at, epochDays - PG_EPOCH_DAYS);
}

/** Milliseconds since 1970-01-01 UTC (an integer) and the microseconds within it (0..999). */
export function putTimestamptz(bytes: Uint8Array, at: number, epochMs: number, micros: number): number {
  writeInt32(bytes, at, 8);
  // Microseconds since 2000 exceed 2^53 in years far from it; build the int64 from exact parts:
  // x·1000 + µs with x = xh·2^24 + xl, and xh·1000 split again at 2^8 so each part stays exact.
  const x = epochMs - PG_EPOCH_MS;
  const xh = Math.floor(x / TWO_24);
  const xl = x - xh * TWO_24;
  const a = xh * 1000;
  const a1 = Math.floor(a / 256);
  const c = (a - a1 * 256) * TWO_24 + xl * 1000 + micros;
  const carry = Math.floor(c / TWO_32);
  writeInt32(bytes, at + 4, a1 + carry);
  writeInt32(bytes, at + 8, c - carry * TWO_32);
  return at + 12;
}

/** NULL: a length of -1. */
export function putNull(bytes: Uint8Array, at: number): number {
  writeInt32(bytes, at, -1);
  return at + 4;
}

/** UTF-8 text from source[start, end) (checked valid, no NUL). */
export function putText(bytes: Uint8Array, at: number, source: Uint8Array, start: number, end: number): number {
  const length = end - start;
  writeInt32(bytes, at, length);
  at += 4;
  if (length > SHORT_TEXT) bytes.set(source.subarray(start, end), at);
  else for (let k = 0; k < length; k++) bytes[at + k] = source[start + k];
  return at + length;
}

/** jsonb: a version byte (1) and the JSON text. */
export function putJsonb(bytes: Uint8Array, at: number, source: Uint8Array, start: number, end: number): number {
  const length = end - start;
  writeInt32(bytes, at, length + 1);
  bytes[at + 4] = 1;
  bytes.set(source.subarray(start, end), at + 5);
  return at + 5 + length;
}

/** Big-endian; a value in [2^31, 2^32) is written as its unsigned bits (>> wraps it). */
function writeInt32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = (value >> 24) & 0xff;
  bytes[at + 1] = (value >> 16) & 0xff;
  bytes[at + 2] = (value >> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
