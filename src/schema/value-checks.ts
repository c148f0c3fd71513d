import { daysInMonth, DOT, isDigit, lower, MINUS, PLUS, SPACE, ZERO } from './ascii.js';
import { ColumnType, type ColumnTypeCode } from './column-type.js';

/**
 * Byte-level checks that a field's text is a valid literal of a column type — valid for
 * PostgreSQL's own input functions too, so a row the worker accepts does not fail COPY.
 * They run once per typed field on the hot path: indexed loops, no strings, no allocation.
 * Surrounding spaces are allowed because PostgreSQL's input functions allow them.
 */

export function trimStart(bytes: Uint8Array, start: number, end: number): number {
  while (start < end && bytes[start] === SPACE) start++;
  return start;
}

export function trimEnd(bytes: Uint8Array, start: number, end: number): number {
  while (end > start && bytes[end - 1] === SPACE) end--;
  return end;
}

/** Compares bytes[start,end) case-insensitively with an ASCII lowercase word. */
function equalsWord(bytes: Uint8Array, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (lower(bytes[start + i]) !== word.charCodeAt(i)) return false;
  return true;
}

const BOOL_WORDS = ['true', 'false', 't', 'f', 'yes', 'no', 'y', 'n', 'on', 'off'];

export function isBool(bytes: Uint8Array, start: number, end: number): boolean {
  start = trimStart(bytes, start, end);
  end = trimEnd(bytes, start, end);
  const length = end - start;
  if (length === 0 || length > 5) return false;
  for (let w = 0; w < BOOL_WORDS.length; w++) if (equalsWord(bytes, start, end, BOOL_WORDS[w])) return true;
  return false;
}

/**
 * Digits after an explicit `+` from which a value is a phone number (`+31612345678`), not a
 * number: E.164 numbers have 8 to 15 digits, while a signed quantity (`+5`, `+1200`) is short.
 */
export const PHONE_DIGITS = 8;

/**
 * `+` then only digits, at least PHONE_DIGITS of them: a phone number in international form.
 * Such a value is text even where every digit would fit a number, so a column of them stays text.
 */
function isPlusPhone(bytes: Uint8Array, start: number, end: number): boolean {
  if (bytes[start] !== PLUS || end - start - 1 < PHONE_DIGITS) return false;
  for (let i = start + 1; i < end; i++) if (!isDigit(bytes[i])) return false;
  return true;
}

/**
 * An integer that fits in `maxDigits` digits and the bound given as its decimal text.
 * Leading zeros are refused: "007" is an identifier or a code, not a number (it would lose them).
 */
function isInteger(bytes: Uint8Array, start: number, end: number, max: string): boolean {
  start = trimStart(bytes, start, end);
  end = trimEnd(bytes, start, end);
  if (isPlusPhone(bytes, start, end)) return false;
  let negative = false;
  if (start < end && (bytes[start] === MINUS || bytes[start] === PLUS)) {
    negative = bytes[start] === MINUS;
    start++;
  }
  const length = end - start;
  if (length === 0 || length > max.length) return false;
  if (bytes[start] === ZERO && length > 1) return false;
  for (let i = start; i < end; i++) if (!isDigit(bytes[i])) return false;
  if (length < max.length) return true;
  // Same length as the bound: compare digit by digit (the negative bound is one larger).
  for (let i = 0; i < length; i++) {
    const digit = bytes[start + i];
    let bound = max.charCodeAt(i);
    if (negative && i === length - 1) bound++;
    if (digit < bound) return true;
    if (digit > bound) return false;
  }
  return true;
}

export function isInt32(bytes: Uint8Array, start: number, end: number): boolean {
  return isInteger(bytes, start, end, '2147483647');
}

export function isInt64(bytes: Uint8Array, start: number, end: number): boolean {
  return isInteger(bytes, start, end, '9223372036854775807');
}

/** Decimal exponents of float8's range: below FLOAT8_SAFE_* a literal is in range whatever its digits. */
const FLOAT8_SAFE_MAX = 308;
const FLOAT8_SAFE_MIN = -300;
/** Beyond these the literal is out of range whatever its digits (overflow, or underflow to zero). */
const FLOAT8_MAX_MAGNITUDE = 309;
const FLOAT8_MIN_MAGNITUDE = -324;

/**
 * The shape of a decimal or scientific literal, [+-]digits[.digits][e[+-]digits], read in place.
 * Leading zeros before other integer digits are refused, as in integers. Fills `shape` and
 * returns true when the bytes are such a literal.
 */
interface NumberShape {
  intStart: number;
  intDigits: number;
  fracStart: number;
  fracDigits: number;
  exponent: number;
  hasExponent: boolean;
}

const shape: NumberShape = { intStart: 0, intDigits: 0, fracStart: 0, fracDigits: 0, exponent: 0, hasExponent: false };

