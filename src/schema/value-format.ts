import { COLON, COMMA, daysInMonth, DOT, isDigit, lower, MINUS, PLUS, SLASH, SPACE, ZERO } from './ascii.js';
import { ColumnType, type ColumnTypeCode } from './column-type.js';
import { fitsType } from './value-checks.js';
import { civilFromDays } from './civil-date.js';

/**
 * How the values of a column are written when PostgreSQL cannot read them as they are: numbers
 * with thousands separators or a decimal comma, dates in day/month order or with month names, epoch
 * seconds, null tokens. A normaliser rewrites one value into canonical text (ISO 8601 dates, plain
 * decimal numbers) in a scratch buffer; the canonical text is then checked with the same
 * PostgreSQL-safe checks as any value (value-checks.ts), so a rewritten value cannot fail COPY.
 * Columns that need none of this keep the fast path: their bytes are copied as they are.
 */

export const ValueFormat = {
  /** As written: PostgreSQL reads it (ISO dates, plain numbers). */
  plain: 0,
  /** 1,234,567.89 */
  thousandsComma: 1,
  /** 1.234.567,89 and 3,14 */
  thousandsDot: 2,
  /** 1 234 567,89 (space or no-break space) */
  thousandsSpace: 3,
  /** 2001/01/31 [13:45[:30]] */
  ymdSlash: 10,
  /** 31/01/2001, 31.01.2001, 31-01-2001 [13:45[:30]] */
  dmy: 11,
  /** 01/31/2001 [1:45[:30] [PM]] */
  mdy: 12,
  /** Jan 31 2001, January 31, 2001 [13:45[:30]] */
  monthDayYear: 13,
  /** 31-Jan-2001, 31 January 2001 [13:45[:30]] */
  dayMonthYear: 14,
  /** 2001-01, 2001/01 (the first of the month) */
  yearMonth: 15,
  /** 2001 (the first of January; only by override: a column of years is a number), 1800–2100 */
  year: 16,
  /** Seconds since 1970-01-01 UTC */
  epochSeconds: 17,
  /** Milliseconds since 1970-01-01 UTC */
  epochMillis: 18,
} as const;

export type ValueFormatCode = (typeof ValueFormat)[keyof typeof ValueFormat];

/** A column's value format; `{ format: plain, nullTokens: false }` means "copy as it is". */
export interface ColumnFormat {
  format: ValueFormatCode;
  /** NULL, NA, N/A, \N, None, NaN, null (any case) load as NULL. */
  nullTokens: boolean;
}

export const PLAIN: ColumnFormat = { format: ValueFormat.plain, nullTokens: false };

export function isPlain(format: ColumnFormat | null | undefined): boolean {
  return format === null || format === undefined || (format.format === ValueFormat.plain && !format.nullTokens);
}

const FORMAT_NAMES: Record<number, string> = {
  1: '1,234.5', 2: '1.234,5', 3: '1 234,5', 10: 'YYYY/MM/DD', 11: 'DD/MM/YYYY', 12: 'MM/DD/YYYY', 13: 'Mon DD YYYY',
  14: 'DD-Mon-YYYY', 15: 'YYYY-MM', 16: 'YYYY', 17: 'epoch seconds', 18: 'epoch milliseconds',
};

/** A human description for the summary (`DD/MM/YYYY`), or null for plain values. */
export function describeFormat(format: ColumnFormat): string | null {
  const name = FORMAT_NAMES[format.format] ?? null;
  if (format.nullTokens) return name === null ? 'null tokens' : `${name}, null tokens`;
  return name;
}

function isSpace(c: number): boolean {
  return c === SPACE || c === 0x09;
}

const NULL_TOKENS = ['null', 'na', 'n/a', '\\n', 'none', 'nan', 'nil', '#n/a'];

/** Whether bytes[start,end) (spaces trimmed) is a null token, in any case. */
export function isNullToken(bytes: Uint8Array, start: number, end: number): boolean {
  while (start < end && isSpace(bytes[start])) start++;
  while (end > start && isSpace(bytes[end - 1])) end--;
  const length = end - start;
  if (length < 2 || length > 4) return false;
  outer: for (const token of NULL_TOKENS) {
    if (token.length !== length) continue;
    for (let i = 0; i < length; i++) if (lower(bytes[start + i]) !== token.charCodeAt(i)) continue outer;
    return true;
  }
  return false;
}

