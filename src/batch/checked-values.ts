import { daysInMonth, DOT, isDigit, lower, MINUS, PLUS, SPACE, ZERO } from '../schema/ascii.js';
import { ColumnType, type ColumnTypeCode } from '../schema/column-type.js';
import { fitsType, PHONE_DIGITS, trimEnd, trimStart } from '../schema/value-checks.js';
import { daysFromCivil, fractionMicros, parseFloat8 } from './typed-values.js';

/**
 * A typed field checked and read in one pass: the CSV parser's hot path. The parser must check
 * every typed value (a bad one is a reject with its line, not a failed COPY), and the stages and
 * the binary encoder need its number; reading the bytes twice — once in the check
 * (schema/value-checks.ts), again in batch/typed-values.ts — was a third of a worker's time.
 *
 * The two files stay the definitions: a value is accepted here exactly when fitsType accepts it,
 * and its number is exactly what fillTypedValues makes of it (test/batch/checked-values.test.ts
 * holds this against both over random literals and their near misses). Where the fast reading
 * cannot decide cheaply — a float at the edge of the range or with many digits, a bigint near its
 * bound — it defers to those functions, so the rare cases share their code.
 *
 * `checkedValue` returns NaN for a value that does not fit (no accepted literal reads as NaN: the
 * checks take decimal and ISO forms only). A timestamptz returns its whole milliseconds and leaves
 * the microseconds within them in `checked.micros`: one shared slot, no allocation per value.
 */

export const checked = { micros: 0 };

const DAY_MS = 86_400_000;
/** Digits an int and a bigint may have; at that length the value is compared with the bound. */
const INT32_DIGITS = 10;
const INT64_DIGITS = 19;
const INT32_MAX = 2_147_483_647;
const BOOL_WORDS = ['true', 'false', 't', 'f', 'yes', 'no', 'y', 'n', 'on', 'off'];
const BOOL_VALUES = [1, 0, 1, 0, 1, 0, 1, 0, 1, 0];
/** Exact powers of ten as doubles, for the Clinger fast path of floats (as in typed-values.ts). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The value of bytes[start, end) in a column of `type` as the batch holds it in `numbers`, or NaN
 * when the text does not fit the type. Types without numbers (numeric, json, text) give 0 when
 * the text fits.
 */
export function checkedValue(type: ColumnTypeCode, bytes: Uint8Array, start: number, end: number): number {
  switch (type) {
    case ColumnType.int: return checkedInteger(bytes, start, end, INT32_DIGITS);
    case ColumnType.bigint: return checkedInteger(bytes, start, end, INT64_DIGITS);
    case ColumnType.float: return checkedFloat(bytes, start, end);
    case ColumnType.timestamptz: return checkedTimestamp(bytes, start, end);
    case ColumnType.date: return checkedDate(bytes, start, end);
    case ColumnType.bool: return checkedBool(bytes, start, end);
    default: return fitsType(type, bytes, start, end) ? 0 : Number.NaN;
  }
}

function checkedBool(bytes: Uint8Array, start: number, end: number): number {
  start = trimStart(bytes, start, end);
  end = trimEnd(bytes, start, end);
  const length = end - start;
  if (length === 0 || length > 5) return Number.NaN;
  for (let w = 0; w < BOOL_WORDS.length; w++) {
    const word = BOOL_WORDS[w];
    if (word.length !== length) continue;
    let k = 0;
    while (k < length && lower(bytes[start + k]) === word.charCodeAt(k)) k++;
    if (k === length) return BOOL_VALUES[w];
  }
  return Number.NaN;
}

/**
 * value-checks' isInteger (no leading zeros, no `+` phone number, within the bound) and
 * typed-values' parseInteger (digit by digit into a double) in one loop. At the bound's length
 * the digits are compared as the check compares them: int32 by value (exact), int64 by the check.
 */
