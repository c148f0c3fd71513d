/**
 * The profile stage on column batches: one chunk's report per batch, merged in any order, equals one
 * pass over all the rows (every exact part exactly, mean and variance within 1e-9 relative);
 * rejected rows and dropped columns are not profiled; the finished figures read back in the
 * column's terms (dates, timestamps, booleans), with quantiles within the stated error.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ColumnType, type ColumnTypeCode } from '../../src/schema/column-type.js';
import { profileOf } from '../../src/profile/sketch-profile.js';
import { QUANTILE_KEYS, QUANTILE_RELATIVE_ACCURACY } from '../../src/profile/quantile-sketch.js';
import { HLL_STANDARD_ERROR } from '../../src/profile/hyperloglog.js';
import { ByteSink } from '../../src/formats/byte-sink.js';
import { profileStage, type ProfileReport } from '../../src/stages/profile/profile-stage.js';
import { columnFigures } from '../../src/stages/profile/column-profile.js';
import { profileOptionsFromSample } from '../../src/stages/profile/profile-origins.js';
import type { StageContext } from '../../src/stages/stage.js';
import { batchOf } from '../helpers/batch.js';
import { mulberry32 } from '../helpers/random.js';

const COLUMNS: ReadonlyArray<{ name: string; type: ColumnTypeCode }> = [
  { name: 'id', type: ColumnType.int },
  { name: 'amount', type: ColumnType.float },
  { name: 'name', type: ColumnType.text },
  { name: 'day', type: ColumnType.date },
  { name: 'at', type: ColumnType.timestamptz },
  { name: 'ok', type: ColumnType.bool },
];

type Row = Array<string | null>;

function context(): StageContext {
  return { dataset: 'd', fileId: 1, chunkNo: 0, rejects: new ByteSink(new Uint8Array(0)), anomalies: new ByteSink(new Uint8Array(0)) };
}

function randomRows(count: number, seed: number, distinctIds: number): Row[] {
  const random = mulberry32(seed);
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) {
    const maybe = (value: string): string | null => (random() < 0.05 ? null : value);
    const ms = Date.UTC(2024, 0, 1) + Math.floor(random() * 86_400_000 * 60);
    const micros = String(Math.floor(random() * 1e6)).padStart(6, '0');
    rows.push([
      maybe(String(Math.floor(random() * distinctIds))),
      maybe((random() * 2000 - 1000).toFixed(3)),
      maybe(['alpha', 'beta', 'user@example.com', '00123', ''][Math.floor(random() * 5)] + (random() < 0.3 ? String(Math.floor(random() * distinctIds)) : '')),
      maybe(new Date(ms).toISOString().slice(0, 10)),
      maybe(`${new Date(ms).toISOString().slice(0, 19)}.${micros}Z`),
      maybe(random() < 0.7 ? 'true' : 'false'),
    ]);
  }
  return rows;
}

/** Runs one stage over the rows cut into chunks at `cuts`, one report per chunk, as a worker does. */
function chunkReports(rows: Row[], cuts: number[], options: unknown): ProfileReport[] {
  const stage = profileStage.create(profileStage.options.parse(options), COLUMNS);
  const bounds = [...new Set(cuts.map((c) => c % (rows.length + 1)))].sort((a, b) => a - b);
  const reports: ProfileReport[] = [];
  let from = 0;
  for (const to of [...bounds, rows.length]) {
    stage.process(batchOf(COLUMNS, rows.slice(from, to)), context());
    reports.push(stage.report());
    from = to;
  }
  return reports;
}

function mergeRandomly(reports: ProfileReport[], seed: number): ProfileReport {
  const random = mulberry32(seed);
  const pending = reports.slice();
  while (pending.length > 1) {
    const [a] = pending.splice(Math.floor(random() * pending.length), 1);
    const j = Math.floor(random() * pending.length);
    pending[j] = random() < 0.5 ? profileStage.merge(a, pending[j]) : profileStage.merge(pending[j], a);
  }
  return pending[0];
}

