/**
 * Random literals of the typed columns at their edges, as the value checks accept them (the
 * parsers' precondition): for the typed-value parsers and the binary COPY tests.
 */
import fc from 'fast-check';
import { ColumnType, type ColumnTypeCode } from '../../src/schema/column-type.js';
import { fitsType } from '../../src/schema/value-checks.js';

export const bytesOf = (text: string): Uint8Array => Buffer.from(text, 'latin1');
export const pad = (n: number, width: number): string => String(n).padStart(width, '0');
export const valid = (type: ColumnTypeCode) => (text: string): boolean => { const b = bytesOf(text); return fitsType(type, b, 0, b.length); };

const digits = (min: number, max: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));

export const floatText: fc.Arbitrary<string> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => String(d)),
  fc.tuple(fc.constantFrom('', '-', '+'), fc.oneof(fc.constant('0'), digits(1, 20).map((s) => s.replace(/^0+(?=.)/, '') || '0')),
    fc.option(digits(1, 20), { nil: undefined }), fc.option(fc.integer({ min: -330, max: 310 }), { nil: undefined }), fc.constantFrom('', ' '))
    .map(([sign, int, frac, exp, space]) => `${space}${sign}${int}${frac === undefined ? '' : `.${frac}`}${exp === undefined ? '' : `e${exp}`}${space}`),
  fc.constantFrom('-0', '0', '-0.0', '1e22', '1e23', '9007199254740993', '0.1', '2.2250738585072014e-308', '4.9e-324', '1.7976931348623157e308', '123456789012345.6'),
).filter(valid(ColumnType.float));

export const timestampText: fc.Arbitrary<string> = fc.record({
  year: fc.oneof(fc.integer({ min: 1, max: 9999 }), fc.constantFrom(1, 9999, 2000, 1970, 1900)),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 31 }),
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.option(fc.integer({ min: 0, max: 59 }), { nil: undefined }),
  fraction: fc.option(fc.oneof(digits(1, 9), digits(10, 20), fc.constantFrom('9999995', '0000005', '0000015', '0000025', '1234565', '9999999')), { nil: undefined }),
  separator: fc.constantFrom('T', ' '),
  zone: fc.oneof(fc.constantFrom('', 'Z', 'z'), fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 59 }), fc.constantFrom('h', 'hm', 'h:m'))
    .map(([sign, h, m, form]) => `${sign}${pad(h, 2)}${form === 'h' ? '' : form === 'hm' ? pad(m, 2) : `:${pad(m, 2)}`}`)),
}).map((t) => `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)}${t.separator}${pad(t.hour, 2)}:${pad(t.minute, 2)}`
  + `${t.second === undefined ? '' : `:${pad(t.second, 2)}${t.fraction === undefined ? '' : `.${t.fraction}`}`}${t.zone}`)
  .filter(valid(ColumnType.timestamptz));

