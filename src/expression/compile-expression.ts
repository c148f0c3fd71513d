import { SluiceError } from '../errors.js';
import { type ExpressionNode, parseExpression } from './parse-expression.js';

/**
 * Turns an expression (parse-expression.ts) into an evaluator over one row, once: names are
 * resolved to column indexes and every operator is type-checked against the columns' kinds
 * before any row is read, so a rule that cannot work fails at start, naming the expression. The
 * evaluator is a tree of closures (no `eval`, no per-row allocation beyond the text values the
 * expression builds).
 *
 * NULL is SQL's: an operator with a NULL operand gives NULL, except `and`/`or` (three-valued) and
 * `coalesce`. A division by zero gives NULL rather than failing the row. Times are numbers of
 * milliseconds since 1970 (UTC): `t2 - t1` is a duration in milliseconds, `t + 60000` a time.
 */

export type ValueKind = 'number' | 'text' | 'boolean' | 'time';
export type Value = number | string | boolean | null;

export interface ExpressionColumn {
  /** What `row` is called with for this column. */
  index: number;
  kind: ValueKind;
}

export interface CompiledExpression {
  /** What the expression gives; `null` only for an expression that is NULL whatever the row. */
  kind: ValueKind | null;
  /** Indexes of the columns it reads. */
  reads: number[];
  evaluate(row: (index: number) => Value): Value;
}

type Evaluator = (row: (index: number) => Value) => Value;
interface Typed { kind: ValueKind | null; run: Evaluator }

function fail(source: string, node: ExpressionNode, message: string): never {
  throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `expression ${JSON.stringify(source)}, at column ${node.at + 1}: ${message}`);
}

