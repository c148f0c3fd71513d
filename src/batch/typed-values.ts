import { COLON, DOT, isDigit, MINUS, PLUS, SPACE, ZERO } from '../schema/ascii.js';
import { ColumnType } from '../schema/column-type.js';
import { type ColumnBatch, type ColumnVector, hasNumbers } from './column-batch.js';

/**
 * Fills `numbers` (and `micros`) of a batch's typed columns from their text spans where the parser
 * has not (ColumnVector.numbersType), once per chunk, after the transforms (which may rewrite
 * text) and before the stages that read numbers (validate, profile, detect) and the binary COPY
 * encoder. Every value here already passed its type's check
 * (schema/value-checks.ts fitsType), so each parser assumes valid syntax and only reads it: byte
 * loops over the span, no strings, no allocation — except floats that a double cannot be shown to
 * hold exactly by the fast path below, which go through Number() of their text (rare in data).
 *
 * Each value must equal what PostgreSQL makes of the same text, since binary COPY hands it these
 * numbers instead of the text: floats round to nearest as float8in (strtod) and Number() do;
 * fractional seconds round as PostgreSQL's ParseFractionalSecond does (rint of the fraction read
 * as a double times 10^6: half to even, on that double).
 */

const DAY_MS = 86_400_000;
/** Integers a double holds exactly: below this a bigint is exact in `numbers`. */
const TWO_53 = 2 ** 53;
/** Exact powers of ten as doubles (10^22 is the last one a double holds exactly). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

export function fillTypedValues(batch: ColumnBatch): void {
  for (const column of batch.columns) {
    // The CSV parser reads the numbers while it checks the values (batch/checked-values.ts): only
    // columns without them, or whose text a stage rewrote since, are read here.
    if (column.dropped || !hasNumbers(column.type) || column.numbersType === column.type) continue;
    fillColumn(batch, column);
    column.numbersType = column.type;
  }
}

function fillColumn(batch: ColumnBatch, column: ColumnVector): void {
  const { bytes, rowCount, rejected } = batch;
  const { nulls, starts, ends, numbers, micros } = column;
  switch (column.type) {
    case ColumnType.bool:
      for (let r = 0; r < rowCount; r++) if (nulls[r] === 0 && rejected[r] === 0) numbers[r] = parseBool(bytes, starts[r], ends[r]);
      return;
    case ColumnType.int:
    case ColumnType.bigint:
      for (let r = 0; r < rowCount; r++) if (nulls[r] === 0 && rejected[r] === 0) numbers[r] = parseInteger(bytes, starts[r], ends[r]);
      return;
    case ColumnType.float:
      for (let r = 0; r < rowCount; r++) if (nulls[r] === 0 && rejected[r] === 0) numbers[r] = parseFloat8(bytes, starts[r], ends[r]);
      return;
    case ColumnType.date:
      for (let r = 0; r < rowCount; r++) if (nulls[r] === 0 && rejected[r] === 0) numbers[r] = parseIsoDate(bytes, starts[r], ends[r]);
      return;
    case ColumnType.timestamptz:
      for (let r = 0; r < rowCount; r++) {
        if (nulls[r] === 0 && rejected[r] === 0) {
          const total = parseIsoTimestampMicros(bytes, starts[r], ends[r]);
          numbers[r] = total.ms;
          micros[r] = total.micros;
        }
      }
      return;
  }
}

function skipSpaces(bytes: Uint8Array, start: number, end: number): number {
  while (start < end && bytes[start] === SPACE) start++;
  return start;
}

function trimEnd(bytes: Uint8Array, start: number, end: number): number {
  while (end > start && bytes[end - 1] === SPACE) end--;
  return end;
}

/** 1 or 0 from a boolean word isBool accepts (t/true/y/yes/on, f/false/n/no/off, any case). */
export function parseBool(bytes: Uint8Array, start: number, end: number): number {
  start = skipSpaces(bytes, start, end);
  const first = bytes[start] | 0x20;
  if (first === 0x74 || first === 0x79) return 1; // t, y
  if (first === 0x6f) return (bytes[start + 1] | 0x20) === 0x6e ? 1 : 0; // on / off
  return 0;
}

/** A decimal integer; exact within ±2^53 (beyond it, the nearest double: the text is the value). */
export function parseInteger(bytes: Uint8Array, start: number, end: number): number {
  start = skipSpaces(bytes, start, end);
  end = trimEnd(bytes, start, end);
  let negative = false;
  if (bytes[start] === MINUS || bytes[start] === PLUS) { negative = bytes[start] === MINUS; start++; }
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (bytes[i] - ZERO);
  return negative ? -value : value;
}

/** Whether a bigint parsed by parseInteger is exact in its double (else encode it from its text). */
export function isExactInteger(value: number): boolean {
  return value > -TWO_53 && value < TWO_53;
}

/**
 * A float8 literal ([+-]digits[.digits][e[+-]digits]) as the nearest double. Fast path (Clinger):
 * when the significant digits form an integer below 2^53 and the decimal exponent is within ±22,
 * the value is one correctly rounded multiplication or division of two exact doubles — the
 * nearest double to the decimal, as strtod gives. Anything else is rounded by Number().
 */
