import type { ColumnBatch, ColumnVector } from '../../batch/column-batch.js';
import { ValueMemo } from '../../batch/value-memo.js';
import type { RuleConfig } from '../../configuration/config-schema.js';
import { SluiceError } from '../../errors.js';
import { compileExpression, type ExpressionColumn, type Value } from '../../expression/compile-expression.js';
import { ColumnType, type ColumnTypeCode, columnTypeName } from '../../schema/column-type.js';
import { isBool } from '../../schema/value-checks.js';
import type { StageColumn } from '../stage.js';
import { ByteLookup } from '../transform/byte-lookup.js';
import { kindOfType, readValue } from '../transform/expression-values.js';

/**
 * The rules a worker checks row by row (not_null, range, regex, in, length, check), bound once per
 * file to the batch's columns: names resolved to positions, a regex and an expression compiled,
 * an allowed set turned into a lookup. A rule passes on NULL except not_null (SQL's CHECK: only a
 * false result fails), so a missing value is not-null's business alone. The whole-load rules
 * (unique, freshness, rows) are checked against the table when the load completes (load-rules.ts);
 * here only their columns are checked.
 */

/** Rules whose failures are found in the rows of one chunk. */
export const ROW_RULES: ReadonlySet<RuleConfig['kind']> = new Set(['not_null', 'range', 'regex', 'in', 'length', 'check']);

export interface BoundRule {
  rule: RuleConfig;
  /** The batch positions it reads, with the names they were bound to. */
  reads: ReadonlyArray<{ index: number; name: string }>;
  /**
   * The kept rows of the batch that fail it, in order, into `failing` (room for every row); returns
   * how many. A rule at a time over the rows: each kind is one tight loop, no call per row.
   */
  failures(batch: ColumnBatch, failing: Int32Array): number;
  /** What a reject's detail says of a failing row: the column and value. */
  detail(batch: ColumnBatch, row: number): string;
}

function ruleError(rule: RuleConfig, message: string): never {
  throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `rules: rule ${rule.name} (${rule.kind}): ${message}`);
}

const NUMERIC_TYPES: ReadonlySet<ColumnTypeCode> = new Set([ColumnType.int, ColumnType.bigint, ColumnType.float, ColumnType.numeric]);

/** Finds a rule's column among the batch's columns not dropped; refuses a rule on a column the table does not have or cannot check. */
function columnOf(rule: RuleConfig, columns: readonly StageColumn[]): number {
  const index = columns.findIndex((c) => c.name === rule.column && (c as { dropped?: boolean }).dropped !== true);
  if (index === -1) ruleError(rule, `no column ${JSON.stringify(rule.column)} (columns: ${columns.filter((c) => (c as { dropped?: boolean }).dropped !== true).map((c) => c.name).join(', ')})`);
  const type = columns[index].type;
  if (rule.kind === 'range' && !NUMERIC_TYPES.has(type)) ruleError(rule, `a range needs a numeric column; ${rule.column} is ${columnTypeName(type)}`);
  if (rule.kind === 'freshness' && type !== ColumnType.date && type !== ColumnType.timestamptz) ruleError(rule, `freshness needs a date or timestamp column; ${rule.column} is ${columnTypeName(type)}`);
  return index;
}

/** Checks every rule's columns and expressions against the columns; the row rules bound, in the configuration's order. */
export function bindRules(rules: readonly RuleConfig[], columns: readonly StageColumn[]): BoundRule[] {
  const bound: BoundRule[] = [];
  for (const rule of rules) {
    if (rule.kind === 'check') bound.push(checkRule(rule, columns));
    else if (rule.column !== undefined) {
      const index = columnOf(rule, columns);
      if (ROW_RULES.has(rule.kind)) bound.push({ ...valueRule(rule, index, columns[index].type), reads: [{ index, name: columns[index].name }] });
    }
  }
  return bound;
}

