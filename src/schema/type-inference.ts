import { ColumnType, type ColumnTypeCode } from './column-type.js';
import { fitsType, isLongInteger } from './value-checks.js';
import { type ColumnFormat, isNullToken, normaliseValue, scratchBuffer, ValueFormat, type ValueFormatCode } from './value-format.js';

/**
 * Infers each column's type — and the format its values are written in — from sampled values:
 * the first candidate (type, format) in preference order that every non-empty sampled value fits.
 * Types are not a chain (an int is not a date), so each column keeps the set of candidates still
 * possible rather than a pointer that only moves forward. Null tokens (NA, NULL, …) are not
 * evidence against a type: they are counted, and load as NULL in a typed column.
 */

export interface Candidate {
  type: ColumnTypeCode;
  format: ValueFormatCode;
}

export interface InferenceHints {
  /** Prefer a decimal comma (1.234,5) to a decimal point when values allow both (`;` files). */
  decimalComma?: boolean;
  /** When day and month order cannot be told from the values. Default: month first. */
  dateOrder?: 'mdy' | 'dmy';
}

export interface InferredColumn {
  type: ColumnTypeCode;
  format: ColumnFormat;
  /** 0..1: how much evidence the sample gave (non-empty values seen, saturating at 100), lower when ambiguous. */
  confidence: number;
  nonEmpty: number;
  /** Day/month order could not be told from the sample (`dateOrder` decided), or every number could also be read with thousands dots. */
  ambiguous: boolean;
  /**
   * For each type some format of it fitted every value: that format. Used when the table already
   * has the column with another type than the one chosen here.
   */
  formatsByType: Partial<Record<ColumnTypeCode, ColumnFormat>>;
}

/** Names that say a number is a point in time (epoch seconds or milliseconds). */
/** Values after which only the leading candidate is checked (see addField). */
const SETTLE_AFTER = 500;

const TIME_NAME = /(^|_)(time|timestamp|ts|epoch|date|datetime|created|updated|modified)(_|$)|_at$/;

export function namesTime(name: string): boolean {
  return TIME_NAME.test(name.toLowerCase());
}

/** The candidates for one column, most preferred first. */
export function candidatesFor(hints: InferenceHints, timeByName: boolean): Candidate[] {
  const list: Candidate[] = [{ type: ColumnType.bool, format: ValueFormat.plain }];
  if (timeByName) {
    list.push({ type: ColumnType.timestamptz, format: ValueFormat.epochSeconds }, { type: ColumnType.timestamptz, format: ValueFormat.epochMillis });
  }
  // Plain numbers first (copied as they are): `1.001` alone is one point zero zero one, and when it
  // could also be a thousand and one the column is reported ambiguous. Where a decimal comma is
  // expected (`;` files) `1.234,5` is tried before `1,234.5`; elsewhere the other way round.
  // An integer beyond bigint is `numeric`, not a double that would round its last digits.
  list.push({ type: ColumnType.int, format: ValueFormat.plain }, { type: ColumnType.bigint, format: ValueFormat.plain }, { type: ColumnType.float, format: ValueFormat.plain },
    { type: ColumnType.numeric, format: ValueFormat.plain });
  const integersAndFloats = (style: ValueFormatCode): Candidate[] => [
    { type: ColumnType.int, format: style }, { type: ColumnType.bigint, format: style }, { type: ColumnType.float, format: style }];
  if (hints.decimalComma) list.push(...integersAndFloats(ValueFormat.thousandsDot), ...integersAndFloats(ValueFormat.thousandsComma));
  else list.push(...integersAndFloats(ValueFormat.thousandsComma), ...integersAndFloats(ValueFormat.thousandsDot));
  list.push(...integersAndFloats(ValueFormat.thousandsSpace));
  const dayMonth = hints.dateOrder === 'dmy' ? [ValueFormat.dmy, ValueFormat.mdy] : [ValueFormat.mdy, ValueFormat.dmy];
  for (const type of [ColumnType.date, ColumnType.timestamptz] as const) {
    for (const format of [ValueFormat.plain, ValueFormat.ymdSlash, ...dayMonth, ValueFormat.monthDayYear, ValueFormat.dayMonthYear]) list.push({ type, format });
  }
  list.push({ type: ColumnType.date, format: ValueFormat.yearMonth });
  // A plausible year (1800–2100) is an integer first, so this is reached only when forced: a column
  // of years is a number unless the user says otherwise, and a zero-padded code (`0900`) is text.
  list.push({ type: ColumnType.date, format: ValueFormat.year });
  list.push({ type: ColumnType.text, format: ValueFormat.plain });
  return list;
}

export function fitsCandidate(candidate: Candidate, bytes: Uint8Array, start: number, end: number, scratch: Uint8Array): boolean {
  if (candidate.type === ColumnType.text) return true;
  if (candidate.format === ValueFormat.plain) {
    if (candidate.type === ColumnType.float && isLongInteger(bytes, start, end)) return false;
    return fitsType(candidate.type, bytes, start, end);
  }
  return normaliseValue(candidate.type, { format: candidate.format, nullTokens: false }, bytes, start, end, scratch) > 0;
}

