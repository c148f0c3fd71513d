import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ValueMemo } from '../../src/batch/value-memo.js';

/** The values packed in one buffer, as a chunk's spans: [start, end) of each. */
function packed(values: readonly string[]): { bytes: Buffer; spans: number[][] } {
  const parts = values.map((v) => Buffer.from(v, 'utf8'));
  const spans: number[][] = [];
  let at = 0;
  for (const part of parts) { spans.push([at, at + part.length]); at += part.length; }
  return { bytes: Buffer.concat(parts), spans };
}

/** A verdict that differs between values which share a length, a slot or a prefix. */
const verdictOf = (value: string): number => [...Buffer.from(value, 'utf8')].reduce((h, b) => (h * 31 + b) % 1009, 7);

/** Looks every span up as a stage does (find, else compute and remember); the results per value. */
function memoised(memo: ValueMemo, bytes: Buffer, spans: number[][], values: readonly string[]): number[] {
  return spans.map(([start, end], k) => {
    let result = memo.find(bytes, start, end);
    if (result === -1) {
      result = verdictOf(values[k]);
      memo.remember(bytes, start, end, result);
    }
    return result;
  });
}

describe('value memo', () => {
  // Up to 1,200 distinct values in 1,024 slots: values that share a slot are certain, and so is a full memo.
  test('a remembered result is only ever given back for the same bytes', () => {
    const pool = fc.array(fc.string({ maxLength: 12, unit: fc.constantFrom('a', 'b', 'é', '0', '-', ' ') }), { minLength: 1, maxLength: 1200 });
    fc.assert(fc.property(pool, fc.array(fc.nat(), { minLength: 1, maxLength: 3000 }), (distinct, picks) => {
      const values = picks.map((p) => distinct[p % distinct.length]);
      const { bytes, spans } = packed(values);
      assert.deepEqual(memoised(new ValueMemo(), bytes, spans, values), values.map(verdictOf));
    }), { numRuns: 300 });
  });

  test('results outlive the bytes they were computed from: the next chunk reuses the same spans', () => {
    const memo = new ValueMemo();
    const first = packed(['ok', 'no']);
    assert.deepEqual(memoised(memo, first.bytes, first.spans, ['ok', 'no']), [verdictOf('ok'), verdictOf('no')]);
    const second = packed(['no', 'ok', 'oh']);
    assert.deepEqual(memoised(memo, second.bytes, second.spans, ['no', 'ok', 'oh']), [verdictOf('no'), verdictOf('ok'), verdictOf('oh')]);
    // The first chunk's buffer overwritten: what the memo knows is its own copy.
    first.bytes.fill(0x21);
    assert.equal(memo.find(Buffer.from('ok'), 0, 2), verdictOf('ok'));
  });

  test('mostly distinct values turn the memo off; results stay right', () => {
    const values = Array.from({ length: 5000 }, (_, i) => `user${i}@example.com`);
    const { bytes, spans } = packed(values);
    const memo = new ValueMemo();
    assert.deepEqual(memoised(memo, bytes, spans, values), values.map(verdictOf));
    assert.equal(memo.active, false);
  });

  test('a value longer than the memo keeps is computed each time, never confused with another', () => {
    const long = 'x'.repeat(300);
    const values = [long, `${long}y`, long];
    const { bytes, spans } = packed(values);
    assert.deepEqual(memoised(new ValueMemo(), bytes, spans, values), values.map(verdictOf));
  });
});
