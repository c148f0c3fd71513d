import { SluiceError } from '../errors.js';

/**
 * The small expression language of derived columns and `check` rules (`price * qty`,
 * `end_at >= start_at`, `coalesce(nickname, first_name || ' ' || last_name)`): parsed once into a
 * tree, never `eval`ed. SQL-flavoured, because the people who write these rules write SQL:
 *
 *   literals     12  3.5  1e3  'text' ('' is a quote)  true  false  null
 *   columns      price  order_total  "Temp (°C)" (a name as the file writes it)
 *   operators    or · and · not · = == != <> < <= > >= · + - || (concatenation) · * / % · unary - +
 *                (loosest to tightest; parentheses group)
 *   functions    coalesce(a, b, …)  abs(x)  round(x[, digits])  lower(s)  upper(s)  trim(s)  length(s)
 *
 * Errors are SLUICE_ERR_CONFIG_INVALID with the 1-based column of the expression where it went wrong.
 */

export type ExpressionNode =
  | { kind: 'literal'; value: number | string | boolean | null; at: number }
  | { kind: 'column'; name: string; at: number }
  | { kind: 'unary'; op: '-' | '+' | 'not'; operand: ExpressionNode; at: number }
  | { kind: 'binary'; op: BinaryOperator; left: ExpressionNode; right: ExpressionNode; at: number }
  | { kind: 'call'; name: string; args: ExpressionNode[]; at: number };

export type BinaryOperator = 'or' | 'and' | '=' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '||' | '*' | '/' | '%';

type Token =
  | { type: 'number'; value: number; at: number }
  | { type: 'string'; value: string; at: number }
  | { type: 'name'; value: string; quoted: boolean; at: number }
  | { type: 'op'; value: string; at: number }
  | { type: 'end'; at: number };

const KEYWORD_OPERATORS = new Set(['and', 'or', 'not']);
const SYMBOLS = ['<=', '>=', '!=', '<>', '==', '||', '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ','];

function fail(source: string, at: number, message: string): never {
  throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `expression ${JSON.stringify(source)}, at column ${at + 1}: ${message}`);
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    const at = i;
    if (/[0-9.]/.test(c)) {
      const match = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(source.slice(i));
      if (match === null) fail(source, at, `a number cannot start with ${JSON.stringify(c)}`);
      tokens.push({ type: 'number', value: Number(match[0]), at });
      i += match[0].length;
      continue;
    }
    if (c === '\'' || c === '"') {
      // 'text' is a string, "name" a column named as the file writes it; the quote doubled is itself.
      let value = '';
      i++;
      for (;;) {
        if (i >= source.length) fail(source, at, `${c === '\'' ? 'string' : 'quoted name'} is not closed`);
        if (source[i] === c) {
          if (source[i + 1] === c) { value += c; i += 2; continue; }
          i++;
          break;
        }
        value += source[i++];
      }
      tokens.push(c === '\'' ? { type: 'string', value, at } : { type: 'name', value, quoted: true, at });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))!;
      const word = match[0];
      const lower = word.toLowerCase();
      if (KEYWORD_OPERATORS.has(lower)) tokens.push({ type: 'op', value: lower, at });
      else tokens.push({ type: 'name', value: word, quoted: false, at });
      i += word.length;
      continue;
    }
    const symbol = SYMBOLS.find((s) => source.startsWith(s, i));
    if (symbol === undefined) fail(source, at, `unexpected ${JSON.stringify(c)}`);
    tokens.push({ type: 'op', value: symbol, at });
    i += symbol.length;
  }
  tokens.push({ type: 'end', at: source.length });
  return tokens;
}

/** Binding power of each binary operator: higher binds tighter. */
const PRECEDENCE: Record<string, number> = {
  or: 1, and: 2, '=': 4, '==': 4, '!=': 4, '<>': 4, '<': 4, '<=': 4, '>': 4, '>=': 4, '+': 5, '-': 5, '||': 5, '*': 6, '/': 6, '%': 6,
};
const CANONICAL: Record<string, BinaryOperator> = { '==': '=', '<>': '!=' };
/** `not` binds looser than comparisons (`not a = b` is `not (a = b)`), unary minus tighter than `*`. */
const NOT_POWER = 3;
const UNARY_POWER = 7;

/** Parses an expression into its tree (a Pratt parser: one function per precedence, no recursion per character). */
export function parseExpression(source: string): ExpressionNode {
  const tokens = tokenize(source);
  let position = 0;
  const peek = (): Token => tokens[position];
  const next = (): Token => tokens[position++];
  const expect = (op: string): void => {
    const token = next();
    if (token.type !== 'op' || token.value !== op) fail(source, token.at, `expected ${JSON.stringify(op)}`);
  };

  function primary(): ExpressionNode {
    const token = next();
    switch (token.type) {
      case 'number': return { kind: 'literal', value: token.value, at: token.at };
      case 'string': return { kind: 'literal', value: token.value, at: token.at };
      case 'name': {
        const lower = token.value.toLowerCase();
        if (!token.quoted && (lower === 'true' || lower === 'false')) return { kind: 'literal', value: lower === 'true', at: token.at };
        if (!token.quoted && lower === 'null') return { kind: 'literal', value: null, at: token.at };
        const after = peek();
        if (!token.quoted && after.type === 'op' && after.value === '(') {
          next();
          const args: ExpressionNode[] = [];
          if (!(peek().type === 'op' && (peek() as { value: string }).value === ')')) {
            for (;;) {
              args.push(expression(0));
              const separator = peek();
              if (separator.type === 'op' && separator.value === ',') { next(); continue; }
              break;
            }
          }
          expect(')');
          return { kind: 'call', name: lower, args, at: token.at };
        }
        return { kind: 'column', name: token.value, at: token.at };
      }
      case 'op':
        if (token.value === '(') {
          const inner = expression(0);
          expect(')');
          return inner;
        }
        if (token.value === '-' || token.value === '+') return { kind: 'unary', op: token.value, operand: expression(UNARY_POWER), at: token.at };
        if (token.value === 'not') return { kind: 'unary', op: 'not', operand: expression(NOT_POWER), at: token.at };
        return fail(source, token.at, `unexpected ${JSON.stringify(token.value)}`);
      default:
        return fail(source, token.at, 'unexpected end of the expression');
    }
  }

  function expression(minPower: number): ExpressionNode {
    let left = primary();
    for (;;) {
      const token = peek();
      if (token.type !== 'op') break;
      const power = PRECEDENCE[token.value];
      if (power === undefined || power <= minPower) break;
      next();
      // Comparisons do not chain (`a < b < c` is an error, not `(a < b) < c`).
      const right = expression(power);
      if (power === 4 && left.kind === 'binary' && PRECEDENCE[left.op] === 4) fail(source, token.at, 'comparisons cannot be chained; use and');
      left = { kind: 'binary', op: CANONICAL[token.value] ?? (token.value as BinaryOperator), left, right, at: token.at };
    }
    return left;
  }

  const tree = expression(0);
  const rest = peek();
  if (rest.type !== 'end') fail(source, rest.at, `unexpected ${rest.type === 'op' || rest.type === 'name' ? JSON.stringify(rest.value) : 'value'} after the expression`);
  return tree;
}
