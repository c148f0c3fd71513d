/**
 * What the detect stage costs per value on a column batch, beside its alternatives: robust z-score
 * alone and with IQR fences on a Gaussian float column (baseline from a 4,000-value sample), rare
 * categories matched on the batch's bytes, and the same categories matched by decoding a string
 * per value into a Set lookup. Anomaly rows are written as found (a few per 10,000 values).
 * `node dist/bench/detect-stage.js` (BENCH_STAGE_ROWS, BENCH_STAGE_ROUNDS; --json).
 */
import { ColumnType } from '../src/schema/column-type.js';
import { ByteSink } from '../src/formats/byte-sink.js';
import { detectOptionsFromSample } from '../src/stages/detect/detect-baseline.js';
import { detectStage } from '../src/stages/detect/detect-stage.js';
import { batchOf } from '../test/helpers/batch.js';
import { mulberry32 } from '../test/helpers/random.js';
import { nsPerValue } from './stage-bench.js';
import { envInteger, isMain } from './support.js';

export async function runDetectStageBench(options: { log?: (line: string) => void } = {}): Promise<Array<{ task: string; nsPerValue: number }>> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const n = envInteger('BENCH_STAGE_ROWS', 100_000, 1000);
  const rounds = envInteger('BENCH_STAGE_ROUNDS', 3, 1);
  const random = mulberry32(7);
  const statuses = ['ok', 'late', 'lost', 'pending', 'returned'];
  const rows = Array.from({ length: n }, () => [
    (20 + 5 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())).toFixed(2),
    random() < 0.001 ? 'unknown' : statuses[Math.floor(random() * 5)],
  ]);
  const columns = [{ name: 'x', type: ColumnType.float }, { name: 'status', type: ColumnType.text }];
  const batch = batchOf(columns, rows);
  const sample = columns.map((_, c) => rows.slice(0, 4000).map((r) => r[c]));
  const base = detectOptionsFromSample(columns, sample)!;
  const withIqr = detectOptionsFromSample(columns, sample, { enabled: true, threshold: 3.5, iqr: 3 })!;
  const make = (o: typeof base) => detectStage.create(detectStage.options.parse(o), columns);
  const zOnly = make({ ...base, categories: [] });
  const zIqr = make({ ...withIqr, categories: [] });
  const categories = make({ ...base, numeric: [] });
  const known = new Set(base.categories[0].values.filter((_, i) => base.categories[0].shares[i] >= base.categories[0].rareShare));
  const context = () => ({ dataset: 'b', fileId: 1, chunkNo: 0, rejects: new ByteSink(new Uint8Array(0)), anomalies: new ByteSink(new Uint8Array(0)) });
  let sink = 0;
  const figures = await nsPerValue({
    'stage: robust z (median / MAD, floored)': { perRun: n, run: () => { zOnly.process(batch, context()); sink += zOnly.report().x.checked; } },
    'stage: robust z + IQR fences': { perRun: n, run: () => { zIqr.process(batch, context()); sink += zIqr.report().x.checked; } },
    'stage: rare categories, bytes against the sample': { perRun: n, run: () => { categories.process(batch, context()); sink += categories.report().status.checked; } },
    'alternative: rare categories, string per value + Set': { perRun: n, run: () => { const c = batch.columns[1]; let rare = 0; for (let r = 0; r < n; r++) if (!known.has(batch.text(c, r)!)) rare++; sink += rare + 1; } },
  }, rounds);
  if (sink === 0) throw new Error('detect-stage: no work done');
  log(`  detect stage, ${n.toLocaleString('en-US')} rows per run (ns per value)`);
  for (const f of figures) log(`  ${f.task.padEnd(52)} ${f.nsPerValue.toFixed(1).padStart(8)}`);
  return figures;
}

if (isMain(import.meta.url)) {
  const figures = await runDetectStageBench();
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ bench: 'detect-stage', figures })}\n`);
}
