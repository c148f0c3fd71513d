import type { ColumnBatch, ColumnVector } from '../../batch/column-batch.js';
import type { TransformStepConfig } from '../../configuration/config-schema.js';
import { SluiceError } from '../../errors.js';
import { compileExpression, type ExpressionColumn, type Value } from '../../expression/compile-expression.js';
import { compileNumberColumns, type NumberColumnsProgram } from '../../expression/number-columns.js';
import { ColumnType, type ColumnTypeCode, columnTypeName } from '../../schema/column-type.js';
import { fitsType, isFloat8 } from '../../schema/value-checks.js';
import { isNullToken } from '../../schema/value-format.js';
import { rejectBatchRow, shownValue } from '../batch-reject.js';
import type { StageColumn, StageContext } from '../stage.js';
import { ByteLookup } from './byte-lookup.js';
import { numberFromBytes } from './decimal-bytes.js';
import { kindOfType, readValue, textOfValue, typeOfKind } from './expression-values.js';

/**
 * The transform steps of a dataset compiled, once per file, into operations on a batch: names
 * resolved to column positions, words and map keys into byte lookups, expressions type-checked.
 * Each operation runs column-at-a-time over the rows (indexed loops, values moved as spans; only a
 * changed value is written, appended behind the chunk's bytes — the input bytes stay as read,
 * since a reject's `raw` is a span of them).
 *
 * Types are decided after the transforms: a column a step changes reaches the stage as text, and
 * right after its last changing step it takes its final type (`decide`): then a value that does not
 * fit that type is a CAST reject of the row, an empty value or a null token is NULL.
 */

export type CastContext = Pick<StageContext, 'fileId' | 'chunkNo' | 'rejects'>;

export interface Operation {
  process(batch: ColumnBatch, context: CastContext): void;
}

/** A column of the batch after the program: the input columns (renamed, retyped, dropped), then the derived ones. */
export interface ProgramColumn extends StageColumn {
  dropped: boolean;
  /** A step changes its values (the parser must then read it as text). */
  changed: boolean;
}

/**
 * The final type of a changed column (`name`: its name after every step), asked right after its
 * last changing step. `natural` is the
 * type the steps imply (booleans: bool; scale/offset: float), or null when only the values can tell.
 */
export type DecideType = (column: { index: number; name: string }, natural: ColumnTypeCode | null) => ColumnTypeCode;

export interface TransformProgram {
  operations: Operation[];
  columns: ProgramColumn[];
}

function configError(path: string, message: string): never {
  throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `transforms${path}: ${message}`);
}

const isSpace = (b: number): boolean => b === 0x20 || (b >= 0x09 && b <= 0x0d);

export interface Tracked extends ProgramColumn {
  /** Index of the last step that changes its values, or -1. */
  lastChange: number;
  natural: ColumnTypeCode | null;
}

/**
 * The steps' column names resolved to batch positions, in order (renames and derived columns
 * taken into account): per step the positions it names, and per column where its values last
 * change and whether it ends dropped. Refuses a step that names a column the file does not have.
 */
export function resolveSteps(columns: readonly StageColumn[], steps: readonly TransformStepConfig[]): { tracked: Tracked[]; resolved: number[][] } {
  const tracked: Tracked[] = columns.map((c) => ({ name: c.name, type: c.type, dropped: false, changed: false, lastChange: -1, natural: null }));
  const indexOf = (name: string, path: string): number => {
    const index = tracked.findIndex((c) => !c.dropped && c.name === name);
    if (index === -1) configError(path, `no column ${JSON.stringify(name)} (columns: ${tracked.filter((c) => !c.dropped).map((c) => c.name).join(', ')})`);
    return index;
  };
  const nameFree = (name: string, path: string): void => {
    if (tracked.some((c) => !c.dropped && c.name === name)) configError(path, `a column ${JSON.stringify(name)} already exists`);
  };

  const resolved: number[][] = [];
  steps.forEach((step, s) => {
    const path = `[${s}]`;
    if (step.column !== undefined) {
      const indexes = step.column.map((name) => indexOf(name, `${path}.column`));
      for (const i of indexes) {
        tracked[i].changed = true;
        tracked[i].lastChange = s;
        if (step.booleans !== undefined) tracked[i].natural = ColumnType.bool;
        else if (step.scale !== undefined || step.offset !== undefined) tracked[i].natural = ColumnType.float;
      }
      resolved.push(indexes);
    } else if (step.derive !== undefined) {
      nameFree(step.derive, `${path}.derive`);
      tracked.push({ name: step.derive, type: ColumnType.text, dropped: false, changed: false, lastChange: -1, natural: null });
      resolved.push([tracked.length - 1]);
    } else if (step.drop !== undefined) {
      const indexes = step.drop.map((name) => indexOf(name, `${path}.drop`));
      for (const i of indexes) tracked[i].dropped = true;
      resolved.push(indexes);
    } else if (step.rename !== undefined) {
      const indexes = Object.keys(step.rename).map((from) => indexOf(from, `${path}.rename`));
      const renamed = Object.values(step.rename);
      indexes.forEach((i) => { tracked[i].name = `\0${i}`; });
      renamed.forEach((to, k) => { nameFree(to, `${path}.rename.${Object.keys(step.rename!)[k]}`); tracked[indexes[k]].name = to; });
      resolved.push(indexes);
    }
  });

  return { tracked, resolved };
}

