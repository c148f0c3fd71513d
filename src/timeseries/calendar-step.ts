/**
 * Calendar steps in UTC: add whole months to a UTC date, keep its time of day, and clamp the day
 * to the month's end, so a month-end series goes 01-31 → 02-29 → 03-31 and a series of the 30th
 * goes 01-30 → 02-29 → 03-30. Times are epoch microseconds; Date works in milliseconds, so the
 * sub-millisecond part is carried beside it.
 */

const MICROS_PER_MS = 1000;

function utcDate(micros: number): Date {
  return new Date(Math.floor(micros / MICROS_PER_MS));
}

export function daysInMonthUtc(year: number, month0: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month0 + 1, 0);
  return d.getUTCDate();
}

export function utcDayOfMonth(micros: number): number {
  return utcDate(micros).getUTCDate();
}

export function isUtcMonthEnd(micros: number): boolean {
  const d = utcDate(micros);
  return d.getUTCDate() === daysInMonthUtc(d.getUTCFullYear(), d.getUTCMonth());
}

/** `micros` moved by `months` calendar months, on day `day` of the target month (clamped to its last day), same time of day. */
export function addMonthsUtc(micros: number, months: number, day: number): number {
  const ms = Math.floor(micros / MICROS_PER_MS);
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  const target = d.getUTCMonth() + months;
  const targetYear = year + Math.floor(target / 12);
  const targetMonth = ((target % 12) + 12) % 12;
  const out = new Date(ms);
  out.setUTCFullYear(targetYear, targetMonth, Math.min(day, daysInMonthUtc(targetYear, targetMonth)));
  return out.getTime() * MICROS_PER_MS + (micros - ms * MICROS_PER_MS);
}

/**
 * The number j ≥ 0 of calendar steps from `a` whose grid time a + j steps lies closest to `b`
 * (ties: the larger j, as Math.round rounds 1.5 up for a fixed step). b − a ≥ 1.5 steps gives j ≥ 2.
 */
export function nearestCalendarStep(a: number, b: number, months: number, day: number): number {
  const da = utcDate(a);
  const db = utcDate(b);
  const monthsApart = (db.getUTCFullYear() - da.getUTCFullYear()) * 12 + (db.getUTCMonth() - da.getUTCMonth());
  // Starting one step short of b's month keeps the grid time below b; walk up to the step at or past it.
  let j = Math.max(0, Math.floor(monthsApart / months) - 1);
  let below = j === 0 ? a : addMonthsUtc(a, j * months, day);
  let above = addMonthsUtc(a, (j + 1) * months, day);
  while (above <= b) {
    j++;
    below = above;
    above = addMonthsUtc(a, (j + 1) * months, day);
  }
  return b - below < above - b ? j : j + 1;
}