function columnDetail(batch: ColumnBatch, column: ColumnVector, row: number): string {
  const value = batch.text(column, row);
  const shown = value === null ? 'NULL' : JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
  return `column ${column.name}: ${shown}`;
}

/** Code points in bytes[start, end) of UTF-8: every byte that does not continue a sequence starts one. */
function characters(bytes: Uint8Array, start: number, end: number): number {
  let count = 0;
  for (let i = start; i < end; i++) if ((bytes[i] & 0xc0) !== 0x80) count++;
  return count;
}

type ValueRule = Omit<BoundRule, 'reads'>;

function valueRule(rule: RuleConfig, index: number, type: ColumnTypeCode): ValueRule {
  const detail = (batch: ColumnBatch, row: number): string => columnDetail(batch, batch.columns[index], row);
  switch (rule.kind) {
    case 'not_null':
      return {
        rule, detail,
        failures(batch, failing) {
          const { rejected } = batch;
          const { nulls } = batch.columns[index];
          let n = 0;
          for (let r = 0; r < batch.rowCount; r++) if (rejected[r] === 0 && nulls[r] === 1) failing[n++] = r;
          return n;
        },
      };
    case 'range': {
      const min = rule.range!.min ?? -Infinity;
      const max = rule.range!.max ?? Infinity;
      // numeric is compared as its nearest double: the bounds are doubles themselves.
      const fromText = type === ColumnType.numeric;
      return {
        rule, detail,
        failures(batch, failing) {
          const { rejected } = batch;
          const column = batch.columns[index];
          const { nulls, numbers } = column;
          let n = 0;
          for (let r = 0; r < batch.rowCount; r++) {
            if (rejected[r] === 1 || nulls[r] === 1) continue;
            const value = fromText ? Number(batch.text(column, r)) : numbers[r];
            if (!(value >= min && value <= max)) failing[n++] = r;
          }
          return n;
        },
      };
    }
    case 'regex': return regexRule(rule, index, detail);
    case 'length': {
      const min = rule.length!.min ?? 0;
      const max = rule.length!.max ?? Infinity;
      return spanRule(rule, index, detail, (bytes, start, end) => {
        // n bytes of UTF-8 hold between n / 4 and n code points: most values pass without counting.
        const n = end - start;
        if (n <= max && n >= 4 * min) return true;
        const length = characters(bytes, start, end);
        return length >= min && length <= max;
      });
    }
    case 'in': return inRule(rule, index, type, detail);
    default: throw new RangeError(`${rule.kind} is not a row rule`);
  }
}

/**
 * A regex verdict depends on the value's bytes alone, so it is remembered by them
 * (batch/value-memo.ts): a column of a few hundred distinct ids decodes and tests each once.
 */
function regexRule(rule: RuleConfig, index: number, detail: ValueRule['detail']): ValueRule {
  const pattern = new RegExp(rule.regex!, 'u');
  const memo = new ValueMemo();
  return {
    rule, detail,
    failures(batch, failing) {
      const { rejected } = batch;
      const column = batch.columns[index];
      batch.writeNumberText(column);
      const { nulls, starts, ends } = column;
      const bytes = batch.bytes;
      let n = 0;
      for (let r = 0; r < batch.rowCount; r++) {
        if (rejected[r] === 1 || nulls[r] === 1) continue;
        const start = starts[r];
        const end = ends[r];
        let verdict = memo.find(bytes, start, end);
        if (verdict === -1) {
          verdict = pattern.test(bytes.toString('utf8', start, end)) ? 1 : 0;
          memo.remember(bytes, start, end, verdict);
        }
        if (verdict === 0) failing[n++] = r;
      }
      return n;
    },
  };
}