/** `columns`: the names an expression may use (safe names, and source names for "quoted" use). */
export function compileExpression(source: string, columns: ReadonlyMap<string, ExpressionColumn>): CompiledExpression {
  const reads = new Set<number>();

  const sameKind = (node: ExpressionNode, a: ValueKind | null, b: ValueKind | null, what: string): ValueKind | null => {
    if (a === null) return b;
    if (b === null || a === b) return a;
    return fail(source, node, `${what} needs operands of one kind, got ${a} and ${b}`);
  };
  const need = (node: ExpressionNode, kind: ValueKind | null, wanted: ValueKind[], what: string): void => {
    if (kind !== null && !wanted.includes(kind)) fail(source, node, `${what} needs ${wanted.join(' or ')}, got ${kind}`);
  };

  function compile(node: ExpressionNode): Typed {
    switch (node.kind) {
      case 'literal': {
        const { value } = node;
        const kind: ValueKind | null = value === null ? null : typeof value === 'number' ? 'number' : typeof value === 'string' ? 'text' : 'boolean';
        return { kind, run: () => value };
      }
      case 'column': {
        const column = columns.get(node.name) ?? columns.get(node.name.toLowerCase());
        if (column === undefined) fail(source, node, `no column ${JSON.stringify(node.name)} (columns: ${[...columns.keys()].join(', ')})`);
        const { index } = column;
        reads.add(index);
        return { kind: column.kind, run: (row) => row(index) };
      }
      case 'unary': {
        const operand = compile(node.operand);
        const run = operand.run;
        if (node.op === 'not') {
          need(node, operand.kind, ['boolean'], 'not');
          return { kind: 'boolean', run: (row) => { const v = run(row); return v === null ? null : !v; } };
        }
        need(node, operand.kind, ['number'], `unary ${node.op}`);
        return node.op === '-' ? { kind: 'number', run: (row) => { const v = run(row); return v === null ? null : -(v as number); } } : { kind: 'number', run };
      }
      case 'binary': return binary(node);
      case 'call': return call(node);
    }
  }

  function binary(node: Extract<ExpressionNode, { kind: 'binary' }>): Typed {
    const left = compile(node.left);
    const right = compile(node.right);
    const l = left.run;
    const r = right.run;
    switch (node.op) {
      case 'and':
        need(node, left.kind, ['boolean'], 'and');
        need(node, right.kind, ['boolean'], 'and');
        // false wins over NULL, NULL over true (SQL).
        return { kind: 'boolean', run: (row) => { const a = l(row); if (a === false) return false; const b = r(row); if (b === false) return false; return a === null || b === null ? null : true; } };
      case 'or':
        need(node, left.kind, ['boolean'], 'or');
        need(node, right.kind, ['boolean'], 'or');
        return { kind: 'boolean', run: (row) => { const a = l(row); if (a === true) return true; const b = r(row); if (b === true) return true; return a === null || b === null ? null : false; } };
      case '||':
        return { kind: 'text', run: (row) => { const a = l(row); if (a === null) return null; const b = r(row); return b === null ? null : `${a}${b}`; } };
      case '=': case '!=': case '<': case '<=': case '>': case '>=': {
        const kind = sameKind(node, comparable(left.kind), comparable(right.kind), `comparison ${node.op}`);
        if ((node.op !== '=' && node.op !== '!=') && kind === 'boolean') fail(source, node, `${node.op} does not order booleans`);
        const test = COMPARE[node.op];
        return { kind: 'boolean', run: (row) => { const a = l(row); if (a === null) return null; const b = r(row); return b === null ? null : test(a, b); } };
      }
      default: return arithmetic(node, left, right);
    }
  }

  function arithmetic(node: Extract<ExpressionNode, { kind: 'binary' }>, left: Typed, right: Typed): Typed {
    const l = left.run;
    const r = right.run;
    need(node, left.kind, ['number', 'time'], node.op);
    need(node, right.kind, ['number', 'time'], node.op);
    let kind: ValueKind = 'number';
    if (left.kind === 'time' || right.kind === 'time') {
      // time - time is a duration; time ± number a time; nothing else means anything.
      if (node.op === '-' && left.kind === 'time' && right.kind === 'time') kind = 'number';
      else if ((node.op === '+' || node.op === '-') && left.kind === 'time' && right.kind !== 'time') kind = 'time';
      else if (node.op === '+' && right.kind === 'time' && left.kind !== 'time') kind = 'time';
      else fail(source, node, `${node.op} of ${left.kind} and ${right.kind} means nothing`);
    }
    const op = ARITHMETIC[node.op as '+' | '-' | '*' | '/' | '%'];
    return { kind, run: (row) => { const a = l(row); if (a === null) return null; const b = r(row); return b === null ? null : op(a as number, b as number); } };
  }

  function call(node: Extract<ExpressionNode, { kind: 'call' }>): Typed {
    const args = node.args.map(compile);
    const arity = (min: number, max: number): void => {
      if (args.length < min || args.length > max) fail(source, node, `${node.name}() takes ${min === max ? min : `${min} to ${max === Infinity ? 'any number of' : max}`} argument${max === 1 ? '' : 's'}, got ${args.length}`);
    };
    const unaryText = (f: (s: string) => Value, kind: ValueKind): Typed => {
      arity(1, 1);
      need(node, args[0].kind, ['text'], `${node.name}()`);
      const a = args[0].run;
      return { kind, run: (row) => { const v = a(row); return v === null ? null : f(v as string); } };
    };
    switch (node.name) {
      case 'coalesce': {
        arity(1, Infinity);
        let kind: ValueKind | null = null;
        for (const arg of args) kind = sameKind(node, kind, arg.kind, 'coalesce()');
        const runs = args.map((a) => a.run);
        return { kind, run: (row) => { for (let k = 0; k < runs.length; k++) { const v = runs[k](row); if (v !== null) return v; } return null; } };
      }
      case 'abs': {
        arity(1, 1);
        need(node, args[0].kind, ['number'], 'abs()');
        const a = args[0].run;
        return { kind: 'number', run: (row) => { const v = a(row); return v === null ? null : Math.abs(v as number); } };
      }
      case 'round': {
        arity(1, 2);
        for (const arg of args) need(node, arg.kind, ['number'], 'round()');
        const a = args[0].run;
        const digits = args[1]?.run ?? (() => 0);
        return {
          kind: 'number',
          run: (row) => {
            const v = a(row);
            const d = digits(row);
            if (v === null || d === null) return null;
            const scale = 10 ** Math.trunc(d as number);
            // Half away from zero, as PostgreSQL rounds numeric.
            return (Math.sign(v as number) * Math.round(Math.abs(v as number) * scale)) / scale;
          },
        };
      }
      case 'lower': return unaryText((s) => s.toLowerCase(), 'text');
      case 'upper': return unaryText((s) => s.toUpperCase(), 'text');
      case 'trim': return unaryText((s) => s.trim(), 'text');
      case 'length': return unaryText((s) => [...s].length, 'number');
      default: return fail(source, node, `unknown function ${node.name}() (functions: coalesce, abs, round, lower, upper, trim, length)`);
    }
  }

  const compiled = compile(parseExpression(source));
  return { kind: compiled.kind, reads: [...reads].sort((a, b) => a - b), evaluate: compiled.run };
}

/** Times compare as numbers. */
function comparable(kind: ValueKind | null): ValueKind | null {
  return kind === 'time' ? 'number' : kind;
}

const COMPARE: Record<'=' | '!=' | '<' | '<=' | '>' | '>=', (a: Value, b: Value) => boolean> = {
  '=': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '<': (a, b) => (a as number) < (b as number),
  '<=': (a, b) => (a as number) <= (b as number),
  '>': (a, b) => (a as number) > (b as number),
  '>=': (a, b) => (a as number) >= (b as number),
};

const ARITHMETIC: Record<'+' | '-' | '*' | '/' | '%', (a: number, b: number) => Value> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => (b === 0 ? null : a / b),
  '%': (a, b) => (b === 0 ? null : a % b),
};