function assertSameReport(actual: ProfileReport, expected: ProfileReport): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const name of Object.keys(expected)) {
    const a = actual[name].state;
    const e = expected[name].state;
    assert.deepEqual({ ...a, numbers: { ...a.numbers, moments: null } }, { ...e, numbers: { ...e.numbers, moments: null } }, name);
    const scale = Math.max(1, Math.abs(e.numbers.min ?? 0), Math.abs(e.numbers.max ?? 0));
    assert.equal(a.numbers.moments.n, e.numbers.moments.n);
    assert.ok(Math.abs(a.numbers.moments.mean - e.numbers.moments.mean) <= 1e-9 * scale, `${name} mean`);
    assert.ok(Math.abs(a.numbers.moments.m2 - e.numbers.moments.m2) <= 1e-9 * Math.max(1, e.numbers.moments.n) * scale * scale, `${name} M2`);
  }
}

describe('profile stage: chunk reports merged in any order equal one pass', () => {
  const origins = { day: 19_760, at: Date.UTC(2024, 1, 1) };

  test('random rows cut at random chunk sizes, merged in random order and grouping', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 400 }), fc.integer(), fc.array(fc.nat(), { maxLength: 8 }), fc.integer(), (count, dataSeed, cuts, mergeSeed) => {
      const rows = randomRows(count, dataSeed, 50);
      const [whole] = chunkReports(rows, [], { origins });
      assertSameReport(mergeRandomly(chunkReports(rows, cuts, { origins }), mergeSeed), whole);
    }), { numRuns: 60 });
  });

  test('a column the earlier chunks did not have counts their rows as NULLs, as one pass over the table does', () => {
    const rows = randomRows(300, 7, 50);
    const late = COLUMNS.findIndex((c) => c.name === 'name');
    const without = COLUMNS.filter((_, i) => i !== late);
    const early = profileStage.create(profileStage.options.parse({ origins }), without);
    early.process(batchOf(without, rows.slice(0, 120).map((row) => row.filter((_, i) => i !== late))), context());
    const first = early.report();
    const [rest] = chunkReports(rows.slice(120), [], { origins });
    const [whole] = chunkReports(rows.map((row, r) => (r < 120 ? row.map((value, i) => (i === late ? null : value)) : row)), [], { origins });
    assertSameReport(profileStage.merge(first, rest), whole);
    assertSameReport(profileStage.merge(rest, first), whole);
  });

  test('past the exact distinct limit (HyperLogLog): the same registers, and distinct within the stated error', () => {
    const rows = randomRows(6000, 7, 100_000);
    const [whole] = chunkReports(rows, [], { origins });
    const random = mulberry32(3);
    const merged = mergeRandomly(chunkReports(rows, Array.from({ length: 15 }, () => Math.floor(random() * rows.length)), { origins }), 11);
    assertSameReport(merged, whole);
    assert.ok('registers' in merged.id.state.distinct);
    const ids = new Set(rows.map((r) => r[0]).filter((v) => v !== null));
    const estimate = profileOf(merged.id.state).distinct;
    assert.ok(Math.abs(estimate - ids.size) <= 3 * HLL_STANDARD_ERROR * ids.size, `${estimate} vs ${ids.size}`);
  });
});