function readNumberShape(bytes: Uint8Array, start: number, end: number, out: NumberShape): boolean {
  let i = start;
  if (i < end && (bytes[i] === MINUS || bytes[i] === PLUS)) i++;
  const intStart = i;
  while (i < end && isDigit(bytes[i])) i++;
  const intDigits = i - intStart;
  if (intDigits > 1 && bytes[intStart] === ZERO) return false;
  let fracDigits = 0;
  let fracStart = i;
  if (i < end && bytes[i] === DOT) {
    i++;
    fracStart = i;
    while (i < end && isDigit(bytes[i])) i++;
    fracDigits = i - fracStart;
  }
  if (intDigits + fracDigits === 0) return false;
  let exponent = 0;
  let hasExponent = false;
  if (i < end && (bytes[i] === 0x65 || bytes[i] === 0x45)) {
    i++;
    hasExponent = true;
    let expNegative = false;
    if (i < end && (bytes[i] === MINUS || bytes[i] === PLUS)) { expNegative = bytes[i] === MINUS; i++; }
    const expStart = i;
    while (i < end && isDigit(bytes[i]) && i - expStart < 6) { exponent = exponent * 10 + (bytes[i] - ZERO); i++; }
    if (i === expStart) return false;
    if (expNegative) exponent = -exponent;
  }
  if (i !== end) return false;
  out.intStart = intStart; out.intDigits = intDigits; out.fracStart = fracStart; out.fracDigits = fracDigits;
  out.exponent = exponent; out.hasExponent = hasExponent;
  return true;
}

/**
 * The decimal exponent of a literal's value (10^(m-1) <= |value| < 10^m), or null when every digit
 * is zero. Zeros after the point of a value below 1 lower it: 0.000…01 is tiny.
 */
function magnitudeOf(bytes: Uint8Array, s: NumberShape): number | null {
  let lead = 0;
  while (lead < s.intDigits && bytes[s.intStart + lead] === ZERO) lead++;
  if (lead < s.intDigits) return s.intDigits - lead + s.exponent;
  let zeros = 0;
  while (zeros < s.fracDigits && bytes[s.fracStart + zeros] === ZERO) zeros++;
  if (zeros === s.fracDigits) return null;
  return s.exponent - zeros;
}

/**
 * A decimal or scientific literal that PostgreSQL's float8 input accepts: its value neither
 * overflows nor rounds to zero (a denormal is accepted, as float8in does). Far from the edges the
 * magnitude decides on the bytes alone; within a decade of them the literal is rounded as strtod
 * rounds it (JavaScript's Number() rounds the same, to nearest), so `1.79769e+308` is a double and
 * `1.8e308` is not. A value the check accepts must never fail COPY.
 */
