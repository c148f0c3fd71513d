/**
 * A load without a dataset configuration runs its stages with the options they plan, unvalidated
 * (stage-plan.ts: nothing the user wrote is in them, and validating would import zod). That is
 * only right while the planned options are exactly what their schema's parse makes of them: held
 * here for every stage that plans without a configuration, over samples of every column type.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColumnType } from '../../src/schema/column-type.js';
import '../../src/stages/all-stages.js';
import { stageSpecs } from '../../src/stages/chunk-stages.js';
import { stagesPlanFor } from '../../src/stages/stage-plan.js';
import type { StageLoad } from '../../src/stages/stage.js';
import { mulberry32 } from '../helpers/random.js';

const COLUMNS = [
  { name: 'ts', type: ColumnType.timestamptz },
  { name: 'day', type: ColumnType.date },
  { name: 'sensor_id', type: ColumnType.text },
  { name: 'status', type: ColumnType.text },
  { name: 'value', type: ColumnType.float },
  { name: 'reading', type: ColumnType.int },
  { name: 'big', type: ColumnType.bigint },
  { name: 'ok', type: ColumnType.bool },
  { name: 'amount', type: ColumnType.numeric },
  { name: 'note', type: ColumnType.text },
];

function sampleOf(rows: number, seed: number): Array<Array<string | null>> {
  const random = mulberry32(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const column = (make: (i: number) => string | null) => Array.from({ length: rows }, (_, i) => (random() < 0.05 ? null : make(i)));
  return [
    column((i) => new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString()),
    column((i) => new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString().slice(0, 10)),
    column(() => `sensor-${pick(['01', '02', '03', '04'])}`),
    column(() => pick(['ok', 'ok', 'ok', 'warn', 'fail'])),
    column(() => (random() * 100 - 20).toFixed(3)),
    column(() => String(Math.floor(random() * 1e5))),
    column(() => String(Math.floor(random() * 1e15))),
    column(() => pick(['true', 'false'])),
    column(() => (random() * 1e6).toFixed(2)),
    column((i) => `note ${i}`),
  ];
}

test('without a configuration, every planned stage option is what its schema parses it to', () => {
  const planned = new Set<string>();
  for (const [rows, seed] of [[0, 1], [1, 2], [12, 3], [500, 4], [5_000, 5]] as const) {
    // A dataset the configuration does not name is loaded with the empty configuration.
    const load: StageLoad = { dataset: 'plan_check', datasetConfig: seed % 2 === 0 ? {} : undefined, columns: COLUMNS, sampleValues: rows === 0 ? undefined : sampleOf(rows, seed) };
    const { stages } = stagesPlanFor(7, load);
    for (const spec of stageSpecs()) {
      const options = (stages as Record<string, unknown>)[spec.name];
      if (options === undefined) continue;
      planned.add(spec.name);
      assert.deepEqual(spec.options.parse(options), options, `${spec.name} with ${rows} sampled rows`);
    }
  }
  // Profile and detect plan without a configuration (the others need one): both were checked.
  assert.deepEqual([...planned].sort(), ['detect', 'profile']);
});
