/** Byte constants and helpers for reading ASCII text in place (value checks and value formats). */

export const SPACE = 0x20;
export const ZERO = 0x30;
export const NINE = 0x39;
export const PLUS = 0x2b;
export const MINUS = 0x2d;
export const DOT = 0x2e;
export const COMMA = 0x2c;
export const SLASH = 0x2f;
export const COLON = 0x3a;

export function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** An ASCII letter folded to lower case; any other byte unchanged. */
export function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

/** Days in a month of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