function checkedInteger(bytes: Uint8Array, start: number, end: number, maxDigits: number): number {
  start = trimStart(bytes, start, end);
  end = trimEnd(bytes, start, end);
  let i = start;
  let negative = false;
  let plus = false;
  if (i < end) {
    const c = bytes[i];
    if (c === MINUS) { negative = true; i++; }
    else if (c === PLUS) { plus = true; i++; }
  }
  const length = end - i;
  if (length === 0 || length > maxDigits) return Number.NaN;
  // `+` and PHONE_DIGITS digits or more is a phone number (isPlusPhone); the loop below checks they are all digits.
  if (plus && length >= PHONE_DIGITS) return Number.NaN;
  // The length first: compared on every value, it leaves the compiled loop no comparison first met
  // at the first leading zero (a deoptimisation, and a recompilation, part way through a load).
  if (length > 1 && bytes[i] === ZERO) return Number.NaN;
  let value = 0;
  for (let k = i; k < end; k++) {
    const c = bytes[k];
    if (c < ZERO || c > 0x39) return Number.NaN;
    value = value * 10 + (c - ZERO);
  }
  if (length === maxDigits) {
    if (maxDigits === INT32_DIGITS) { if (value > (negative ? INT32_MAX + 1 : INT32_MAX)) return Number.NaN; }
    else if (!fitsType(ColumnType.bigint, bytes, start, end)) return Number.NaN;
  }
  return negative ? -value : value;
}

/**
 * A float8 literal. Fast path: at most 15 significant digits and a decimal scale within ±22 —
 * such a value is far inside float8's range (so isFloat8 accepts it once its shape is right) and
 * is one exact division or multiplication (Clinger), as parseFloat8 computes it. Anything else is
 * decided by isFloat8 and read by parseFloat8.
 */
function checkedFloat(bytes: Uint8Array, start: number, end: number): number {
  start = trimStart(bytes, start, end);
  end = trimEnd(bytes, start, end);
  let i = start;
  let negative = false;
  if (i < end) {
    const c = bytes[i];
    if (c === MINUS) { negative = true; i++; }
    else if (c === PLUS) { if (end - i - 1 >= PHONE_DIGITS) return slowFloat(bytes, start, end); i++; }
  }
  const intStart = i;
  let mantissa = 0;
  let digits = 0;
  while (i < end) {
    const c = bytes[i];
    if (c < ZERO || c > 0x39) break;
    const d = c - ZERO;
    if (digits > 0 || d !== 0) { mantissa = mantissa * 10 + d; digits++; }
    i++;
  }
  const intDigits = i - intStart;
  if (intDigits > 1 && bytes[intStart] === ZERO) return Number.NaN;
  let scale = 0;
  let fracDigits = 0;
  if (i < end && bytes[i] === DOT) {
    i++;
    const fracStart = i;
    while (i < end) {
      const c = bytes[i];
      if (c < ZERO || c > 0x39) break;
      const d = c - ZERO;
      if (digits > 0 || d !== 0) { mantissa = mantissa * 10 + d; digits++; }
      i++;
    }
    fracDigits = i - fracStart;
    scale = -fracDigits;
  }
  if (intDigits + fracDigits === 0) return Number.NaN;
  // An exponent, or anything else: the reference decides (exponents are rare in data).
  if (i !== end) return slowFloat(bytes, start, end);
  if (mantissa === 0) return negative ? -0 : 0;
  if (digits > 15 || scale < -22) return slowFloat(bytes, start, end);
  const value = scale < 0 ? mantissa / POW10[-scale] : mantissa;
  return negative ? -value : value;
}

function slowFloat(bytes: Uint8Array, start: number, end: number): number {
  return fitsType(ColumnType.float, bytes, start, end) ? parseFloat8(bytes, start, end) : Number.NaN;
}

