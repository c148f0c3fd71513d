/**
 * `timeseries.zone` applies to the time values written without an offset only, end to end on real
 * PostgreSQL: a column mixing `Z`, `+02:00` and naive values keeps the instants of the first two
 * and reads the naive ones as wall-clock times in the zone (only they count as ambiguous or
 * non-existent); a column written with offsets throughout is untouched; a date column is midnight
 * in the zone; and a load killed between chunks and run again gives a clean load's tables.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { engineFixture } from '../helpers/engine-fixture.js';
import { killWhen, loadOutcome, startLoad } from '../helpers/killed-load.js';
import { mulberry32 } from '../helpers/random.js';
import { assertSameSeriesTables } from './same-series-tables.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('time series: the zone applies to naive times only', () => {
  const fixture = engineFixture('timeseries-zone', {
    workers: 2, writers: 2,
    config: {
      datasets: {
        zone_mixed: { match: '**/zone_mixed*.csv', timeseries: { zone: 'Europe/Berlin', interval: '30m', enabled: true } },
        zone_offsets: { match: '**/zone_offsets*.csv', timeseries: { zone: 'America/New_York', interval: '30m', enabled: true } },
        zone_days: { match: '**/zone_days*.csv', timeseries: { zone: 'Europe/Berlin', enabled: true } },
        zone_switched: { match: '**/zone_switched*.csv', timeseries: { zone: 'Europe/Berlin', interval: '30m', enabled: false } },
      },
    },
  });

  const utcTimes = async (table: string, time = 'ts'): Promise<Array<{ t: string; reading: number }>> => (await fixture.client.query<{ t: string; reading: number }>(
    `SELECT to_char(${time} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS t, reading FROM timeseries.${table} WHERE NOT is_imputed ORDER BY ${time}`)).rows;

  test('a pass switched off in the configuration and on by --timeseries still tells naive times from those with an offset', async () => {
    const path = join(fixture.dir, 'zone_switched.csv');
    await writeFile(path, 'ts,reading\n2024-03-31T00:00:00Z,0\n2024-03-31 01:30,1\n2024-03-31T03:00:00+02:00,2\n');
    const summary = await fixture.engine.ingest(path, { timeseries: true });
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.timeseries?.points, 3);
    assert.deepEqual(await utcTimes('zone_switched'), ['00:00', '00:30', '01:00'].map((t, reading) => ({ t: `2024-03-31 ${t}`, reading })));
  });

  test('a column mixing Z, +hh:mm and naive values: offsets keep their instants, naive values are Berlin wall-clock times', async () => {
    const spring = [
      '2024-03-31T00:00:00Z', //       00:00Z
      '2024-03-31 01:30', //           CET: 00:30Z
      '2024-03-31T02:00:00+01:00', //  01:00Z (as a naive Berlin time 02:00 would not exist)
      '2024-03-31 02:30', //           does not exist in Berlin: moved forward to 03:30 CEST = 01:30Z, counted
      '2024-03-31T04:00:00+02:00', //  02:00Z
      '2024-03-31T02:30:00Z', //       02:30Z (read as Berlin it would be 00:30Z, a duplicate)
      '2024-03-31 05:00', //           CEST: 03:00Z
      '2024-03-31T03:30:00.000z', //   03:30Z
    ];
    const path = join(fixture.dir, 'zone_mixed_spring.csv');
    await writeFile(path, `ts,reading\n${spring.map((t, i) => `${t},${i}`).join('\n')}\n`);
    const summary = await fixture.engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    const ts = summary.timeseries!;
    assert.deepEqual([ts.nonexistent_times, ts.ambiguous_times, ts.duplicates, ts.gaps, ts.points], [1, 0, 0, 0, 8]);
    assert.deepEqual(await utcTimes('zone_mixed'), ['00:00', '00:30', '01:00', '01:30', '02:00', '02:30', '03:00', '03:30'].map((t, reading) => ({ t: `2024-03-31 ${t}`, reading })));

    const autumn = [
      '2024-10-27T00:00:00Z', //       00:00Z
      '2024-10-27 02:30', //           happens twice in Berlin: the earlier, CEST: 00:30Z, counted
      '2024-10-27T02:00:00+01:00', //  01:00Z (as a naive Berlin time 02:00 would be ambiguous)
      '2024-10-27T02:30:00+01:00', //  01:30Z
      '2024-10-27 03:00', //           CET: 02:00Z
    ];
    const second = join(fixture.dir, 'zone_mixed_autumn.csv');
    await writeFile(second, `ts,reading\n${autumn.map((t, i) => `${t},${i}`).join('\n')}\n`);
    const later = await fixture.engine.ingest(second);
    assert.equal(later.status, 'loaded', JSON.stringify(later.error));
    assert.deepEqual([later.timeseries!.ambiguous_times, later.timeseries!.nonexistent_times, later.timeseries!.duplicates], [1, 0, 0]);
    const october = (await utcTimes('zone_mixed')).filter((r) => r.t.startsWith('2024-10'));
    assert.deepEqual(october, ['00:00', '00:30', '01:00', '01:30', '02:00'].map((t, reading) => ({ t: `2024-10-27 ${t}`, reading })));
  });

  test('a column written with offsets throughout is untouched by the zone, its DST edges included', async () => {
    // As naive New York times, 02:00 and 02:30 on 2024-03-10 would not exist.
    const times = ['2024-03-10T02:00:00-05:00', '2024-03-10T02:30:00-05:00', '2024-03-10T03:00:00-05:00', '2024-03-10T08:30:00Z', '2024-03-10T10:00:00+01:00',
      '2024-03-10T05:30:00-04:00'];
    const path = join(fixture.dir, 'zone_offsets.csv');
    await writeFile(path, `ts,reading\n${times.map((t, i) => `${t},${i}`).join('\n')}\n`);
    const summary = await fixture.engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.deepEqual([summary.timeseries!.nonexistent_times, summary.timeseries!.ambiguous_times, summary.timeseries!.points], [0, 0, 6]);
    assert.deepEqual(await utcTimes('zone_offsets'), ['07:00', '07:30', '08:00', '08:30', '09:00', '09:30'].map((t, reading) => ({ t: `2024-03-10 ${t}`, reading })));
  });

  test('a date column is midnight on the zone\'s wall clock, as a naive time is', async () => {
    const days = ['2024-01-31', '2024-02-29', '2024-03-31', '2024-04-30', '2024-05-31', '2024-06-30', '2024-07-31', '2024-08-31', '2024-09-30', '2024-10-31'];
    const path = join(fixture.dir, 'zone_days.csv');
    await writeFile(path, `day,reading\n${days.map((d, i) => `${d},${i}`).join('\n')}\n`);
    const summary = await fixture.engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    const stored = await utcTimes('zone_days', 'day');
    // Midnight CET is 23:00Z the day before, midnight CEST 22:00Z.
    assert.deepEqual(stored.map((r) => r.t), ['2024-01-30 23:00', '2024-02-28 23:00', '2024-03-30 23:00', '2024-04-29 22:00', '2024-05-30 22:00', '2024-06-29 22:00',
      '2024-07-30 22:00', '2024-08-30 22:00', '2024-09-29 22:00', '2024-10-30 23:00']);
  });
});