/** An allowed set compares as the column's type does: numbers as numbers (1 = 1.0), booleans as truth values, the rest as text. */
function inRule(rule: RuleConfig, index: number, type: ColumnTypeCode, detail: ValueRule['detail']): ValueRule {
  const allowed = rule.in!;
  const numbers = NUMERIC_TYPES.has(type) && type !== ColumnType.numeric ? numbersOf(rule, type, allowed)
    : type === ColumnType.bool ? truthsOf(rule, allowed) : null;
  if (numbers !== null) {
    return {
      rule, detail,
      failures(batch, failing) {
        const { rejected } = batch;
        const column = batch.columns[index];
        let n = 0;
        for (let r = 0; r < batch.rowCount; r++) if (rejected[r] === 0 && column.nulls[r] === 0 && !numbers.has(column.numbers[r])) failing[n++] = r;
        return n;
      },
    };
  }
  const words = new ByteLookup(allowed.map(String));
  return spanRule(rule, index, detail, (bytes, start, end) => words.has(bytes, start, end));
}

/** A rule on each kept value's text, read in place from its span (`test`: whether it passes). */
function spanRule(rule: RuleConfig, index: number, detail: ValueRule['detail'], test: (bytes: Uint8Array, start: number, end: number) => boolean): ValueRule {
  return {
    rule, detail,
    failures(batch, failing) {
      const { rejected, bytes } = batch;
      const column = batch.columns[index];
      batch.writeNumberText(column);
      const { nulls, starts, ends } = column;
      let n = 0;
      for (let r = 0; r < batch.rowCount; r++) if (rejected[r] === 0 && nulls[r] === 0 && !test(bytes, starts[r], ends[r])) failing[n++] = r;
      return n;
    },
  };
}

function numbersOf(rule: RuleConfig, type: ColumnTypeCode, allowed: NonNullable<RuleConfig['in']>): Set<number> {
  return new Set(allowed.map((v) => {
    const number = typeof v === 'boolean' ? NaN : Number(v);
    if (!Number.isFinite(number)) ruleError(rule, `${JSON.stringify(v)} is not a number, and ${rule.column} is ${columnTypeName(type)}`);
    return number;
  }));
}

function truthsOf(rule: RuleConfig, allowed: NonNullable<RuleConfig['in']>): Set<number> {
  return new Set<number>(allowed.map((v) => {
    const word = Buffer.from(String(v));
    if (!isBool(word, 0, word.length)) ruleError(rule, `${JSON.stringify(v)} is not a boolean, and ${rule.column} is boolean`);
    return /^\s*(t|true|y|yes|on)\s*$/i.test(String(v)) ? 1 : 0;
  }));
}

function checkRule(rule: RuleConfig, columns: readonly StageColumn[]): BoundRule {
  const names = new Map<string, ExpressionColumn>();
  columns.forEach((c, index) => { if ((c as { dropped?: boolean }).dropped !== true) names.set(c.name, { index, kind: kindOfType(c.type) }); });
  let compiled;
  try {
    compiled = compileExpression(rule.check!, names);
  } catch (error) {
    ruleError(rule, (error as Error).message);
  }
  if (compiled.kind !== 'boolean' && compiled.kind !== null) ruleError(rule, `a check must be true or false; ${JSON.stringify(rule.check)} gives ${compiled.kind}`);
  const { evaluate, reads } = compiled;
  let batch: ColumnBatch;
  let row = 0;
  // One reader for every row: the row is a variable, not a closure per row.
  const read = (index: number): Value => readValue(batch, batch.columns[index], row, 'numbers');
  return {
    rule,
    reads: reads.map((index) => ({ index, name: columns[index].name })),
    failures(current, failing) {
      batch = current;
      let n = 0;
      for (row = 0; row < batch.rowCount; row++) if (batch.rejected[row] === 0 && evaluate(read) === false) failing[n++] = row;
      return n;
    },
    detail: (current, r) => `check ${rule.check}: ${reads.map((i) => columnDetail(current, current.columns[i], r).replace(/^column /, '')).join(', ')}`,
  };
}
