import { ColumnType, type ColumnTypeCode, INFERENCE_ORDER } from './column-type.js';
import { fitsType } from './value-checks.js';

/**
 * Infers each column's type from sampled values: the most specific type (INFERENCE_ORDER) that
 * every non-empty sampled value fits. Types are not a chain (an int is not a date), so each column
 * keeps the set of types still possible rather than a single pointer that only moves forward.
 */
export interface InferredColumn {
  type: ColumnTypeCode;
  /** 0..1: how much evidence the sample gave (non-empty values seen, saturating at 100). */
  confidence: number;
  nonEmpty: number;
}

const ALL_CANDIDATES = INFERENCE_ORDER.reduce((mask, type) => mask | (1 << type), 0);

export class ColumnTypeAccumulator {
  private readonly candidates: number[];
  private readonly nonEmpty: number[];

  constructor(readonly columnCount: number) {
    this.candidates = new Array<number>(columnCount).fill(ALL_CANDIDATES);
    this.nonEmpty = new Array<number>(columnCount).fill(0);
  }

  /**
   * Adds one sampled record given as raw field ranges (see fieldRanges). A field's value is its
   * range without outer quotes; doubled quotes inside need no undoing, because a value holding a
   * quote character fits no type but text either way.
   */
  addRecord(bytes: Uint8Array, ranges: readonly number[], quote: number): void {
    const count = Math.min(ranges.length / 2, this.columnCount);
    for (let column = 0; column < count; column++) {
      let start = ranges[2 * column];
      let end = ranges[2 * column + 1];
      if (end - start >= 2 && bytes[start] === quote && bytes[end - 1] === quote) { start++; end--; }
      this.addField(column, bytes, start, end);
    }
  }

  addField(column: number, bytes: Uint8Array, start: number, end: number): void {
    if (end <= start) return;
    this.nonEmpty[column]++;
    let mask = this.candidates[column];
    if (mask === 1 << ColumnType.text) return;
    for (const type of INFERENCE_ORDER) {
      if (type !== ColumnType.text && (mask & (1 << type)) !== 0 && !fitsType(type, bytes, start, end)) mask &= ~(1 << type);
    }
    this.candidates[column] = mask;
  }

  /** Adds one value given as text (a test, or a value already decoded). */
  addValue(column: number, value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.addField(column, bytes, 0, bytes.length);
  }

  result(): InferredColumn[] {
    const columns: InferredColumn[] = [];
    for (let column = 0; column < this.columnCount; column++) {
      const mask = this.candidates[column];
      const nonEmpty = this.nonEmpty[column];
      const type = nonEmpty === 0 ? ColumnType.text : INFERENCE_ORDER.find((t) => (mask & (1 << t)) !== 0) ?? ColumnType.text;
      columns.push({ type, confidence: Math.min(1, nonEmpty / 100), nonEmpty });
    }
    return columns;
  }
}
