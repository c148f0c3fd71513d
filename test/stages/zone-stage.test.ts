/**
 * The zone stage on column batches and what the second pass makes of its folded reports
 * (timeseries/naive-times.ts): whatever the mix of naive, offset and NULL values and however the
 * rows fall into chunks, a row's time is naive for the pass exactly when it was written without an
 * offset; rejected rows and other columns are not counted; a date column is naive throughout.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ColumnType } from '../../src/schema/column-type.js';
import { ByteSink } from '../../src/formats/byte-sink.js';
import type { StageContext } from '../../src/stages/stage.js';
import { zoneStage, type ZoneReport } from '../../src/stages/zone/zone-stage.js';
import { NaiveTimes } from '../../src/timeseries/naive-times.js';
import { batchOf } from '../helpers/batch.js';

type Kind = 'naive' | 'offset' | 'null';

const TEXT: Record<Kind, (i: number) => string | null> = {
  naive: (i) => `2024-03-31 ${String(i % 24).padStart(2, '0')}:30:00`,
  offset: (i) => (i % 3 === 0 ? `2024-03-31T${String(i % 24).padStart(2, '0')}:30:00Z` : i % 3 === 1 ? '2024-03-31T02:30:00+02:00' : '2024-03-31 02:30:00.5-0330'),
  null: () => null,
};

const COLUMNS = [{ name: 'ts', type: ColumnType.timestamptz }, { name: 'created_at', type: ColumnType.timestamptz }];

/** The rows in chunks of the given sizes, as a worker runs them; offsets 100 × row, as the file's. */
function folded(kinds: readonly Kind[], chunkSizes: readonly number[], options = {}, rejected: ReadonlySet<number> = new Set()): ZoneReport {
  const stage = zoneStage.create(zoneStage.options.parse(options), COLUMNS);
  const context: StageContext = { dataset: 'z', fileId: 1, chunkNo: 0, rejects: new ByteSink(new Uint8Array(0)), anomalies: new ByteSink(new Uint8Array(0)) };
  let report: ZoneReport = {};
  let from = 0;
  for (let c = 0; from < kinds.length; c++) {
    const size = Math.max(1, chunkSizes[c % chunkSizes.length]);
    const rows = kinds.slice(from, from + size).map((kind, i) => [TEXT[kind](from + i), '2024-01-01T00:00:00Z']);
    const batch = batchOf(COLUMNS, rows);
    for (let r = 0; r < batch.rowCount; r++) {
      batch.rowOffset[r] = 100 * (from + r);
      if (rejected.has(from + r)) batch.reject(r);
    }
    stage.process(batch, { ...context, chunkNo: c });
    report = zoneStage.merge(report, stage.report());
    from += size;
  }
  return report;
}

describe('zone stage', () => {
  test('a row is naive for the pass exactly when its time was written without an offset, however the chunks fall', () => {
    fc.assert(fc.property(
      fc.array(fc.constantFrom<Kind>('naive', 'offset', 'null'), { minLength: 1, maxLength: 300 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
      (kinds, chunkSizes) => {
        const report = folded(kinds, chunkSizes);
        const ts = report.ts;
        assert.equal(ts.naive, kinds.filter((k) => k === 'naive').length);
        assert.equal(ts.offset, kinds.filter((k) => k === 'offset').length);
        const naive = NaiveTimes.of(ColumnType.timestamptz, ts);
        kinds.forEach((kind, r) => { if (kind !== 'null') assert.equal(naive.isNaive(100 * r), kind === 'naive', `row ${r}`); });
      },
    ), { seed: 42, numRuns: 300 });
  });

  test('offsets in stretches make one run per stretch and chunk', () => {
    const kinds: Kind[] = [...Array<Kind>(50).fill('offset'), ...Array<Kind>(50).fill('naive'), 'null', ...Array<Kind>(50).fill('offset')];
    assert.deepEqual(folded(kinds, [1000]).ts.runs, [0, 4900, 10100, 15000]);
    assert.deepEqual(folded(kinds, [75]).ts.runs, [0, 4900, 10100, 14900, 15000, 15000]);
  });

  test('rejected rows are not counted; the configured time column alone is watched', () => {
    const report = folded(['naive', 'offset', 'naive'], [10], { time: 'ts' }, new Set([1]));
    assert.deepEqual(report, { ts: { naive: 2, offset: 0, runs: [] } });
    assert.deepEqual(Object.keys(folded(['naive'], [10])).sort(), ['created_at', 'ts']);
  });

  test('a date column is naive throughout; a column all naive or all with offsets needs no runs', () => {
    const days = [{ name: 'day', type: ColumnType.date }];
    const stage = zoneStage.create({}, days);
    stage.process(batchOf(days, [['2024-03-31'], [null], ['2024-04-01']]), {} as StageContext);
    assert.deepEqual(stage.report(), { day: { naive: 2, offset: 0, runs: [] } });
    assert.equal(NaiveTimes.of(ColumnType.date, undefined).isNaive(0), true);
    assert.equal(NaiveTimes.of(ColumnType.timestamptz, { naive: 0, offset: 3, runs: [0, 200] }).isNaive(100), false);
    assert.equal(NaiveTimes.of(ColumnType.timestamptz, { naive: 3, offset: 0, runs: [] }).isNaive(100), true);
  });

  test('planned only for a dataset with a zone whose pass runs (the configuration, or --timeseries / --no-timeseries)', () => {
    const plan = (timeseries: object | undefined, flag?: boolean) => zoneStage.planFor!({
      dataset: 'z', datasetConfig: timeseries === undefined ? undefined : { timeseries } as never, columns: [], sampleValues: undefined, timeseries: flag,
    });
    assert.equal(plan(undefined), undefined);
    assert.equal(plan({ interval: 60_000 }), undefined);
    assert.equal(plan({ zone: 'Europe/Berlin', enabled: false }), undefined);
    assert.deepEqual(plan({ zone: 'Europe/Berlin' }), {});
    assert.deepEqual(plan({ zone: 'Europe/Berlin', time: 'ts' }), { time: 'ts' });
    // The command line wins over `enabled`, as it does for the pass itself.
    assert.equal(plan({ zone: 'Europe/Berlin' }, false), undefined);
    assert.deepEqual(plan({ zone: 'Europe/Berlin', enabled: false }, true), {});
    assert.deepEqual(plan({ zone: 'Europe/Berlin' }, true), {});
  });
});