describe('profile stage: what is profiled', () => {
  test('rows rejected by an earlier stage and dropped columns are skipped; nulls are counted', () => {
    const batch = batchOf(COLUMNS.slice(0, 3), [['1', '2.5', 'a'], ['2', null, 'b'], ['999', '1000', 'zzz'], [null, '4', null]]);
    batch.reject(2);
    batch.columns[2].dropped = true;
    const stage = profileStage.create(profileStage.options.parse({}), COLUMNS.slice(0, 3));
    stage.process(batch, context());
    const report = stage.report();
    assert.deepEqual(Object.keys(report), ['id', 'amount']);
    const id = columnFigures('id', report.id);
    assert.equal(id.count, 3);
    assert.equal(id.nulls, 1);
    assert.equal(id.max, 2);
    const amount = columnFigures('amount', report.amount);
    assert.equal(amount.nulls, 1);
    assert.equal(amount.mean, 3.25);
    // report() starts afresh: the next chunk's report holds only the next chunk.
    stage.process(batchOf(COLUMNS.slice(0, 3), [['5', '5', 'x']]), context());
    assert.equal(columnFigures('id', stage.report().id).count, 1);
  });

  test('figures in the column\'s terms: dates, timestamps (stddev in seconds), booleans, text patterns', () => {
    const rows: Row[] = [
      ['1', '10', 'a@b.io', '2024-02-27', '2024-03-01T10:00:00.250Z', 'true'],
      ['2', '20', 'x', '2024-02-29', '2024-03-01T10:00:02.250Z', 'true'],
      ['3', '30', '12', '2024-03-02', '2024-03-01T10:00:04.250Z', 'false'],
      ['4', '40', 'yy', '2024-03-01', null, 'true'],
    ];
    const options = profileOptionsFromSample(COLUMNS, COLUMNS.map((_, c) => rows.map((r) => r[c])));
    assert.equal(options.origins.day, Date.UTC(2024, 1, 29) / 86_400_000);
    const [report] = chunkReports(rows, [], options);
    const day = columnFigures('day', report.day);
    assert.equal(day.type, 'date');
    assert.equal(day.min, '2024-02-27');
    assert.equal(day.max, '2024-03-02');
    assert.equal(day.mean, '2024-02-29');
    assert.deepEqual(day.top!.map((t) => t.value).sort(), ['2024-02-27', '2024-02-29', '2024-03-01', '2024-03-02']);
    const at = columnFigures('at', report.at);
    assert.equal(at.min, '2024-03-01T10:00:00.250Z');
    assert.equal(at.max, '2024-03-01T10:00:04.250Z');
    assert.equal(at.mean, '2024-03-01T10:00:02.250Z');
    assert.ok(Math.abs(at.stddev! - 2) < 1e-9, `${at.stddev}`);
    const ok = columnFigures('ok', report.ok);
    assert.equal(ok.mean, 0.75);
    assert.deepEqual(ok.top, [{ value: true, count: 3 }, { value: false, count: 1 }]);
    const name = columnFigures('name', report.name);
    assert.deepEqual(name.patterns, { email: 1, letters: 2, digits: 1 });
    assert.equal(name.min, null);
    const amount = columnFigures('amount', report.amount);
    assert.ok(Math.abs(amount.stddev! - Math.sqrt(500 / 3)) < 1e-9);
  });

  test('quantiles are within 1 % of the exact rank\'s distance from the origin, for numbers and timestamps', () => {
    const rows = randomRows(5000, 99, 1000);
    const origin = Date.UTC(2024, 0, 31);
    const [report] = chunkReports(rows, [], { origins: { at: origin } });
    for (const [name, c, toNumber, from] of [
      ['amount', 1, (v: unknown) => v as number, 0],
      ['at', 4, (v: unknown) => Date.parse(v as string), origin],
    ] as const) {
      const values = rows.map((r) => r[c]).filter((v): v is string => v !== null).map((v) => (name === 'at' ? Date.parse(v) : Number(v))).sort((a, b) => a - b);
      const figures = columnFigures(name, report[name]);
      for (const key of QUANTILE_KEYS) {
        const got = toNumber(figures.quantiles![key]);
        const rank = Math.floor(Number(key) * (values.length - 1));
        // DDSketch answers with a value within 1 % of one whose rank is at the quantile (±1 rank for ties).
        const candidates = [values[Math.max(0, rank - 1)], values[rank], values[Math.min(values.length - 1, rank + 1)]];
        const ok = candidates.some((v) => Math.abs(got - v) <= QUANTILE_RELATIVE_ACCURACY * Math.abs(v - from) + 1);
        assert.ok(ok, `${name} ${key}: ${got} vs ${candidates.join(', ')}`);
      }
    }
  });
});