export function isFloat8(bytes: Uint8Array, start: number, end: number): boolean {
  start = trimStart(bytes, start, end);
  end = trimEnd(bytes, start, end);
  if (isPlusPhone(bytes, start, end)) return false;
  if (!readNumberShape(bytes, start, end, shape)) return false;
  const magnitude = magnitudeOf(bytes, shape);
  // Every digit zero: exactly zero, which is in range whatever the exponent.
  if (magnitude === null) return true;
  if (magnitude < FLOAT8_SAFE_MAX && magnitude > FLOAT8_SAFE_MIN) return true;
  if (magnitude > FLOAT8_MAX_MAGNITUDE || magnitude < FLOAT8_MIN_MAGNITUDE) return false;
  // Rare: at the edge of the range, round it. Strings are fine here.
  const value = Math.abs(Number(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1')));
  return Number.isFinite(value) && value !== 0;
}

/** Exponent bound for numeric literals: PostgreSQL's numeric holds far more, but no data needs it. */
const NUMERIC_MAX_MAGNITUDE = 1000;

/**
 * A literal for PostgreSQL's `numeric`: the float8 shape without the range limit (numeric holds
 * 131072 digits before the point), so an integer of any length keeps every digit.
 */
export function isNumeric(bytes: Uint8Array, start: number, end: number): boolean {
  start = trimStart(bytes, start, end);
  end = trimEnd(bytes, start, end);
  if (isPlusPhone(bytes, start, end)) return false;
  if (!readNumberShape(bytes, start, end, shape)) return false;
  if (shape.intDigits + shape.fracDigits > NUMERIC_MAX_MAGNITUDE || Math.abs(shape.exponent) > NUMERIC_MAX_MAGNITUDE) return false;
  const magnitude = magnitudeOf(bytes, shape);
  return magnitude === null || (magnitude <= NUMERIC_MAX_MAGNITUDE && magnitude >= -NUMERIC_MAX_MAGNITUDE);
}

/**
 * An integer literal (digits, optional sign) beyond bigint's range: a double would round it
 * (a 20-digit id loses its last digits), so inference and widening give it `numeric` instead.
 */
export function isLongInteger(bytes: Uint8Array, start: number, end: number): boolean {
  start = trimStart(bytes, start, end);
  end = trimEnd(bytes, start, end);
  let i = start;
  if (i < end && (bytes[i] === MINUS || bytes[i] === PLUS)) i++;
  if (end - i < 19 || bytes[i] === ZERO) return false;
  for (let k = i; k < end; k++) if (!isDigit(bytes[k])) return false;
  return !isInt64(bytes, start, end);
}

function readDigits(bytes: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) {
    const c = bytes[at + i];
    if (!isDigit(c)) return -1;
    value = value * 10 + (c - ZERO);
  }
  return value;
}

/** YYYY-MM-DD with a real calendar day; returns the index after it or -1. */
function readIsoDate(bytes: Uint8Array, start: number, end: number): number {
  if (end - start < 10) return -1;
  if (bytes[start + 4] !== MINUS || bytes[start + 7] !== MINUS) return -1;
  const year = readDigits(bytes, start, 4);
  const month = readDigits(bytes, start + 5, 2);
  const day = readDigits(bytes, start + 8, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1) return -1;
  if (day > daysInMonth(year, month)) return -1;
  return start + 10;
}

export function isIsoDate(bytes: Uint8Array, start: number, end: number): boolean {
  start = trimStart(bytes, start, end);
  end = trimEnd(bytes, start, end);
  return readIsoDate(bytes, start, end) === end;
}

const MAX_FRACTION_DIGITS = 64;

/**
 * ISO 8601 timestamp: date, `T` or space, HH:MM[:SS[.fraction]], then optional zone
 * (`Z`, `±HH`, `±HHMM`, `±HH:MM`). Without a zone the value is read as UTC (writers set
 * the session time zone to UTC).
 */
export function isIsoTimestamp(bytes: Uint8Array, start: number, end: number): boolean {
  start = trimStart(bytes, start, end);
  end = trimEnd(bytes, start, end);
  let i = readIsoDate(bytes, start, end);
  if (i < 0 || i >= end) return false;
  if (bytes[i] !== 0x54 && bytes[i] !== SPACE) return false;
  i++;
  if (end - i < 5 || bytes[i + 2] !== 0x3a) return false;
  const hour = readDigits(bytes, i, 2);
  const minute = readDigits(bytes, i + 3, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return false;
  i += 5;
  if (i < end && bytes[i] === 0x3a) {
    const second = readDigits(bytes, i + 1, 2);
    if (i + 3 > end || second < 0 || second > 59) return false;
    i += 3;
    if (i < end && bytes[i] === DOT) {
      i++;
      const fractionStart = i;
      while (i < end && isDigit(bytes[i])) i++;
      // PostgreSQL's datetime parser works in a buffer of about 150 characters and refuses
      // longer input (from ~125 fraction digits); precision ends at microseconds anyway.
      if (i === fractionStart || i - fractionStart > MAX_FRACTION_DIGITS) return false;
    }
  }
  if (i === end) return true;
  const z = bytes[i];
  if (z === 0x5a || z === 0x7a) return i + 1 === end;
  if (z !== PLUS && z !== MINUS) return false;
  i++;
  const zoneHours = readDigits(bytes, i, 2);
  if (zoneHours < 0 || zoneHours > 15 || i + 2 > end) return false;
  i += 2;
  if (i === end) return true;
  if (bytes[i] === 0x3a) i++;
  const zoneMinutes = readDigits(bytes, i, 2);
  return zoneMinutes >= 0 && zoneMinutes < 60 && i + 2 === end;
}

/**
 * Whether a timestamp isIsoTimestamp accepts was written with a zone (`Z`, `±HH`, `±HHMM`,
 * `±HH:MM`) rather than as a wall-clock time. The zone ends the value, so its sign is 3, 5 or 6
 * bytes from the end; in a value without one those bytes are in the time (at least `HH:MM`
 * after the date and its `T`), which holds digits, `:` and `.` only. Three loads, no loop: it
 * runs per value of a dataset with a series zone.
 */
export function writtenWithOffset(bytes: Uint8Array, start: number, end: number): boolean {
  end = trimEnd(bytes, start, end);
  const last = bytes[end - 1];
  if (last === 0x5a || last === 0x7a) return true;
  const a = bytes[end - 3];
  const b = bytes[end - 5];
  const c = bytes[end - 6];
  return a === PLUS || a === MINUS || b === PLUS || b === MINUS || c === PLUS || c === MINUS;
}

/** Whether bytes[start,end) is a valid literal of the column type (`text` accepts anything). */
export function fitsType(type: ColumnTypeCode, bytes: Uint8Array, start: number, end: number): boolean {
  switch (type) {
    case ColumnType.bool: return isBool(bytes, start, end);
    case ColumnType.int: return isInt32(bytes, start, end);
    case ColumnType.bigint: return isInt64(bytes, start, end);
    case ColumnType.float: return isFloat8(bytes, start, end);
    case ColumnType.numeric: return isNumeric(bytes, start, end);
    case ColumnType.date: return isIsoDate(bytes, start, end);
    case ColumnType.timestamptz: return isIsoTimestamp(bytes, start, end);
    default: return true;
  }
}
