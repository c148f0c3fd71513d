import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SluiceError } from '../../src/errors.js';
import { calendarParts, zoneOffsetMicros, zonedToUtcMicros } from '../../src/timeseries/local-time.js';

const wall = (text: string): number => Date.parse(`${text}Z`) * 1000;
const iso = (micros: number): string => new Date(micros / 1000).toISOString();

test('Europe/Berlin spring forward: 02:30 does not exist and moves forward by the gap to 03:30 CEST', () => {
  const r = zonedToUtcMicros(wall('2024-03-31T02:30:00'), 'Europe/Berlin');
  assert.deepEqual({ ...r, micros: iso(r.micros) }, { micros: '2024-03-31T01:30:00.000Z', ambiguous: false, nonexistent: true });
});

test('Europe/Berlin fall back: 02:30 happens twice and is the earlier instant', () => {
  const r = zonedToUtcMicros(wall('2024-10-27T02:30:00'), 'Europe/Berlin');
  assert.deepEqual({ ...r, micros: iso(r.micros) }, { micros: '2024-10-27T00:30:00.000Z', ambiguous: true, nonexistent: false });
});

test('ordinary wall times on either side of the transitions, and sub-millisecond parts', () => {
  assert.equal(iso(zonedToUtcMicros(wall('2024-03-31T01:59:59'), 'Europe/Berlin').micros), '2024-03-31T00:59:59.000Z');
  assert.equal(iso(zonedToUtcMicros(wall('2024-03-31T03:00:00'), 'Europe/Berlin').micros), '2024-03-31T01:00:00.000Z');
  assert.equal(iso(zonedToUtcMicros(wall('2024-10-27T03:00:00'), 'Europe/Berlin').micros), '2024-10-27T02:00:00.000Z');
  assert.equal(zonedToUtcMicros(wall('2024-07-01T12:00:00') + 123, 'America/New_York').micros, wall('2024-07-01T16:00:00') + 123);
  assert.equal(iso(zonedToUtcMicros(wall('2024-01-15T09:00:00'), 'Asia/Kolkata').micros), '2024-01-15T03:30:00.000Z');
  assert.deepEqual(zonedToUtcMicros(wall('2024-01-15T09:00:00'), 'UTC'), { micros: wall('2024-01-15T09:00:00'), ambiguous: false, nonexistent: false });
});

test('a resolved wall time reads back as the same wall time unless it did not exist', () => {
  fc.assert(
    fc.property(fc.integer({ min: Date.UTC(1990, 0, 1) / 1000, max: Date.UTC(2040, 0, 1) / 1000 }), fc.constantFrom('Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Sao_Paulo'), (seconds, zone) => {
      const w = seconds * 1_000_000;
      const r = zonedToUtcMicros(w, zone);
      const back = r.micros + zoneOffsetMicros(r.micros, zone);
      if (r.nonexistent) assert.ok(back > w && back - w <= 3_600_000_000);
      else assert.equal(back, w);
    }),
    { numRuns: 300 },
  );
});

test('the cached offsets equal Intl for any instant, also inside an hour with a transition (the Lord Howe shift at :30)', () => {
  const format = (zone: string) => new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  fc.assert(
    fc.property(fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2035, 0, 1) / 1000 }), fc.constantFrom('Europe/Berlin', 'Australia/Lord_Howe', 'America/St_Johns'), (seconds, zone) => {
      const parts = Object.fromEntries(format(zone).formatToParts(seconds * 1000).map((p) => [p.type, Number(p.value)]));
      const expected = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) - seconds * 1000;
      assert.equal(zoneOffsetMicros(seconds * 1_000_000, zone), expected * 1000);
    }),
    { numRuns: 300 },
  );
  // Lord Howe enters daylight time at 02:00 local (+10:30) = 15:30Z on 2024-10-05, inside the
  // UTC hour 15:00Z–16:00Z: that hour is not cached as one offset.
  assert.equal(zoneOffsetMicros(wall('2024-10-05T15:00:00'), 'Australia/Lord_Howe'), 10.5 * 3600e6);
  assert.equal(zoneOffsetMicros(wall('2024-10-05T15:29:59'), 'Australia/Lord_Howe'), 10.5 * 3600e6);
  assert.equal(zoneOffsetMicros(wall('2024-10-05T15:30:00'), 'Australia/Lord_Howe'), 11 * 3600e6);
  assert.equal(zoneOffsetMicros(wall('2024-10-05T15:59:59'), 'Australia/Lord_Howe'), 11 * 3600e6);
  // It leaves daylight time at 02:00 local (+11) = 15:00Z on 2024-04-06, on an hour boundary.
  assert.equal(zoneOffsetMicros(wall('2024-04-06T14:59:59'), 'Australia/Lord_Howe'), 11 * 3600e6);
  assert.equal(zoneOffsetMicros(wall('2024-04-06T15:00:00'), 'Australia/Lord_Howe'), 10.5 * 3600e6);
});

test('calendarParts: hour, weekday (0 = Sunday) and month on the zone\'s wall clock', () => {
  assert.deepEqual(calendarParts(wall('2024-03-31T01:30:00'), 'Europe/Berlin'), { hour: 3, weekday: 0, month: 3 });
  assert.deepEqual(calendarParts(wall('2024-03-31T23:30:00'), 'Europe/Berlin'), { hour: 1, weekday: 1, month: 4 });
  assert.deepEqual(calendarParts(wall('2024-01-01T02:00:00'), 'America/New_York'), { hour: 21, weekday: 0, month: 12 });
  assert.deepEqual(calendarParts(wall('2024-02-29T20:00:00'), 'Asia/Kolkata'), { hour: 1, weekday: 5, month: 3 });
  assert.deepEqual(calendarParts(wall('1969-12-31T23:00:00'), 'UTC'), { hour: 23, weekday: 3, month: 12 });
});

test('an unknown zone is a configuration error', () => {
  assert.throws(() => zonedToUtcMicros(0, 'Mars/Olympus_Mons'), (error: unknown) => error instanceof SluiceError && error.code === 'SLUICE_ERR_CONFIG_INVALID');
  assert.throws(() => calendarParts(0, 'Not/A_Zone'), (error: unknown) => error instanceof SluiceError && error.code === 'SLUICE_ERR_CONFIG_INVALID');
});
