/**
 * A number's text read from its bytes without building a string, for the transform steps that
 * compute (scale/offset, derived columns) before the batch's typed values exist. A plain decimal
 * of at most 15 significant digits ([+-]digits[.digits]) is its digits as an integer — exact in a
 * double — divided by a power of ten that is exact too (≤ 10^22): one correctly rounded division,
 * so the result is what Number() gives. Anything else (exponents, long digits, NaN) goes to Number().
 */

const POWERS = Array.from({ length: 23 }, (_, k) => 10 ** k);
const MAX_DIGITS = 15;

export function numberFromBytes(bytes: Uint8Array, start: number, end: number): number {
  while (start < end && bytes[start] === 0x20) start++;
  while (end > start && bytes[end - 1] === 0x20) end--;
  let i = start;
  let negative = false;
  if (i < end && (bytes[i] === 0x2d || bytes[i] === 0x2b)) { negative = bytes[i] === 0x2d; i++; }
  let digits = 0;
  let seen = 0;
  let value = 0;
  let fraction = -1;
  for (; i < end; i++) {
    const b = bytes[i];
    if (b >= 0x30 && b <= 0x39) {
      seen++;
      if (digits > 0 || b !== 0x30) digits++;
      value = value * 10 + (b - 0x30);
      if (fraction >= 0) fraction++;
    } else if (b === 0x2e && fraction < 0) fraction = 0;
    else break;
  }
  const plain = i === end && seen > 0 && digits <= MAX_DIGITS && fraction <= 22;
  if (!plain) return Number(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1'));
  const result = fraction > 0 ? value / POWERS[fraction] : value;
  return negative ? -result : result;
}
