/**
 * What the profile stage costs per value on a column batch, beside the alternatives it replaces:
 * the stage (sketch fed from the batch's typed vectors and text spans) on a float, a timestamp, a
 * low-cardinality int, a low-cardinality text and a high-cardinality text column; the same sketches fed from a plain Float64Array (the floor: the
 * batch loop's own cost is the difference); and text profiled from a decoded string per value
 * (batch.text → addString), the per-value-object path the batch exists to avoid.
 * `node dist/bench/profile-stage.js` (BENCH_STAGE_ROWS, BENCH_STAGE_ROUNDS; --json).
 */
import { ColumnSketch } from '../src/profile/column-sketch.js';
import { ColumnType } from '../src/schema/column-type.js';
import { ByteSink } from '../src/formats/byte-sink.js';
import { profileStage } from '../src/stages/profile/profile-stage.js';
import { batchOf } from '../test/helpers/batch.js';
import { mulberry32 } from '../test/helpers/random.js';
import { nsPerValue } from './stage-bench.js';
import { envInteger, isMain } from './support.js';

export async function runProfileStageBench(options: { log?: (line: string) => void } = {}): Promise<Array<{ task: string; nsPerValue: number }>> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const n = envInteger('BENCH_STAGE_ROWS', 100_000, 1000);
  const rounds = envInteger('BENCH_STAGE_ROUNDS', 3, 1);
  const random = mulberry32(2026);
  const rows = Array.from({ length: n }, (_, i) => [
    (20 + 5 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())).toFixed(2),
    new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
    ['ok', 'late', 'lost', 'pending', 'returned'][Math.floor(random() * 5)],
    String(Math.floor(random() * 200)),
    `sensor-${Math.floor(random() * 1e9)}`,
  ]);
  const columns = [
    { name: 'x', type: ColumnType.float }, { name: 'at', type: ColumnType.timestamptz }, { name: 'status', type: ColumnType.text },
    { name: 'sensor', type: ColumnType.int }, { name: 'note', type: ColumnType.text },
  ];
  const batch = batchOf(columns, rows);
  const context = { dataset: 'b', fileId: 1, chunkNo: 0, rejects: new ByteSink(new Uint8Array(0)), anomalies: new ByteSink(new Uint8Array(0)) };
  const only = (name: string) => profileStage.create(profileStage.options.parse({ columns: [name], origins: { at: Date.UTC(2024, 0, 1) } }), columns);
  const stages = { x: only('x'), at: only('at'), status: only('status'), sensor: only('sensor'), note: only('note') };
  const plain = Float64Array.from(rows, (r) => Number(r[0]));
  const noNulls = new Uint8Array(n);
  let sink = 0;
  const figures = await nsPerValue({
    'stage: float column from the batch': { perRun: n, run: () => { stages.x.process(batch, context); sink += Object.keys(stages.x.report()).length; } },
    'floor: ColumnSketch.addNumberColumn, a Float64Array': { perRun: n, run: () => { const s = new ColumnSketch(); s.addNumberColumn(plain, null, noNulls, null, n, 0); sink += s.toState().rows; } },
    'stage: timestamp column (ms + micros − origin)': { perRun: n, run: () => { stages.at.process(batch, context); sink += Object.keys(stages.at.report()).length; } },
    'stage: text column, 5 distinct, from spans': { perRun: n, run: () => { stages.status.process(batch, context); sink += Object.keys(stages.status.report()).length; } },
    'stage: int column, 200 distinct': { perRun: n, run: () => { stages.sensor.process(batch, context); sink += Object.keys(stages.sensor.report()).length; } },
    'stage: text column, ~all distinct, from spans': { perRun: n, run: () => { stages.note.process(batch, context); sink += Object.keys(stages.note.report()).length; } },
    'alternative: text via a string per value': { perRun: n, run: () => { const s = new ColumnSketch(); const c = batch.columns[2]; for (let r = 0; r < n; r++) s.addString(batch.text(c, r)!); sink += s.toState().rows; } },
  }, rounds);
  if (sink === 0) throw new Error('profile-stage: no work done');
  log(`  profile stage, ${n.toLocaleString('en-US')} rows per run (ns per value, report() included)`);
  for (const f of figures) log(`  ${f.task.padEnd(50)} ${f.nsPerValue.toFixed(1).padStart(8)}`);
  return figures;
}

if (isMain(import.meta.url)) {
  const figures = await runProfileStageBench();
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ bench: 'profile-stage', figures })}\n`);
}
