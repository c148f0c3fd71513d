import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ColumnBatch } from '../../../src/batch/column-batch.js';
import { fillTypedValues } from '../../../src/batch/typed-values.js';
import { ColumnType, type ColumnTypeCode } from '../../../src/schema/column-type.js';
import { fitsType } from '../../../src/schema/value-checks.js';
import { readValue } from '../../../src/stages/transform/expression-values.js';

/** A one-column batch of texts that fit `type`, with its numbers filled as the stages after the parser have them. */
function typedBatch(type: ColumnTypeCode, texts: readonly string[]): ColumnBatch {
  const batch = new ColumnBatch();
  batch.reset(new Uint8Array(0), 0, 0, [{ name: 'x', type }]);
  for (const text of texts) batch.appendString(batch.columns[0], batch.addRow(0, 1, 0, 0), text);
  fillTypedValues(batch);
  return batch;
}

// In transform, a column whose numbers the parser filled is read from them, not from its text:
// both must give the expression the same value.
test('an expression reads a typed value from its numbers as it would from its text', () => {
  const decimal = fc.tuple(fc.constantFrom('', '-', '+'), fc.stringMatching(/^[0-9]{1,20}$/), fc.option(fc.stringMatching(/^[0-9]{0,24}$/)), fc.option(fc.integer({ min: -330, max: 330 })))
    .map(([sign, whole, fraction, exponent]) => `${sign}${whole}${fraction === null ? '' : `.${fraction}`}${exponent === null ? '' : `e${exponent}`}`);
  const cases = fc.oneof(
    fc.tuple(fc.constant(ColumnType.float), fc.oneof(decimal, fc.double({ noNaN: true, noDefaultInfinity: true }).map(String), fc.constantFrom('-0', '0.1', 'NaN', '1e308'))),
    fc.tuple(fc.constant(ColumnType.int), fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map(String), fc.constantFrom('007', '-0', '+12'))),
    fc.tuple(fc.constant(ColumnType.bool), fc.constantFrom('t', 'f', 'true', 'FALSE', 'yes', 'No', 'on', 'off', '1', '0')),
  );
  fc.assert(fc.property(cases, ([type, text]) => {
    const bytes = Buffer.from(text);
    fc.pre(fitsType(type, bytes, 0, bytes.length));
    const batch = typedBatch(type, [text]);
    const column = batch.columns[0];
    assert.equal(column.numbersType, type);
    const fromNumbers = readValue(batch, column, 0, 'text');
    column.numbersType = 0;
    const fromText = readValue(batch, column, 0, 'text');
    assert.ok(Object.is(fromNumbers, fromText), `${JSON.stringify(text)}: ${String(fromNumbers)} from numbers, ${String(fromText)} from text`);
  }), { numRuns: 5000 });
});