/**
 * Writes the canonical text of a number written with thousands separators and/or a decimal comma.
 * Groups must be of three digits after a first group of one to three. Returns the length or -1.
 */
function normaliseNumber(bytes: Uint8Array, start: number, end: number, thousands: number, decimal: number, out: Uint8Array): number {
  if (end - start >= out.length) return -1;
  let n = 0;
  let i = start;
  if (i < end && (bytes[i] === MINUS || bytes[i] === PLUS)) out[n++] = bytes[i++];
  let groupDigits = 0;
  let groups = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = bytes[i];
    if (isDigit(c)) {
      out[n++] = c;
      groupDigits++;
      digits++;
    } else if (c === thousands || (thousands === SPACE && (c === 0xa0 || c === 0xc2))) {
      // UTF-8 no-break space is C2 A0: skip both bytes as one separator.
      if (c === 0xc2) { if (bytes[i + 1] !== 0xa0) return -1; i++; }
      if (groupDigits === 0 || groupDigits > 3 || (groups > 0 && groupDigits !== 3)) return -1;
      groups++;
      groupDigits = 0;
    } else if (c === decimal) {
      if (groups > 0 && groupDigits !== 3) return -1;
      if (digits === 0) return -1;
      out[n++] = DOT;
      i++;
      const fractionStart = i;
      for (; i < end && isDigit(bytes[i]); i++) out[n++] = bytes[i];
      if (i !== end || i === fractionStart) return -1;
      return n;
    } else {
      return -1;
    }
  }
  if (digits === 0 || (groups > 0 && groupDigits !== 3)) return -1;
  return n;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** A cursor over one value, for the date parsers. */
class Cursor {
  constructor(readonly bytes: Uint8Array, public at: number, readonly end: number) {}

  get done(): boolean { return this.at >= this.end; }

  /** 1..maxDigits digits (exactly `exact` when given) as a number, or -1. */
  number(maxDigits: number, exact = 0): number {
    let value = 0;
    let count = 0;
    while (this.at < this.end && isDigit(this.bytes[this.at]) && count < maxDigits) { value = value * 10 + (this.bytes[this.at] - ZERO); this.at++; count++; }
    if (count === 0 || (exact > 0 && count !== exact)) return -1;
    if (this.at < this.end && isDigit(this.bytes[this.at])) return -1;
    return value;
  }

  char(c: number): boolean {
    if (this.at < this.end && this.bytes[this.at] === c) { this.at++; return true; }
    return false;
  }

  spaces(): number {
    const from = this.at;
    while (this.at < this.end && isSpace(this.bytes[this.at])) this.at++;
    return this.at - from;
  }

  /** A month name or its three-letter abbreviation (`Sept` too, optional dot), 1..12, or -1. */
  month(): number {
    const from = this.at;
    let word = '';
    while (this.at < this.end && word.length < 10 && (this.bytes[this.at] | 0x20) >= 0x61 && (this.bytes[this.at] | 0x20) <= 0x7a) {
      word += String.fromCharCode(this.bytes[this.at] | 0x20);
      this.at++;
    }
    const month = word === 'sept' ? 9 : word.length === 3 ? MONTHS.indexOf(word) + 1 : MONTH_NAMES.indexOf(word) + 1;
    if (month > 0) { this.char(DOT); return month; }
    this.at = from;
    return -1;
  }
}

interface DateTime {
  year: number; month: number; day: number;
  hour: number; minute: number; second: number;
  fractionStart: number; fractionEnd: number;
  hasTime: boolean;
}