export class ColumnTypeAccumulator {
  private readonly candidates: Candidate[][];
  /** Sampled values each candidate did not fit; chosen types need none, other formats tolerate a few. */
  private readonly misfits: Uint32Array[];
  private readonly nonEmpty: number[];
  private readonly nullTokens: number[];
  /** Per column once settled: the leading candidate (the first every value fitted), or -1 before. */
  private readonly leads: Int32Array;
  private readonly scratch = scratchBuffer();

  /** `candidates[column]`, or one list for every column (default: no hints). */
  constructor(readonly columnCount: number, candidates: Candidate[][] | Candidate[] = candidatesFor({}, false)) {
    this.candidates = Array.from({ length: columnCount }, (_, c) => (Array.isArray(candidates[0]) ? (candidates as Candidate[][])[c] : candidates as Candidate[]));
    this.misfits = this.candidates.map((list) => new Uint32Array(list.length));
    this.nonEmpty = new Array<number>(columnCount).fill(0);
    this.nullTokens = new Array<number>(columnCount).fill(0);
    this.leads = new Int32Array(columnCount).fill(-1);
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
    while (start < end && bytes[start] === 0x20) start++;
    while (end > start && bytes[end - 1] === 0x20) end--;
    if (end <= start) return;
    if (isNullToken(bytes, start, end)) { this.nullTokens[column]++; return; }
    this.nonEmpty[column]++;
    const list = this.candidates[column];
    const misfits = this.misfits[column];
    // A candidate that missed more than a tenth of the values (and a few) stops being checked.
    const hopeless = 3 + this.nonEmpty[column] / 10;
    // After enough values the choice has settled: only the leading candidate (the first every value
    // fitted) is still checked, and the ones after it only once it misses. The alternatives' counts
    // then describe the first SETTLE_AFTER values — enough for formats and ambiguity, and it keeps
    // a 20,000-record sample from paying ~30 checks per value. The lead is kept per column rather
    // than searched for per value; text, the last candidate, fits everything and is never checked.
    if (this.nonEmpty[column] > SETTLE_AFTER) {
      const last = list.length - 1;
      let k = this.leads[column];
      if (k < 0) for (k = 0; k < last && misfits[k] > 0;) k++;
      while (k < last && !fitsCandidate(list[k], bytes, start, end, this.scratch)) {
        misfits[k]++;
        for (k++; k < last && misfits[k] > 0;) k++;
      }
      this.leads[column] = k;
      return;
    }
    for (let k = 0; k < list.length - 1; k++) {
      if (misfits[k] > hopeless) continue;
      if (!fitsCandidate(list[k], bytes, start, end, this.scratch)) misfits[k]++;
    }
  }

  /** Adds one value given as text (a test, or a value already decoded). */
  addValue(column: number, value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.addField(column, bytes, 0, bytes.length);
  }

  /**
   * The chosen candidate per column. `forced[column]` (a type the user named) picks the first
   * format of that type every value fitted, or the plain format when none did.
   */
  result(forced: readonly (ColumnTypeCode | undefined)[] = []): InferredColumn[] {
    const columns: InferredColumn[] = [];
    for (let column = 0; column < this.columnCount; column++) {
      const list = this.candidates[column];
      const misfits = this.misfits[column];
      const alive = (k: number): boolean => misfits[k] === 0;
      const nonEmpty = this.nonEmpty[column];
      const want = forced[column];
      let chosen = list.length - 1;
      if (want !== undefined) {
        chosen = list.findIndex((c, k) => c.type === want && (alive(k) || nonEmpty === 0));
        if (chosen === -1) chosen = list.findIndex((c) => c.type === want);
      } else if (nonEmpty > 0) {
        for (let k = 0; k < list.length; k++) if (alive(k)) { chosen = k; break; }
      }
      const { type, format } = chosen === -1 ? { type: want!, format: ValueFormat.plain } : list[chosen];
      // Day/month order is ambiguous when the other order would have fitted every value too.
      const other = format === ValueFormat.dmy ? ValueFormat.mdy : format === ValueFormat.mdy ? ValueFormat.dmy : -1;
      // `1.001` read as a decimal, though every value would also read as thousands (`1.001` = 1001).
      const thousandsToo = type === ColumnType.float && format === ValueFormat.plain
        && list.some((c, k) => alive(k) && c.type !== ColumnType.float && c.format === ValueFormat.thousandsDot);
      const ambiguous = thousandsToo || (other !== -1 && list.some((c, k) => alive(k) && c.type === type && c.format === other));
      const nullTokens = type !== ColumnType.text && this.nullTokens[column] > 0;
      const confidence = Math.min(1, nonEmpty / 100) * (ambiguous ? 0.5 : 1);
      // For another type (an existing table's), the format that fitted best — a few misfits are
      // rows to reject, not a reason to read every value as it is.
      const formatsByType: Partial<Record<ColumnTypeCode, ColumnFormat>> = {};
      const fewest: Partial<Record<ColumnTypeCode, number>> = {};
      for (let k = 0; k < list.length; k++) {
        const t = list[k].type;
        if (misfits[k] > Math.max(1, nonEmpty / 10) || misfits[k] >= (fewest[t] ?? Infinity)) continue;
        fewest[t] = misfits[k];
        formatsByType[t] = { format: list[k].format, nullTokens: t !== ColumnType.text && this.nullTokens[column] > 0 };
      }
      columns.push({ type, format: { format, nullTokens }, confidence, nonEmpty, ambiguous, formatsByType });
    }
    return columns;
  }
}
