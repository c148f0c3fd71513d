import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { compileExpression, type ExpressionColumn, type Value } from '../../src/expression/compile-expression.js';
import { parseExpression } from '../../src/expression/parse-expression.js';

const COLUMNS = new Map<string, ExpressionColumn>([
  ['price', { index: 0, kind: 'number' }],
  ['qty', { index: 1, kind: 'number' }],
  ['first_name', { index: 2, kind: 'text' }],
  ['last_name', { index: 3, kind: 'text' }],
  ['start_at', { index: 4, kind: 'time' }],
  ['end_at', { index: 5, kind: 'time' }],
  ['active', { index: 6, kind: 'boolean' }],
  ['Temp (°C)', { index: 7, kind: 'number' }],
]);

function run(source: string, row: Value[]): Value {
  return compileExpression(source, COLUMNS).evaluate((i) => row[i]);
}

const ROW: Value[] = [2.5, 4, 'Ann', 'Lee', Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2), true, 21.5];

function assertConfigError(source: string, pattern: RegExp): void {
  assert.throws(() => compileExpression(source, COLUMNS), (error: { code?: string; message: string }) => {
    assert.equal(error.code, 'SLUICE_ERR_CONFIG_INVALID');
    assert.match(error.message, pattern);
    return true;
  });
}

describe('expressions: evaluation', () => {
  const cases: [string, Value][] = [
    ['price * qty', 10],
    ['price * qty + 1', 11],
    ['1 + price * qty', 11],
    ['(1 + price) * qty', 14],
    ['-price * 2', -5],
    ['qty % 3', 1],
    ['qty / 0', null],
    ['1e3 / 4', 250],
    ['end_at >= start_at', true],
    ['end_at - start_at', 86_400_000],
    ['start_at + 86400000 = end_at', true],
    ['first_name || \' \' || last_name', 'Ann Lee'],
    ['\'it\'\'s \' || first_name', 'it\'s Ann'],
    ['"Temp (°C)" * 9 / 5 + 32', 70.7],
    ['price > 1 and qty < 10', true],
    ['price > 10 or not active', false],
    ['not price = 2.5', false],
    ['price <> 2.5', false],
    ['price == 2.5', true],
    ['coalesce(null, qty, 7)', 4],
    ['round(price)', 3],
    ['round(-2.5)', -3],
    ['round(1.2345, 2)', 1.23],
    ['abs(-qty)', 4],
    ['lower(first_name) || upper(last_name)', 'annLEE'],
    ['length(trim(\'  né  \'))', 2],
    ['TRUE and True', true],
  ];
  for (const [source, expected] of cases) {
    test(`${source} → ${JSON.stringify(expected)}`, () => assert.equal(run(source, ROW), expected));
  }

  test('NULL propagates through operators, and and or are three-valued, coalesce picks the first value', () => {
    const nulls: Value[] = [null, 4, null, 'Lee', null, Date.UTC(2024, 0, 2), null, null];
    assert.equal(run('price * qty', nulls), null);
    assert.equal(run('first_name || last_name', nulls), null);
    assert.equal(run('end_at >= start_at', nulls), null);
    assert.equal(run('active and qty > 10', nulls), false);
    assert.equal(run('active and qty > 1', nulls), null);
    assert.equal(run('active or qty > 1', nulls), true);
    assert.equal(run('active or qty > 10', nulls), null);
    assert.equal(run('not active', nulls), null);
    assert.equal(run('coalesce(first_name, last_name)', nulls), 'Lee');
    assert.equal(run('coalesce(price, null)', nulls), null);
  });

  test('the kind of an expression and the columns it reads are known before any row', () => {
    const compiled = compileExpression('coalesce(end_at, start_at + 1000)', COLUMNS);
    assert.deepEqual([compiled.kind, compiled.reads], ['time', [4, 5]]);
    assert.equal(compileExpression('price > 1', COLUMNS).kind, 'boolean');
    assert.equal(compileExpression('null', COLUMNS).kind, null);
  });
});