/** Optional `[T| ]HH:MM[:SS[.fff]] [AM|PM]` after a date. */
function readTime(cursor: Cursor, dt: DateTime): boolean {
  if (cursor.done) return true;
  if (!cursor.char(0x54) && cursor.spaces() === 0 && !cursor.char(COMMA)) return false;
  cursor.spaces();
  if (cursor.done) return true;
  const hour = cursor.number(2);
  if (hour < 0 || !cursor.char(COLON)) return false;
  const minute = cursor.number(2, 2);
  if (minute < 0) return false;
  let second = 0;
  if (cursor.char(COLON)) {
    second = cursor.number(2, 2);
    if (second < 0) return false;
    if (cursor.char(DOT)) {
      dt.fractionStart = cursor.at;
      while (!cursor.done && isDigit(cursor.bytes[cursor.at])) cursor.at++;
      dt.fractionEnd = cursor.at;
      if (dt.fractionEnd === dt.fractionStart || dt.fractionEnd - dt.fractionStart > 9) return false;
    }
  }
  cursor.spaces();
  let h = hour;
  if (!cursor.done) {
    const a = lower(cursor.bytes[cursor.at]);
    if ((a === 0x61 || a === 0x70) && cursor.at + 1 < cursor.end && lower(cursor.bytes[cursor.at + 1]) === 0x6d) {
      if (hour < 1 || hour > 12) return false;
      h = (hour % 12) + (a === 0x70 ? 12 : 0);
      cursor.at += 2;
    }
  }
  if (!cursor.done || h > 23 || minute > 59 || second > 59) return false;
  dt.hour = h; dt.minute = minute; dt.second = second; dt.hasTime = true;
  return true;
}

/**
 * Years a value written as a bare year (`2019`, `2019-05`) may mean: four digits alone are as often
 * a code (HHMM times `0900`, part numbers `1001`), so only plausible years read as dates, and a
 * zero-padded one never does. -1 otherwise.
 */
export const PLAUSIBLE_YEARS = [1800, 2100] as const;

function plausibleYear(year: number): number {
  return year >= PLAUSIBLE_YEARS[0] && year <= PLAUSIBLE_YEARS[1] ? year : -1;
}

function readDate(format: ValueFormatCode, cursor: Cursor, dt: DateTime): boolean {
  switch (format) {
    case ValueFormat.ymdSlash:
      dt.year = cursor.number(4, 4);
      if (!cursor.char(SLASH)) return false;
      dt.month = cursor.number(2);
      if (!cursor.char(SLASH)) return false;
      dt.day = cursor.number(2);
      return true;
    case ValueFormat.dmy:
    case ValueFormat.mdy: {
      const first = cursor.number(2);
      const separator = cursor.bytes[cursor.at];
      if (separator !== SLASH && separator !== DOT && separator !== MINUS) return false;
      cursor.at++;
      const second = cursor.number(2);
      if (!cursor.char(separator)) return false;
      dt.year = cursor.number(4, 4);
      if (format === ValueFormat.dmy) { dt.day = first; dt.month = second; } else { dt.month = first; dt.day = second; }
      return true;
    }
    case ValueFormat.monthDayYear:
      dt.month = cursor.month();
      if (dt.month < 0 || cursor.spaces() === 0) return false;
      dt.day = cursor.number(2);
      cursor.char(COMMA);
      if (cursor.spaces() === 0) return false;
      dt.year = cursor.number(4, 4);
      return true;
    case ValueFormat.dayMonthYear: {
      dt.day = cursor.number(2);
      const separator = cursor.bytes[cursor.at];
      if (separator !== MINUS && separator !== SPACE) return false;
      cursor.at++;
      dt.month = cursor.month();
      if (dt.month < 0 || !cursor.char(separator)) return false;
      dt.year = cursor.number(4, 4);
      return true;
    }
    case ValueFormat.yearMonth: {
      dt.year = plausibleYear(cursor.number(4, 4));
      if (!cursor.char(MINUS) && !cursor.char(SLASH)) return false;
      dt.month = cursor.number(2, 2);
      dt.day = 1;
      return cursor.done;
    }
    case ValueFormat.year:
      dt.year = plausibleYear(cursor.number(4, 4));
      dt.month = 1;
      dt.day = 1;
      return cursor.done;
    default:
      return false;
  }
}

function pad(out: Uint8Array, at: number, value: number, width: number): number {
  for (let k = width - 1; k >= 0; k--) { out[at + k] = ZERO + (value % 10); value = Math.floor(value / 10); }
  return at + width;
}