/**
 * `columns`: the batch as the stage receives it. `afterEach` runs each operation as soon as it is
 * built (the loader runs them on the sniffed sample, so `decide` can infer from transformed values).
 */
export function compileTransforms(columns: readonly StageColumn[], steps: readonly TransformStepConfig[], decide: DecideType,
  afterEach?: (operation: Operation) => void): TransformProgram {
  const { tracked, resolved } = resolveSteps(columns, steps);

  // Second pass: the operations, with the columns as they stand at each step.
  const state: Tracked[] = columns.map((c, i) => ({ ...tracked[i], name: c.name, type: c.type, dropped: false }));
  const operations: Operation[] = [];
  const add = (operation: Operation): void => {
    operations.push(operation);
    afterEach?.(operation);
  };
  steps.forEach((step, s) => {
    const indexes = resolved[s];
    if (step.column !== undefined) {
      for (const i of indexes) {
        if (step.trim === true) add(trimValues(i));
        if (step.null_tokens !== undefined) add(nullTokens(i, new ByteLookup(step.null_tokens)));
        if (step.case !== undefined) add(foldCase(i, step.case));
        if (step.map !== undefined) add(mapValues(i, step.map));
        if (step.booleans !== undefined) add(booleanWords(i, new ByteLookup(step.booleans.true, true), new ByteLookup(step.booleans.false, true)));
        if (step.scale !== undefined || step.offset !== undefined) add(scaleValues(i, step.scale ?? 1, step.offset ?? 0));
        if (state[i].lastChange === s) {
          const type = decide({ index: i, name: tracked[i].name }, state[i].natural);
          state[i].type = type;
          add(settleType(i, type));
        }
      }
    } else if (step.derive !== undefined) {
      const names = new Map<string, ExpressionColumn>();
      state.forEach((c, index) => { if (!c.dropped) names.set(c.name, { index, kind: kindOfType(c.type) }); });
      let compiled;
      try {
        compiled = compileExpression(step.expr!, names);
      } catch (error) {
        configError(`[${s}].expr`, (error as Error).message);
      }
      const type = typeOfKind(compiled.kind);
      state.push({ ...tracked[indexes[0]], name: step.derive, dropped: false, type });
      add(deriveColumn(step.derive, type, compiled.evaluate, compileNumberColumns(step.expr!, names)));
    } else if (step.drop !== undefined) {
      for (const i of indexes) state[i].dropped = true;
      add(dropColumns(indexes));
    } else if (step.rename !== undefined) {
      const names = Object.values(step.rename);
      indexes.forEach((i, k) => { state[i].name = names[k]; });
      add(renameColumns(indexes, names));
    }
  });
  return { operations, columns: state.map((c) => ({ name: c.name, type: c.type, dropped: c.dropped, changed: c.changed })) };
}

/** Runs `process` over the rows still kept whose value is not NULL (on their text: a derived column's is written first). */
function eachValue(batch: ColumnBatch, column: ColumnVector, process: (row: number) => void): void {
  batch.writeNumberText(column);
  const { rejected } = batch;
  const { nulls } = column;
  for (let r = 0; r < batch.rowCount; r++) if (rejected[r] === 0 && nulls[r] === 0) process(r);
}