/**
 * Three machines a minute from 2024-03-30 12:00Z across Berlin's spring change, the time written in
 * stretches of 40 minutes as `Z`, as `-04:00` and as a naive Berlin wall-clock time.
 */
function stretchesCsv(minutes: number): { csv: string; instants: number[] } {
  const random = mulberry32(11);
  const start = Date.UTC(2024, 2, 30, 12);
  const springChange = Date.UTC(2024, 2, 31, 1);
  const rows: string[] = [];
  const instants: number[] = [];
  for (let m = 0; m < minutes; m++) {
    const at = start + m * MINUTE;
    let text: string;
    switch (Math.floor(m / 40) % 3) {
      case 0: text = new Date(at).toISOString().replace('.000Z', 'Z'); break;
      case 1: text = `${new Date(at - 4 * HOUR).toISOString().slice(0, 19)}-04:00`; break;
      default: text = new Date(at + (at < springChange ? 1 : 2) * HOUR).toISOString().slice(0, 19).replace('T', ' ');
    }
    instants.push(at);
    for (const machine of ['m1', 'm2', 'm3']) if (machine !== 'm1' || random() > 0.01) rows.push(`${text},${machine},${(Math.sin(m / 60) * 10 + random()).toFixed(3)}`);
  }
  return { csv: `ts,machine_id,load\n${rows.join('\n')}\n`, instants };
}