function writeDateTime(dt: DateTime, bytes: Uint8Array, withTime: boolean, out: Uint8Array): number {
  let n = pad(out, 0, dt.year, 4);
  out[n++] = MINUS;
  n = pad(out, n, dt.month, 2);
  out[n++] = MINUS;
  n = pad(out, n, dt.day, 2);
  if (!withTime) return n;
  out[n++] = SPACE;
  n = pad(out, n, dt.hour, 2);
  out[n++] = COLON;
  n = pad(out, n, dt.minute, 2);
  out[n++] = COLON;
  n = pad(out, n, dt.second, 2);
  if (dt.fractionEnd > dt.fractionStart) {
    out[n++] = DOT;
    for (let i = dt.fractionStart; i < dt.fractionEnd; i++) out[n++] = bytes[i];
  }
  return n;
}

/** Epoch seconds or milliseconds within 1980..2100 — outside that a number is not a time. */
export const EPOCH_SECONDS_RANGE = [315_532_800, 4_102_444_800] as const;

function normaliseEpoch(bytes: Uint8Array, start: number, end: number, millis: boolean, dt: DateTime, out: Uint8Array): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    if (!isDigit(bytes[i]) || i - start > 14) return -1;
    value = value * 10 + (bytes[i] - ZERO);
  }
  if (end === start) return -1;
  const seconds = millis ? Math.floor(value / 1000) : value;
  if (seconds < EPOCH_SECONDS_RANGE[0] || seconds > EPOCH_SECONDS_RANGE[1]) return -1;
  civilFromDays(Math.floor(seconds / 86400), dt);
  const inDay = seconds % 86400;
  dt.hour = Math.floor(inDay / 3600);
  dt.minute = Math.floor((inDay % 3600) / 60);
  dt.second = inDay % 60;
  let n = writeDateTime(dt, bytes, true, out);
  if (millis) {
    out[n++] = DOT;
    n = pad(out, n, value % 1000, 3);
  }
  out[n++] = 0x5a; // Z
  return n;
}

const scratchDate: DateTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, fractionStart: 0, fractionEnd: 0, hasTime: false };

/**
 * Rewrites one value of a column into `out` as canonical text for its type. Returns the length
 * written (0 = NULL), or -1 when the value does not fit the type in this format.
 */
export function normaliseValue(type: ColumnTypeCode, format: ColumnFormat, bytes: Uint8Array, start: number, end: number, out: Uint8Array): number {
  while (start < end && isSpace(bytes[start])) start++;
  while (end > start && isSpace(bytes[end - 1])) end--;
  if (start === end) return 0;
  if (format.nullTokens && isNullToken(bytes, start, end)) return 0;
  let length: number;
  switch (format.format) {
    case ValueFormat.plain:
      if (end - start > out.length) return -1;
      for (let i = start; i < end; i++) out[i - start] = bytes[i];
      length = end - start;
      break;
    case ValueFormat.thousandsComma:
      length = normaliseNumber(bytes, start, end, COMMA, DOT, out);
      break;
    case ValueFormat.thousandsDot:
      length = normaliseNumber(bytes, start, end, DOT, COMMA, out);
      break;
    case ValueFormat.thousandsSpace:
      length = normaliseNumber(bytes, start, end, SPACE, COMMA, out);
      break;
    case ValueFormat.epochSeconds:
    case ValueFormat.epochMillis:
      if (type !== ColumnType.timestamptz) return -1;
      length = normaliseEpoch(bytes, start, end, format.format === ValueFormat.epochMillis, scratchDate, out);
      break;
    default: {
      const dt = scratchDate;
      dt.hour = 0; dt.minute = 0; dt.second = 0; dt.fractionStart = 0; dt.fractionEnd = 0; dt.hasTime = false;
      const cursor = new Cursor(bytes, start, end);
      if (!readDate(format.format, cursor, dt) || dt.year < 1 || dt.month < 1 || dt.month > 12 || dt.day < 1 || dt.day > daysInMonth(dt.year, dt.month)) return -1;
      if (!readTime(cursor, dt)) return -1;
      // A date column holds dates: a value with a time of day does not fit it.
      if (type === ColumnType.date && dt.hasTime) return -1;
      length = writeDateTime(dt, bytes, type === ColumnType.timestamptz, out);
    }
  }
  if (length < 0 || !fitsType(type, out, 0, length)) return -1;
  return length;
}

/** Scratch space for one normalised value (dates and numbers are short; longer values do not fit). */
export function scratchBuffer(): Uint8Array {
  return new Uint8Array(128);
}