function trimValues(index: number): Operation {
  return {
    process(batch) {
      const column = batch.columns[index];
      const { starts, ends } = column;
      const bytes = batch.bytes;
      eachValue(batch, column, (r) => {
        let start = starts[r];
        let end = ends[r];
        while (start < end && isSpace(bytes[start])) start++;
        while (end > start && isSpace(bytes[end - 1])) end--;
        starts[r] = start;
        ends[r] = end;
      });
    },
  };
}

function nullTokens(index: number, tokens: ByteLookup): Operation {
  return {
    process(batch) {
      const column = batch.columns[index];
      const bytes = batch.bytes;
      eachValue(batch, column, (r) => { if (tokens.has(bytes, column.starts[r], column.ends[r])) column.nulls[r] = 1; });
    },
  };
}

function foldCase(index: number, to: 'lower' | 'upper'): Operation {
  const [from, last] = to === 'lower' ? [0x41, 0x5a] : [0x61, 0x7a];
  const delta = to === 'lower' ? 0x20 : -0x20;
  return {
    process(batch) {
      const column = batch.columns[index];
      eachValue(batch, column, (r) => {
        const start = column.starts[r];
        const end = column.ends[r];
        let bytes = batch.bytes;
        let ascii = true;
        let changes = false;
        for (let i = start; i < end; i++) {
          const b = bytes[i];
          if (b >= 0x80) { ascii = false; break; }
          if (b >= from && b <= last) changes = true;
        }
        if (!ascii) {
          const text = batch.text(column, r)!;
          batch.appendString(column, r, to === 'lower' ? text.toLowerCase() : text.toUpperCase());
          return;
        }
        if (!changes) return;
        const at = batch.byteLength;
        bytes = batch.reserve(end - start);
        for (let i = start; i < end; i++) {
          const b = bytes[i];
          bytes[at + i - start] = b >= from && b <= last ? b + delta : b;
        }
        batch.byteLength = at + end - start;
        batch.setSpan(column, r, at, batch.byteLength);
      });
    },
  };
}

/**
 * Spans of constant texts (a map's values, `t` and `f`) appended once per chunk, when first used:
 * every row that gets one points at the same bytes.
 */
class ChunkConstants {
  private readonly spans: Int32Array;
  private readonly encoded: Uint8Array[];

  constructor(texts: readonly string[]) {
    const encoder = new TextEncoder();
    this.encoded = texts.map((t) => encoder.encode(t));
    this.spans = new Int32Array(texts.length);
  }

  /** Sets (column, row) to constant k (after `forget` at the start of the chunk). */
  set(batch: ColumnBatch, column: ColumnVector, row: number, k: number): void {
    if (this.spans[k] === -1) {
      this.spans[k] = batch.byteLength;
      batch.reserve(this.encoded[k].length).set(this.encoded[k], batch.byteLength);
      batch.byteLength += this.encoded[k].length;
    }
    batch.setSpan(column, row, this.spans[k], this.spans[k] + this.encoded[k].length);
  }

  /** A new chunk: the spans of the last one mean nothing in it. */
  forget(): void {
    this.spans.fill(-1);
  }
}

function mapValues(index: number, map: Readonly<Record<string, string | null>>): Operation {
  const keys = Object.keys(map);
  const lookup = new ByteLookup(keys);
  const replacements = keys.map((k) => map[k]);
  const constants = new ChunkConstants(replacements.map((v) => v ?? ''));
  return {
    process(batch) {
      const column = batch.columns[index];
      constants.forget();
      eachValue(batch, column, (r) => {
        const k = lookup.find(batch.bytes, column.starts[r], column.ends[r]);
        if (k === -1) return;
        if (replacements[k] === null) column.nulls[r] = 1;
        else constants.set(batch, column, r, k);
      });
    },
  };
}

function booleanWords(index: number, truthy: ByteLookup, falsy: ByteLookup): Operation {
  const constants = new ChunkConstants(['t', 'f']);
  return {
    process(batch) {
      const column = batch.columns[index];
      constants.forget();
      eachValue(batch, column, (r) => {
        const start = column.starts[r];
        const end = column.ends[r];
        if (truthy.has(batch.bytes, start, end)) constants.set(batch, column, r, 0);
        else if (falsy.has(batch.bytes, start, end)) constants.set(batch, column, r, 1);
      });
    },
  };
}