export function parseFloat8(bytes: Uint8Array, start: number, end: number): number {
  start = skipSpaces(bytes, start, end);
  end = trimEnd(bytes, start, end);
  let i = start;
  let negative = false;
  if (bytes[i] === MINUS || bytes[i] === PLUS) { negative = bytes[i] === MINUS; i++; }
  let mantissa = 0;
  let digits = 0;
  let scale = 0;
  // Leading zeros add nothing to the mantissa and need not count towards its 15 digits.
  while (i < end && isDigit(bytes[i])) {
    const d = bytes[i++] - ZERO;
    if (digits > 0 || d !== 0) { mantissa = mantissa * 10 + d; digits++; }
  }
  if (i < end && bytes[i] === DOT) {
    i++;
    while (i < end && isDigit(bytes[i])) {
      const d = bytes[i++] - ZERO;
      if (digits > 0 || d !== 0) { mantissa = mantissa * 10 + d; digits++; }
      scale--;
    }
  }
  if (i < end) {
    i++; // e or E
    let expNegative = false;
    if (bytes[i] === MINUS || bytes[i] === PLUS) { expNegative = bytes[i] === MINUS; i++; }
    let exponent = 0;
    while (i < end && exponent < 100_000) exponent = exponent * 10 + (bytes[i++] - ZERO);
    scale += expNegative ? -exponent : exponent;
  }
  let value: number;
  if (mantissa === 0) value = 0;
  else if (digits <= 15 && scale >= -22 && scale <= 22) value = scale < 0 ? mantissa / POW10[-scale] : mantissa * POW10[scale];
  else return Number(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1'));
  return negative ? -value : value;
}

function digitsAt(bytes: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let k = 0; k < count; k++) value = value * 10 + (bytes[at + k] - ZERO);
  return value;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Days since 1970-01-01 of `YYYY-MM-DD` (surrounding spaces allowed). */
export function parseIsoDate(bytes: Uint8Array, start: number, end: number): number {
  start = skipSpaces(bytes, start, end);
  return daysFromCivil(digitsAt(bytes, start, 4), digitsAt(bytes, start + 5, 2), digitsAt(bytes, start + 8, 2));
}

/** The last timestamp read: ms since 1970 UTC (whole) and the microseconds within that ms. A shared result object: no allocation per value. */
const timestamp = { ms: 0, micros: 0 };

/**
 * An ISO timestamp as isIsoTimestamp accepts it: date, `T` or space, HH:MM[:SS[.fraction]], zone
 * Z / ±HH / ±HHMM / ±HH:MM or none (UTC). Returns the shared `timestamp` result.
 */
export function parseIsoTimestampMicros(bytes: Uint8Array, start: number, end: number): { ms: number; micros: number } {
  start = skipSpaces(bytes, start, end);
  end = trimEnd(bytes, start, end);
  const days = parseIsoDate(bytes, start, end);
  let i = start + 11;
  let seconds = digitsAt(bytes, i, 2) * 3600 + digitsAt(bytes, i + 3, 2) * 60;
  i += 5;
  let fraction = 0;
  if (i < end && bytes[i] === COLON) {
    seconds += digitsAt(bytes, i + 1, 2);
    i += 3;
    if (i < end && bytes[i] === DOT) {
      const fractionStart = ++i;
      while (i < end && isDigit(bytes[i])) i++;
      fraction = fractionMicros(bytes, fractionStart, i);
    }
  }
  if (i < end && bytes[i] !== 0x5a && bytes[i] !== 0x7a) {
    const sign = bytes[i] === MINUS ? -1 : 1;
    i++;
    let zone = digitsAt(bytes, i, 2) * 3600;
    i += 2;
    if (i < end && bytes[i] === COLON) i++;
    if (i < end) zone += digitsAt(bytes, i, 2) * 60;
    seconds -= sign * zone;
  }
  const wholeMs = Math.floor(fraction / 1000);
  timestamp.ms = days * DAY_MS + seconds * 1000 + wholeMs;
  timestamp.micros = fraction - wholeMs * 1000;
  return timestamp;
}

/**
 * Microseconds of a fraction of a second given by its digits (after the point), rounded as
 * PostgreSQL rounds it: rint(strtod("0.digits") * 10^6). Up to 15 digits the double is the exact
 * quotient digits / 10^k (one correctly rounded division, as strtod rounds); more are rare, and
 * go through Number(). The product is rounded by the double multiply, then half to even (rint).
 * Can be 10^6 (`.9999995` rounds up into the next second), which the caller carries.
 */
export function fractionMicros(bytes: Uint8Array, start: number, end: number): number {
  const count = end - start;
  // Up to six digits the fraction is a whole number of microseconds, and the rounding above gives
  // exactly digits × 10^(6 − count) (the double's error is far below half a microsecond).
  if (count <= 6) return digitsAt(bytes, start, count) * POW10[6 - count];
  let fraction: number;
  if (count <= 15) fraction = digitsAt(bytes, start, count) / POW10[count];
  else fraction = Number(`0.${Buffer.from(bytes.buffer, bytes.byteOffset + start, count).toString('latin1')}`);
  return roundHalfEven(fraction * 1_000_000);
}

function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