/** Two digits at `at` as a number, or -1 when either is not a digit. */
function twoDigits(bytes: Uint8Array, at: number): number {
  const a = bytes[at] - ZERO;
  const b = bytes[at + 1] - ZERO;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/**
 * The last date readDays read, and its days (NaN: none yet). A file's dates repeat row after row
 * (a time series, an export of one day), and comparing ten bytes costs less than reading the date.
 */
const lastDate = new Uint8Array(10);
let lastDays = Number.NaN;

/** YYYY-MM-DD at `start` (at least 10 bytes before `end`) as days since 1970-01-01, or NaN. */
function readDays(bytes: Uint8Array, start: number, end: number): number {
  if (end - start < 10) return Number.NaN;
  let same = 0;
  while (same < 10 && bytes[start + same] === lastDate[same]) same++;
  if (same === 10 && lastDays === lastDays) return lastDays;
  const days = readNewDays(bytes, start);
  if (days === days) {
    for (let k = 0; k < 10; k++) lastDate[k] = bytes[start + k];
    lastDays = days;
  }
  return days;
}

function readNewDays(bytes: Uint8Array, start: number): number {
  if (bytes[start + 4] !== MINUS || bytes[start + 7] !== MINUS) return Number.NaN;
  const high = twoDigits(bytes, start);
  const low = twoDigits(bytes, start + 2);
  const month = twoDigits(bytes, start + 5);
  const day = twoDigits(bytes, start + 8);
  if (high < 0 || low < 0 || month < 1 || month > 12 || day < 1) return Number.NaN;
  const year = high * 100 + low;
  if (year < 1 || day > daysInMonth(year, month)) return Number.NaN;
  return daysFromCivil(year, month, day);
}

function checkedDate(bytes: Uint8Array, start: number, end: number): number {
  start = trimStart(bytes, start, end);
  end = trimEnd(bytes, start, end);
  if (end - start !== 10) return Number.NaN;
  return readDays(bytes, start, end);
}

const MAX_FRACTION_DIGITS = 64;

/** isIsoTimestamp and parseIsoTimestampMicros in one pass: whole ms since 1970 UTC, the µs within in `checked.micros`. */
function checkedTimestamp(bytes: Uint8Array, start: number, end: number): number {
  start = trimStart(bytes, start, end);
  end = trimEnd(bytes, start, end);
  const days = readDays(bytes, start, end);
  if (days !== days) return Number.NaN;
  let i = start + 10;
  if (i >= end || (bytes[i] !== 0x54 && bytes[i] !== SPACE)) return Number.NaN;
  i++;
  if (end - i < 5 || bytes[i + 2] !== 0x3a) return Number.NaN;
  const hour = twoDigits(bytes, i);
  const minute = twoDigits(bytes, i + 3);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return Number.NaN;
  let seconds = hour * 3600 + minute * 60;
  let fraction = 0;
  i += 5;
  if (i < end && bytes[i] === 0x3a) {
    if (i + 3 > end) return Number.NaN;
    const second = twoDigits(bytes, i + 1);
    if (second < 0 || second > 59) return Number.NaN;
    seconds += second;
    i += 3;
    if (i < end && bytes[i] === DOT) {
      const fractionStart = ++i;
      while (i < end && isDigit(bytes[i])) i++;
      if (i === fractionStart || i - fractionStart > MAX_FRACTION_DIGITS) return Number.NaN;
      fraction = fractionMicros(bytes, fractionStart, i);
    }
  }
  if (i < end) {
    const z = bytes[i];
    if (z === 0x5a || z === 0x7a) { if (i + 1 !== end) return Number.NaN; }
    else {
      if (z !== PLUS && z !== MINUS) return Number.NaN;
      i++;
      if (i + 2 > end) return Number.NaN;
      const zoneHours = twoDigits(bytes, i);
      if (zoneHours < 0 || zoneHours > 15) return Number.NaN;
      let zone = zoneHours * 3600;
      i += 2;
      if (i < end) {
        if (bytes[i] === 0x3a) i++;
        if (i + 2 !== end) return Number.NaN;
        const zoneMinutes = twoDigits(bytes, i);
        if (zoneMinutes < 0 || zoneMinutes > 59) return Number.NaN;
        zone += zoneMinutes * 60;
      }
      seconds -= z === MINUS ? -zone : zone;
    }
  }
  const wholeMs = Math.floor(fraction / 1000);
  checked.micros = fraction - wholeMs * 1000;
  return days * DAY_MS + seconds * 1000 + wholeMs;
}