function scaleValues(index: number, scale: number, offset: number): Operation {
  return {
    process(batch) {
      const column = batch.columns[index];
      eachValue(batch, column, (r) => {
        const start = column.starts[r];
        const end = column.ends[r];
        // Not a number: left as it is, and refused as a CAST when the column takes its type.
        if (!isFloat8(batch.bytes, start, end)) return;
        const value = numberFromBytes(batch.bytes, start, end);
        batch.appendString(column, r, String(value * scale + offset));
      });
    },
  };
}

function settleType(index: number, type: ColumnTypeCode): Operation {
  return {
    process(batch, context) {
      const column = batch.columns[index];
      batch.writeNumberText(column);
      column.type = type;
      if (type === ColumnType.text) return;
      eachValue(batch, column, (r) => {
        let start = column.starts[r];
        let end = column.ends[r];
        const bytes = batch.bytes;
        while (start < end && bytes[start] === 0x20) start++;
        while (end > start && bytes[end - 1] === 0x20) end--;
        // As the parser loads a typed column: nothing, or a null token, is NULL.
        if (start === end || isNullToken(bytes, start, end)) { column.nulls[r] = 1; return; }
        if (!fitsType(type, bytes, start, end)) {
          rejectBatchRow(batch, r, context, 'CAST', `column ${column.name} (${columnTypeName(type)}): ${shownValue(batch.text(column, r))}`);
        }
      });
    },
  };
}

/** A column the number evaluator can read as it is: its numbers hold every kept value (readValue reads them too). */
function numbersReady(column: ColumnVector): boolean {
  return column.numbersType === column.type && (column.type === ColumnType.float || column.type === ColumnType.int);
}

/** `vector`: the expression a column at a time (number-columns.ts), used when the columns it reads hold their numbers. */
function deriveColumn(name: string, type: ColumnTypeCode, evaluate: (row: (index: number) => Value) => Value, vector: NumberColumnsProgram | null): Operation {
  let batch: ColumnBatch;
  let row = 0;
  // One reader for every row: the row it reads is a variable, not a closure per row.
  const read = (index: number): Value => readValue(batch, batch.columns[index], row, 'text');
  const columnAt = (index: number): ColumnVector => batch.columns[index];
  // A number or boolean result is kept as the batch's number, and its text is written only if
  // something reads it (ColumnVector.textPending): binary COPY and the profile do not, and
  // String(number) cost ~150 ns a value.
  const numbered = type === ColumnType.float || type === ColumnType.bool;
  return {
    process(current, context) {
      batch = current;
      const column = batch.addColumn(name, type);
      const { nulls, numbers } = column;
      const { rejected } = batch;
      let finite = true;
      if (vector !== null && vector.reads.every((i) => numbersReady(batch.columns[i]))) {
        vector.run(batch.rowCount, columnAt, column);
        for (let r = 0; r < batch.rowCount; r++) {
          if (rejected[r] === 1) { nulls[r] = 1; continue; }
          if (nulls[r] === 1) continue;
          // -0 as 0, as its text reads.
          const number = numbers[r] + 0;
          numbers[r] = number;
          if (!Number.isFinite(number)) finite = false;
        }
      } else {
        for (row = 0; row < batch.rowCount; row++) {
          if (rejected[row] === 1) continue;
          const value = evaluate(read);
          if (numbered) {
            if (value === null) continue;
            const number = typeof value === 'boolean' ? (value ? 1 : 0) : (value as number) + 0;
            nulls[row] = 0;
            numbers[row] = number;
            if (!Number.isFinite(number)) finite = false;
            continue;
          }
          const text = textOfValue(value, type);
          if (text !== null) batch.appendString(column, row, text);
          else if (value !== null) rejectBatchRow(batch, row, context, 'CAST', `column ${name} (${columnTypeName(type)}): ${shownValue(String(value))}`);
        }
      }
      if (!numbered) return;
      column.numbersType = type;
      column.textPending = true;
      // A NaN or an infinity: the column is read from its text, as every float column holding one.
      if (!finite) {
        batch.writeNumberText(column);
        column.numbersType = 0;
      }
    },
  };
}

function dropColumns(indexes: readonly number[]): Operation {
  return { process(batch) { for (const i of indexes) batch.columns[i].dropped = true; } };
}

function renameColumns(indexes: readonly number[], names: readonly string[]): Operation {
  return { process(batch) { indexes.forEach((i, k) => { batch.columns[i].name = names[k]; }); } };
}
