import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ColumnBatch } from '../../../src/batch/column-batch.js';
import { validateConfig } from '../../../src/configuration/read-config.js';
import { ByteSink } from '../../../src/formats/byte-sink.js';
import { ColumnType } from '../../../src/schema/column-type.js';
import { validateOptions } from '../../../src/stages/validate/validate-options.js';
import { validateStage } from '../../../src/stages/validate/validate-stage.js';

const PATTERN = '^sensor-[0-9]{2}$';
const columns = [{ name: 'id', type: ColumnType.text }];

/** A chunk into the reused batch as a parser leaves it: every value a span of the chunk's bytes. */
function fill(batch: ColumnBatch, values: readonly (string | null)[]): void {
  const parts = values.map((v) => Buffer.from(v ?? '', 'utf8'));
  const input = Buffer.concat(parts);
  batch.reset(input, 0, input.length, columns);
  let at = 0;
  values.forEach((value, r) => {
    const row = batch.addRow(r, r + 1, 0, 0);
    if (value === null) batch.setNull(batch.columns[0], row);
    else batch.setSpan(batch.columns[0], row, at, at + parts[r].length);
    at += parts[r].length;
  });
}

// The regex verdict is remembered per chunk by the value's bytes: over chunks of few or many
// distinct values, sharing spans from chunk to chunk, it must give what RegExp.test gives per row.
test('a regex rule rejects exactly the rows RegExp.test refuses, chunk after chunk', () => {
  const value = fc.oneof(
    fc.integer({ min: 0, max: 120 }).map((n) => `sensor-${String(n).padStart(2, '0')}`),
    fc.string({ maxLength: 10, unit: fc.constantFrom('s', 'e', 'n', '-', '0', '9', 'é', ' ') }),
    fc.constant(null),
  );
  const chunk = fc.oneof(fc.array(value, { maxLength: 400 }), fc.array(fc.integer({ min: 0, max: 3000 }).map((n) => `sensor-${n}`), { maxLength: 2000 }));
  const rules = validateConfig({ datasets: { d: { rules: [{ column: 'id', regex: PATTERN }] } } }).datasets.d.rules!;
  const pattern = new RegExp(PATTERN, 'u');
  fc.assert(fc.property(fc.array(chunk, { minLength: 1, maxLength: 4 }), (chunks) => {
    const stage = validateStage.create(validateOptions.parse({ rules }), columns);
    const batch = new ColumnBatch();
    const context = { dataset: 'd', fileId: 1, chunkNo: 0, rejects: new ByteSink(new Uint8Array(0)), anomalies: new ByteSink(new Uint8Array(0)) };
    for (const values of chunks) {
      fill(batch, values);
      stage.process(batch, context);
      const expected = values.map((v) => (v !== null && !pattern.test(v) ? 1 : 0));
      assert.deepEqual([...batch.rejected.subarray(0, batch.rowCount)], expected);
      assert.equal(stage.report()[0].failed, expected.filter((x) => x === 1).length);
      context.rejects.length = 0;
    }
  }), { numRuns: 200 });
});

// length decides from the byte count when it can (n bytes hold n / 4 to n code points): it must
// still count as [...s].length does, over every mix of 1- to 4-byte characters and bounds.
test('a length rule rejects exactly the rows whose code points are out of bounds', () => {
  const text = fc.string({ maxLength: 24, unit: fc.constantFrom('a', 'é', '€', '😀', ' ') });
  const bounds = fc.tuple(fc.option(fc.integer({ min: 0, max: 12 })), fc.option(fc.integer({ min: 0, max: 24 })))
    .filter(([min, max]) => (min !== null || max !== null) && (min === null || max === null || min <= max));
  fc.assert(fc.property(bounds, fc.array(fc.option(text), { maxLength: 200 }), ([min, max], values) => {
    const length = { ...(min === null ? {} : { min }), ...(max === null ? {} : { max }) };
    const rules = validateConfig({ datasets: { d: { rules: [{ column: 'id', length }] } } }).datasets.d.rules!;
    const stage = validateStage.create(validateOptions.parse({ rules }), columns);
    const batch = new ColumnBatch();
    fill(batch, values);
    stage.process(batch, { dataset: 'd', fileId: 1, chunkNo: 0, rejects: new ByteSink(new Uint8Array(0)), anomalies: new ByteSink(new Uint8Array(0)) });
    const expected = values.map((v) => (v !== null && ([...v].length < (min ?? 0) || [...v].length > (max ?? Infinity)) ? 1 : 0));
    assert.deepEqual([...batch.rejected.subarray(0, batch.rowCount)], expected);
  }), { numRuns: 500 });
});
