import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { numberFromBytes } from '../../../src/stages/transform/decimal-bytes.js';

const read = (text: string): number => {
  const bytes = Buffer.from(`##${text}##`, 'latin1');
  return numberFromBytes(bytes, 2, bytes.length - 2);
};

test('a number read from its bytes is what Number() reads from its text', () => {
  const decimal = fc.tuple(fc.constantFrom('', '-', '+'), fc.stringMatching(/^[0-9]{1,20}$/), fc.option(fc.stringMatching(/^[0-9]{0,24}$/)))
    .map(([sign, whole, fraction]) => `${sign}${whole}${fraction === null ? '' : `.${fraction}`}`);
  fc.assert(fc.property(fc.oneof(decimal, fc.double().map(String), fc.constantFrom('.', '-.', '+', '', ' 12 ', '1e5', '-0', '0.1', 'NaN', '1.2.3', '12a')), (text) => {
    assert.ok(Object.is(read(text), Number(text)), `${JSON.stringify(text)}: ${read(text)} vs ${Number(text)}`);
  }), { numRuns: 5000 });
});