describe('time series: a zoned load killed between chunks', () => {
  const series = { zone: 'Europe/Berlin', keys: ['machine_id'], interval: '1m' };
  const fixture = engineFixture('timeseries-zone-resume', { workers: 1, writers: 1, config: { datasets: { zone_clean: { timeseries: series } } } });

  test('run again, its series equal a clean load\'s, every value at the instant it names', { timeout: 180_000 }, async () => {
    const { csv, instants } = stretchesCsv(30_000);
    const path = join(fixture.dir, 'stretches.csv');
    await writeFile(path, csv);
    const config = join(fixture.dir, 'sluice.json');
    await writeFile(config, JSON.stringify({ datasets: { zone_resumed: { timeseries: series } } }));
    const load = () => startLoad(fixture.db.url, [path, '--json', '--dataset', 'zone_resumed', '--config', config, '--timeseries', '--workers', '1', '--writers', '1', '--chunk-size', '65536']);
    const committed = async (): Promise<number> => (await fixture.client.query<{ n: number }>('SELECT count(*)::int AS n FROM ingest.chunks')
      .catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n;
    const backends = async (): Promise<number> => (await fixture.client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows[0].n;
    const own = await backends();

    assert.equal(await killWhen(load(), async () => await committed() >= 3, backends, own), true, 'the load ended before its chunks were seen committing');
    const status = await fixture.client.query<{ status: string }>('SELECT status FROM ingest.files WHERE path = $1', [path]);
    assert.equal(status.rows[0].status, 'loading', 'killed before the file was loaded');

    const { code, summary: resumed } = await loadOutcome(load());
    assert.equal(code, 0);
    assert.equal(resumed.status, 'loaded', JSON.stringify(resumed.error));
    assert.ok((resumed.chunks?.skipped ?? 0) >= 3, 'the chunks committed before the kill were skipped');
    assert.equal(resumed.timeseries?.detected, true);
    assert.deepEqual([resumed.timeseries!.nonexistent_times, resumed.timeseries!.ambiguous_times, resumed.timeseries!.duplicates], [0, 0, 0]);

    // m2 has a row every minute: its times are the instants the file names, whichever way each was written.
    const m2 = await fixture.client.query<{ ms: number }>("SELECT (extract(epoch FROM ts) * 1000)::float8 AS ms FROM timeseries.zone_resumed WHERE machine_id = 'm2' ORDER BY ts");
    assert.equal(m2.rows.length, instants.length);
    assert.deepEqual(m2.rows.map((r) => r.ms), instants);

    const clean = await fixture.engine.ingest(path, { dataset: 'zone_clean', force: true, timeseries: true });
    assert.equal(clean.status, 'loaded', JSON.stringify(clean.error));
    assert.equal(clean.timeseries!.points, resumed.timeseries!.points);
    for (const schema of ['timeseries', 'features'] as const) await assertSameSeriesTables(fixture.client, schema, 'zone_resumed', 'zone_clean');
  });
});
