/**
 * What the validate stage costs per value and rule, beside the obvious alternative of each:
 * decoding the value to a string first (Set.has for `in`, [...s].length for `length`, RegExp.test
 * for `regex`, which remembers its verdict by the value's bytes). Each run
 * refills the parser's batch first; `batch refill only` is that cost alone, to subtract.
 * `node dist/bench/validate-stage.js` (BENCH_STAGE_ROWS, BENCH_STAGE_ROUNDS; --json).
 */
import { nsPerValue } from './stage-bench.js';
import { ColumnBatch } from '../src/batch/column-batch.js';
import { validateConfig } from '../src/configuration/read-config.js';
import { ByteSink } from '../src/formats/byte-sink.js';
import { ColumnType } from '../src/schema/column-type.js';
import { validateOptions } from '../src/stages/validate/validate-options.js';
import { validateStage } from '../src/stages/validate/validate-stage.js';
import { refill, stageChunk } from './stage-batch.js';
import { envInteger, isMain } from './support.js';
import type { StageFigure } from './transform-stage.js';

const STATUSES = ['ok', 'late', 'lost', 'pending'];

export async function runValidateStageBench(options: { log?: (line: string) => void } = {}): Promise<StageFigure[]> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const rows = envInteger('BENCH_STAGE_ROWS', 50_000, 1000);
  const rounds = envInteger('BENCH_STAGE_ROUNDS', 3, 1);
  const columns = [
    { name: 'id', type: ColumnType.int }, { name: 'amount', type: ColumnType.float }, { name: 'email', type: ColumnType.text },
    { name: 'status', type: ColumnType.text }, { name: 'start_at', type: ColumnType.timestamptz }, { name: 'end_at', type: ColumnType.timestamptz },
    { name: 'sensor_id', type: ColumnType.text },
  ];
  const base = Date.UTC(2024, 0, 1);
  const chunk = stageChunk(columns, rows, (r, c) => [
    `${r}`, `${(r % 1000) / 4}`, r % 50 === 0 ? 'broken' : `user${r}@example.com`, STATUSES[r % 4], new Date(base + r * 1000).toISOString(), new Date(base + r * 1000 + 60_000).toISOString(),
    `sensor-${String((r * 7919) % 250).padStart(4, '0')}`,
  ][c], (r, c) => [r, (r % 1000) / 4, 0, 0, base + r * 1000, base + r * 1000 + 60_000, 0][c]);
  const batch = new ColumnBatch();
  const context = { dataset: 'bench', fileId: 1, chunkNo: 0, rejects: new ByteSink(new Uint8Array(0)), anomalies: new ByteSink(new Uint8Array(0)) };
  const stageWith = (rules: unknown[]) => validateStage.create(validateOptions.parse({ rules: validateConfig({ datasets: { bench: { rules } } }).datasets.bench.rules! }), columns);
  const decoder = new TextDecoder();
  const decoded = (column: number, r: number): string => decoder.decode(batch.bytes.subarray(batch.columns[column].starts[r], batch.columns[column].ends[r]));
  const allowed = new Set(['ok', 'late', 'lost']);
  const sensorPattern = /^sensor-[0-9]{4}$/u;
  const emailPattern = /^[^@]+@[^@]+$/u;

  let sink = 0;
  const staged = (rules: unknown[]) => {
    const stage = stageWith(rules);
    return () => { refill(batch, chunk); stage.process(batch, context); sink += stage.report()[0].failed + 1; context.rejects.length = 0; };
  };
  const alternative = (column: number, work: (text: string) => void) => () => {
    refill(batch, chunk);
    for (let r = 0; r < rows; r++) work(decoded(column, r));
  };
  const tasks: Record<string, () => void> = {
    'batch refill only (baseline)': () => { refill(batch, chunk); sink += batch.rowCount; },
    'not_null': staged([{ column: 'id', not_null: true }]),
    'range (numbers)': staged([{ column: 'amount', range: { min: 0, max: 200 }, severity: 'warn' }]),
    'in (ByteLookup on spans)': staged([{ column: 'status', in: ['ok', 'late', 'lost'], severity: 'warn' }]),
    'alt: decode + Set.has': alternative(3, (t) => { sink += allowed.has(t) ? 1 : 0; }),
    'length (byte count, else code points)': staged([{ column: 'email', length: { max: 20 }, severity: 'warn' }]),
    'alt: decode + [...s].length': alternative(2, (t) => { sink += [...t].length; }),
    'regex, 250 distinct ids (memo by bytes)': staged([{ column: 'sensor_id', regex: '^sensor-[0-9]{4}$', severity: 'warn' }]),
    'alt: decode + RegExp.test (250 distinct ids)': alternative(6, (t) => { sink += sensorPattern.test(t) ? 1 : 0; }),
    'regex, unique emails (memo off once full)': staged([{ column: 'email', regex: '^[^@]+@[^@]+$', severity: 'warn' }]),
    'alt: decode + RegExp.test (unique emails)': alternative(2, (t) => { sink += emailPattern.test(t) ? 1 : 0; }),
    'check end_at >= start_at (numbers)': staged([{ check: 'end_at >= start_at', severity: 'warn' }]),
    'regex, error: 2% rows rejected': staged([{ column: 'email', regex: '^[^@]+@[^@]+$' }]),
  };
  const figures = await nsPerValue(Object.fromEntries(Object.entries(tasks).map(([task, run]) => [task, { perRun: rows, run }])), rounds);
  if (sink === 0) throw new Error('validate-stage: no work done');
  log(`  validate stage, ${rows.toLocaleString('en-US')} rows per run (ns per value the rule checks, batch refill included)`);
  for (const figure of figures) log(`  ${figure.task.padEnd(46)} ${figure.nsPerValue.toFixed(1).padStart(10)}`);
  return figures;
}

if (isMain(import.meta.url)) {
  const figures = await runValidateStageBench();
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ bench: 'validate-stage', figures })}\n`);
}
