import { SluiceError } from '../errors.js';
import { civilFromDays, type CivilDate } from '../schema/civil-date.js';

/**
 * Wall-clock times in an IANA zone, through Intl (the only zone database Node carries).
 *
 * Intl.DateTimeFormat is slow to build (tens of µs) and formatToParts costs about a µs, so a
 * formatter is built once per zone and a zone's UTC offset is cached per UTC hour: every offset
 * transition in the database falls on a whole minute, and when an hour's first and last second
 * have the same offset the whole hour has it (two transitions within one hour do not occur). An
 * hour that holds a transition (Lord Howe enters daylight time at 15:30Z) is marked and computed
 * per call.
 *
 * Resolving a wall-clock time (as the staging table keeps naive timestamps) to an instant:
 *   - ambiguous (clocks set back, the wall time happens twice): the EARLIER instant, the one
 *     with the offset in force before the transition;
 *   - non-existent (clocks set forward, the wall time is skipped): moved forward by the gap,
 *     i.e. read with the offset in force before the transition (Europe/Berlin 2024-03-31 02:30 →
 *     03:30 CEST = 01:30Z), as java.time and Temporal ('compatible') do (PostgreSQL reads an
 *     ambiguous time as standard time, the later instant).
 */

const SECOND = 1_000_000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;
/** Cached hours per zone before the cache is dropped (a year of hours is 8,760). */
const MAX_CACHED_HOURS = 100_000;
/** Marks an hour whose offset changes inside it. */
const VARIES = Number.POSITIVE_INFINITY;

interface ZoneCache {
  format: Intl.DateTimeFormat | null;
  offsets: Map<number, number>;
}

const zones = new Map<string, ZoneCache>();

function zoneCache(zone: string): ZoneCache {
  let cache = zones.get(zone);
  if (cache !== undefined) return cache;
  let format: Intl.DateTimeFormat | null = null;
  if (zone !== 'UTC') {
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short',
      });
    } catch (error) {
      throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `unknown time zone ${JSON.stringify(zone)}`, { cause: error });
    }
  }
  cache = { format, offsets: new Map() };
  zones.set(zone, cache);
  return cache;
}

/** The offset (µs) of the zone at a whole second, from the formatter's wall-clock fields. */
function exactOffset(format: Intl.DateTimeFormat, utcSecondMicros: number): number {
  const ms = utcSecondMicros / 1000;
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const part of format.formatToParts(ms)) {
    switch (part.type) {
      case 'year': year = Number(part.value); break;
      case 'month': month = Number(part.value); break;
      case 'day': day = Number(part.value); break;
      case 'hour': hour = Number(part.value); break;
      case 'minute': minute = Number(part.value); break;
      case 'second': second = Number(part.value); break;
      case 'era': bc = part.value === 'BC' || part.value === 'B'; break;
      default: break;
    }
  }
  const wall = new Date(0);
  wall.setUTCFullYear(bc ? 1 - year : year, month - 1, day);
  wall.setUTCHours(hour, minute, second, 0);
  return wall.getTime() * 1000 - utcSecondMicros;
}

/** The zone's UTC offset in µs at an instant (wall = utc + offset). */
export function zoneOffsetMicros(utcMicros: number, zone: string): number {
  const cache = zoneCache(zone);
  const format = cache.format;
  if (format === null) return 0;
  const hourStart = Math.floor(utcMicros / HOUR) * HOUR;
  let offset = cache.offsets.get(hourStart);
  if (offset === undefined) {
    const first = exactOffset(format, hourStart);
    offset = exactOffset(format, hourStart + HOUR - SECOND) === first ? first : VARIES;
    if (cache.offsets.size >= MAX_CACHED_HOURS) cache.offsets.clear();
    cache.offsets.set(hourStart, offset);
  }
  return offset === VARIES ? exactOffset(format, Math.floor(utcMicros / SECOND) * SECOND) : offset;
}

/**
 * The instant of a wall-clock time in `zone` (wallMicros: the wall time written as if it were UTC).
 * A transition is assumed to be at least a day away from any other, as in every zone today.
 */
export function zonedToUtcMicros(wallMicros: number, zone: string): { micros: number; ambiguous: boolean; nonexistent: boolean } {
  const before = zoneOffsetMicros(wallMicros - DAY, zone);
  const after = zoneOffsetMicros(wallMicros + DAY, zone);
  const early = wallMicros - before;
  const late = wallMicros - after;
  const earlyFits = zoneOffsetMicros(early, zone) === before;
  const lateFits = zoneOffsetMicros(late, zone) === after;
  if (earlyFits && lateFits && early !== late) return { micros: Math.min(early, late), ambiguous: true, nonexistent: false };
  if (earlyFits) return { micros: early, ambiguous: false, nonexistent: false };
  if (lateFits) return { micros: late, ambiguous: false, nonexistent: false };
  return { micros: early, ambiguous: false, nonexistent: true };
}

/** Hour 0..23 of a wall-clock time written as if it were UTC (µs). No Date: this runs per row. */
export function hourOfWall(wallMicros: number): number {
  return Math.floor((wallMicros - Math.floor(wallMicros / DAY) * DAY) / HOUR);
}

/** Weekday 0 = Sunday … 6 of a wall-clock time (1970-01-01 was a Thursday). */
export function weekdayOfWall(wallMicros: number): number {
  return (((Math.floor(wallMicros / DAY) + 4) % 7) + 7) % 7;
}

const civil: CivilDate = { year: 0, month: 0, day: 0 };

export function monthOfWall(wallMicros: number): number {
  civilFromDays(Math.floor(wallMicros / DAY), civil);
  return civil.month;
}

/** Hour 0..23, weekday 0 = Sunday … 6, month 1..12 of an instant on the zone's wall clock. */
export function calendarParts(utcMicros: number, zone: string): { hour: number; weekday: number; month: number } {
  const wall = utcMicros + zoneOffsetMicros(utcMicros, zone);
  return { hour: hourOfWall(wall), weekday: weekdayOfWall(wall), month: monthOfWall(wall) };
}
