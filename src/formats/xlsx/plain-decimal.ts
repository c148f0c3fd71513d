/**
 * A number as plain decimal text (`0.00000012`, `1000000000000000000000`), never in exponent
 * notation: a spooled sheet must read the same to every consumer, and `1e-7` in a text column or
 * in a reject's raw text is easy to misread. The digits are JavaScript's shortest round-trip
 * digits, so the text parses back to exactly the same double.
 */
export function plainDecimal(value: number): string {
  // -0 is 0: Excel has no negative zero, and "-0" would look like a sign error.
  const text = String(value === 0 ? 0 : value);
  const e = text.indexOf('e');
  if (e === -1) return text;
  const negative = text.charCodeAt(0) === 0x2d;
  const mantissa = text.slice(negative ? 1 : 0, e);
  const exponent = Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot === -1 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  // Where the decimal point falls in `digits` once the exponent is applied.
  const point = (dot === -1 ? mantissa.length : dot) + exponent;
  let plain: string;
  if (point <= 0) plain = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) plain = digits + '0'.repeat(point - digits.length);
  else plain = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${plain}` : plain;
}
