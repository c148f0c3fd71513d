import type { Interval } from './series-options.js';

/**
 * How timeseries.* and features.* are cut by time: native range partitions of one span (a day, an
 * ISO week, a calendar month or a year, in UTC), or TimescaleDB chunks of the same length. The span
 * is the shortest that holds about 10,000 points of one series at its interval — TimescaleDB's
 * advice is chunks that fit memory with their indexes, and a partition per few thousand rows
 * would make planning slower than scanning — and is fixed when the table is created.
 */

export type PartitionSpan = 'day' | 'week' | 'month' | 'year';

const SPAN_MICROS: Record<PartitionSpan, number> = {
  day: 86_400e6, week: 7 * 86_400e6, month: 30 * 86_400e6, year: 365 * 86_400e6,
};
const POINTS_PER_PARTITION = 10_000;
const SPANS: readonly PartitionSpan[] = ['day', 'week', 'month', 'year'];
const DAY_MS = 86_400_000;

export function spanFor(interval: Interval | null): PartitionSpan {
  if (interval === null) return 'month';
  const step = interval.kind === 'fixed' ? interval.micros : interval.months * SPAN_MICROS.month;
  return SPANS.find((span) => SPAN_MICROS[span] / step >= POINTS_PER_PARTITION) ?? 'year';
}

/** TimescaleDB's chunk_time_interval for the span (it wants a fixed length). */
export function spanInterval(span: PartitionSpan): string {
  return { day: '1 day', week: '7 days', month: '30 days', year: '365 days' }[span];
}

/** The start (ms since 1970 UTC) of the span holding `ms`. */
export function spanStart(span: PartitionSpan, ms: number): number {
  const date = new Date(ms);
  switch (span) {
    case 'day': return Math.floor(ms / DAY_MS) * DAY_MS;
    // ISO weeks start on Monday; 1970-01-01 was a Thursday.
    case 'week': return Math.floor((Math.floor(ms / DAY_MS) + 3) / 7) * 7 * DAY_MS - 3 * DAY_MS;
    case 'month': return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    case 'year': return Date.UTC(date.getUTCFullYear(), 0, 1);
  }
}

/** The start of the span after the one starting at `start`. */
export function nextSpanStart(span: PartitionSpan, start: number): number {
  const date = new Date(start);
  switch (span) {
    case 'day': return start + DAY_MS;
    case 'week': return start + 7 * DAY_MS;
    case 'month': return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
    case 'year': return Date.UTC(date.getUTCFullYear() + 1, 0, 1);
  }
}

/** Every span start from the one holding `fromMs` to the one holding `toMs`. */
export function spansBetween(span: PartitionSpan, fromMs: number, toMs: number): number[] {
  const starts: number[] = [];
  for (let s = spanStart(span, fromMs); s <= toMs; s = nextSpanStart(span, s)) starts.push(s);
  return starts;
}

export function isPartitionSpan(text: string): text is PartitionSpan {
  return (SPANS as readonly string[]).includes(text);
}
