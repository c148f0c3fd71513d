/**
 * The parser's fused check-and-read (batch/checked-values.ts) against its two definitions: a
 * value is accepted exactly when fitsType accepts it (schema/value-checks.ts), and its number is
 * the one fillTypedValues' parsers give (batch/typed-values.ts) — over valid literals at the
 * edges, their one-byte near misses, and random strings of the bytes the literals are made of.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checked, checkedValue } from '../../src/batch/checked-values.js';
import { parseBool, parseFloat8, parseInteger, parseIsoDate, parseIsoTimestampMicros } from '../../src/batch/typed-values.js';
import { ColumnType, type ColumnTypeCode, columnTypeName } from '../../src/schema/column-type.js';
import { fitsType } from '../../src/schema/value-checks.js';
import { bytesOf, floatText, pad, timestampText } from '../helpers/literals.js';

function reference(type: ColumnTypeCode, b: Uint8Array): { value: number; micros: number } {
  switch (type) {
    case ColumnType.bool: return { value: parseBool(b, 0, b.length), micros: 0 };
    case ColumnType.int: case ColumnType.bigint: return { value: parseInteger(b, 0, b.length), micros: 0 };
    case ColumnType.float: return { value: parseFloat8(b, 0, b.length), micros: 0 };
    case ColumnType.date: return { value: parseIsoDate(b, 0, b.length), micros: 0 };
    case ColumnType.timestamptz: { const t = parseIsoTimestampMicros(b, 0, b.length); return { value: t.ms, micros: t.micros }; }
    default: return { value: 0, micros: 0 };
  }
}

const TYPES: ColumnTypeCode[] = [ColumnType.bool, ColumnType.int, ColumnType.bigint, ColumnType.float, ColumnType.date, ColumnType.timestamptz, ColumnType.numeric];

function agrees(text: string): void {
  // Inside a larger buffer, so a reader that looks past `end` sees bytes that could fool it.
  const b = bytesOf(`9${text}9`);
  const inner = bytesOf(text);
  for (const type of TYPES) {
    const fits = fitsType(type, b, 1, b.length - 1);
    const value = checkedValue(type, b, 1, b.length - 1);
    const label = `${columnTypeName(type)} ${JSON.stringify(text)}`;
    assert.equal(!Number.isNaN(value), fits, label);
    if (!fits) continue;
    const want = reference(type, inner);
    assert.ok(Object.is(value, want.value), `${label}: ${value} ≠ ${want.value}`);
    if (type === ColumnType.timestamptz) assert.equal(checked.micros, want.micros, label);
  }
}

const CHARS = [...'0123456789', '+', '-', '.', 'e', 'E', ' ', ':', 'T', 'Z', 'z', 't', 'f', 'y', 'n', 'o', 'a', 'x'];
const integerText = fc.oneof(
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
  fc.bigInt({ min: -(2n ** 32n), max: 2n ** 32n }).map(String),
  fc.constantFrom('2147483647', '2147483648', '-2147483648', '-2147483649', '9223372036854775807', '9223372036854775808',
    '-9223372036854775808', '-9223372036854775809', '+12345678', '+1234567', '007', '0', '-0', '+0', ' 42 ', '+', '-', ''),
);
const dateText = fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
  .map(([y, m, d]) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`);
const boolText = fc.constantFrom('true', 'FALSE', 't', 'F', 'Yes', 'no', 'Y', 'n', 'on', 'OFF', ' true ', 'tru', 'of', 'onn', 'yess', 'truee');
const literal = fc.oneof(floatText, timestampText, integerText, dateText, boolText);

const nearMiss = fc.tuple(literal, fc.nat(), fc.constantFrom(...CHARS), fc.constantFrom('replace', 'insert', 'delete')).map(([text, at, c, edit]) => {
  const k = text.length === 0 ? 0 : at % text.length;
  if (edit === 'replace') return text.slice(0, k) + c + text.slice(k + 1);
  if (edit === 'insert') return text.slice(0, k) + c + text.slice(k);
  return text.slice(0, k) + text.slice(k + 1);
});

const soup = fc.array(fc.constantFrom(...CHARS), { maxLength: 30 }).map((cs) => cs.join(''));

describe('checkedValue agrees with fitsType and the typed-value parsers', () => {
  test('valid literals at the edges', () => {
    fc.assert(fc.property(literal, agrees), { numRuns: 20_000 });
  });

  test('one-byte near misses of valid literals', () => {
    fc.assert(fc.property(nearMiss, agrees), { numRuns: 30_000 });
  });

  test('random strings of literal bytes', () => {
    fc.assert(fc.property(soup, agrees), { numRuns: 20_000 });
  });

  test('named edges', () => {
    for (const text of ['2024-02-29T00:00:00Z', '2023-02-29', '0001-01-01 00:00', '9999-12-31T23:59:59.9999995+15:59', '2024-01-01T00:00:00.000Z',
      '2024-01-01T00:00:00+05', '2024-01-01T00:00:00+05:', '2024-01-01T00:00:00+0530', '2024-01-01T00:00:00+05:3', '2024-01-01T24:00',
      '1.7976931348623157e308', '1.8e308', '4.9e-324', '1e-400', '0e999999', '5.', '.5', '.', '-.0', '00.5', '123456789012345.6',
      '+12345678.5', '+1234567', '0.1234567890123456789012']) agrees(text);
  });
});
