import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { plainDecimal } from '../../../src/formats/xlsx/plain-decimal.js';

describe('plainDecimal', () => {
  test('every finite double reads back exactly, and is never in exponent notation', () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
      const text = plainDecimal(value);
      assert.match(text, /^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$/);
      assert.equal(Number(text), value === 0 ? 0 : value);
    }), { numRuns: 20_000 });
  });

  test('the values that JavaScript would write with an exponent', () => {
    assert.equal(plainDecimal(1e-7), '0.0000001');
    assert.equal(plainDecimal(-1.5e-10), '-0.00000000015');
    assert.equal(plainDecimal(1e21), '1000000000000000000000');
    assert.equal(plainDecimal(1.2345e22), '12345000000000000000000');
    assert.equal(plainDecimal(-0), '0');
    assert.equal(plainDecimal(123.25), '123.25');
  });
});
