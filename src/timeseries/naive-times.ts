import type { ColumnOffsets } from '../stages/zone/zone-stage.js';
import { ColumnType, type ColumnTypeCode } from '../schema/column-type.js';

/**
 * Which rows of a file had their time written without an offset — the ones `timeseries.zone`
 * moves — from the zone stage's folded report (stages/zone/zone-stage.ts), asked by the row's
 * `_offset` as the second pass reads the rows back in no particular order.
 */
export class NaiveTimes {
  /** Run starts and ends (`_offset`s of rows written with an offset), ascending. */
  private constructor(private readonly kind: 'all' | 'none' | 'runs', private readonly starts = new Float64Array(0), private readonly ends = new Float64Array(0)) {}

  static readonly ALL = new NaiveTimes('all');
  static readonly NONE = new NaiveTimes('none');

  /**
   * For the time column of a load: a date column is all naive (a day has no offset); without a
   * report for the column — a file whose earlier chunks were loaded before the zone was
   * configured — every value is taken as naive, as the zone says of times it knows nothing about.
   */
  static of(type: ColumnTypeCode, found: ColumnOffsets | undefined): NaiveTimes {
    if (type === ColumnType.date || found === undefined || found.offset === 0) return NaiveTimes.ALL;
    if (found.naive === 0) return NaiveTimes.NONE;
    const count = found.runs.length / 2;
    const order = Array.from({ length: count }, (_, k) => k);
    // Chunks fold in chunk order, so the runs are ascending already; sorted anyway, as the lookup relies on it.
    order.sort((a, b) => found.runs[2 * a] - found.runs[2 * b]);
    const starts = Float64Array.from(order, (k) => found.runs[2 * k]);
    const ends = Float64Array.from(order, (k) => found.runs[2 * k + 1]);
    return new NaiveTimes('runs', starts, ends);
  }

  /** Whether the row at `_offset` is naive: in no run of rows written with an offset. */
  isNaive(offset: number): boolean {
    if (this.kind !== 'runs') return this.kind === 'all';
    const { starts, ends } = this;
    // The last run starting at or before the offset.
    let low = 0;
    let high = starts.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (starts[mid] <= offset) { found = mid; low = mid + 1; } else high = mid - 1;
    }
    return found < 0 || offset > ends[found];
  }
}
