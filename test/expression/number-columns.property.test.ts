import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { compileExpression, type ExpressionColumn } from '../../src/expression/compile-expression.js';
import { compileNumberColumns, type NumberColumn } from '../../src/expression/number-columns.js';

const COLUMNS = new Map<string, ExpressionColumn>([
  ['a', { index: 0, kind: 'number' }],
  ['b', { index: 1, kind: 'number' }],
  ['t', { index: 2, kind: 'time' }],
  ['s', { index: 3, kind: 'text' }],
]);

/** Arithmetic over a, b and literals, as a user may write it. */
const arithmetic: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('a', 'b', '0', '1', '1.8', '32', '-0.5', '1000000'),
    fc.tuple(tie('e'), fc.constantFrom('+', '-', '*', '/', '%'), tie('e')).map(([l, op, r]) => `(${l} ${op} ${r})`),
    tie('e').map((e) => `-${e}`),
    tie('e').map((e) => `abs(${e})`),
    tie('e').map((e) => `round(${e})`),
    fc.tuple(tie('e'), fc.constantFrom('0', '1', '2', 'b')).map(([e, d]) => `round(${e}, ${d})`),
  ),
})).e;

const value = fc.oneof(fc.double(), fc.integer({ min: -5, max: 5 }), fc.constantFrom(0, -0, NaN, Infinity), fc.constant(null));

function columnOf(values: readonly (number | null)[]): NumberColumn {
  return { numbers: Float64Array.from(values, (v) => v ?? 0), nulls: Uint8Array.from(values, (v) => (v === null ? 1 : 0)) };
}

describe('number columns', () => {
  test('an arithmetic expression a column at a time gives what the row evaluator gives', () => {
    fc.assert(fc.property(arithmetic, fc.array(fc.tuple(value, value), { minLength: 1, maxLength: 60 }), (source, rows) => {
      const program = compileNumberColumns(source, COLUMNS);
      assert.ok(program !== null, source);
      const columns = [columnOf(rows.map((r) => r[0])), columnOf(rows.map((r) => r[1]))];
      const out = columnOf(rows.map(() => null));
      program.run(rows.length, (i) => columns[i], out);
      const { evaluate } = compileExpression(source, COLUMNS);
      rows.forEach((row, r) => {
        const expected = evaluate((i) => row[i]);
        const actual = out.nulls[r] === 1 ? null : out.numbers[r];
        assert.ok(Object.is(actual, expected), `${source} at ${JSON.stringify(row)}: ${actual} against ${expected}`);
      });
    }), { numRuns: 2000 });
  });

  test('batches of different sizes reuse the program: constants and results stay right', () => {
    const program = compileNumberColumns('a * 1.8 + 32', COLUMNS)!;
    for (const n of [3, 1, 5]) {
      const a = columnOf(Array.from({ length: n }, (_, i) => i));
      const out = columnOf(Array.from({ length: n }, () => null));
      program.run(n, () => a, out);
      assert.deepEqual([...out.numbers], Array.from({ length: n }, (_, i) => i * 1.8 + 32));
    }
  });

  test('anything but arithmetic over number columns and literals has no column form', () => {
    for (const source of ['t + 60000', "s || 'x'", 'a > b', 'coalesce(a, b)', 'a + null', 'length(s)', 'a * 2 > 1']) {
      assert.equal(compileNumberColumns(source, COLUMNS), null, source);
    }
  });
});