describe('expressions: errors at start, naming the place', () => {
  test('an unknown column lists the columns', () => assertConfigError('price * amount', /column 9: no column "amount" \(columns: price, qty/));
  test('text in arithmetic', () => assertConfigError('first_name * 2', /column 12: \* needs number or time, got text/));
  test('a comparison across kinds', () => assertConfigError('price = first_name', /comparison = needs operands of one kind, got number and text/));
  test('a time times a number', () => assertConfigError('start_at * 2', /\* of time and number means nothing/));
  test('an unknown function', () => assertConfigError('sqrt(price)', /unknown function sqrt\(\)/));
  test('a wrong number of arguments', () => assertConfigError('round(price, 1, 2)', /round\(\) takes 1 to 2 arguments, got 3/));
  test('and on numbers', () => assertConfigError('price and qty', /and needs boolean, got number/));
  test('chained comparisons', () => assertConfigError('1 < price < 3', /comparisons cannot be chained/));
  test('an unclosed string', () => assertConfigError('first_name || \'x', /column 15: string is not closed/));
  test('a missing parenthesis', () => assertConfigError('(price + 1', /expected "\)"/));
  test('trailing tokens', () => assertConfigError('price qty', /column 7: unexpected "qty" after the expression/));
  test('an unexpected character', () => assertConfigError('price ? qty', /column 7: unexpected "\?"/));
  test('an empty expression', () => assertConfigError('', /unexpected end of the expression/));
});

describe('expressions: arithmetic agrees with JavaScript on random trees (property)', () => {
  // Random arithmetic over two columns, printed fully parenthesised and evaluated both ways.
  type Tree = { op: '+' | '-' | '*'; left: Tree; right: Tree } | { leaf: string };
  const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((self) => ({
    node: fc.oneof({ depthSize: 'small', withCrossShrink: true },
      fc.constantFrom<Tree>({ leaf: 'price' }, { leaf: 'qty' }, { leaf: '3' }, { leaf: '0.5' }),
      fc.record({ op: fc.constantFrom<'+' | '-' | '*'>('+', '-', '*'), left: self('node'), right: self('node') })),
  })).node;
  const print = (t: Tree, parens: boolean): string => ('leaf' in t ? t.leaf : parens ? `(${print(t.left, parens)} ${t.op} ${print(t.right, parens)})` : `${print(t.left, parens)} ${t.op} ${print(t.right, parens)}`);
  const value = (t: Tree, price: number, qty: number): number => {
    if ('leaf' in t) return t.leaf === 'price' ? price : t.leaf === 'qty' ? qty : Number(t.leaf);
    const a = value(t.left, price, qty);
    const b = value(t.right, price, qty);
    return t.op === '+' ? a + b : t.op === '-' ? a - b : a * b;
  };

  test('fully parenthesised trees evaluate as written', () => {
    fc.assert(fc.property(tree, fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -1000, max: 1000 }), (t, price, qty) => {
      assert.equal(run(print(t, true), [price, qty]), value(t, price, qty));
    }), { numRuns: 300 });
  });

  test('without parentheses, precedence and left associativity are JavaScript\'s for + - *', () => {
    fc.assert(fc.property(tree, fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 }), (t, price, qty) => {
      const text = print(t, false);
      // The reference reading of the same text (in the test only; the engine never evaluates code).
      const reference = new Function('price', 'qty', `return ${text};`) as (p: number, q: number) => number;
      assert.equal(run(text, [price, qty]), reference(price, qty), text);
    }), { numRuns: 300 });
  });

  test('parsing never throws anything but a config error, on any text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (text) => {
      try {
        parseExpression(text);
      } catch (error) {
        assert.equal((error as { code?: string }).code, 'SLUICE_ERR_CONFIG_INVALID', String(error));
      }
    }), { numRuns: 500 });
  });
});
