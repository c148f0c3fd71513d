/**
 * What the transform stage costs per value, step by step, beside the obvious alternative of each:
 * decoding the value to a string and using String/Map/Set (what the stage avoids on the hot path).
 * Each run refills the parser's batch first; `batch refill only` is that cost alone, to subtract.
 * `node dist/bench/transform-stage.js` (BENCH_STAGE_ROWS, BENCH_STAGE_ROUNDS; --json).
 */
import { nsPerValue } from './stage-bench.js';
import { ColumnBatch } from '../src/batch/column-batch.js';
import { validateConfig } from '../src/configuration/read-config.js';
import { compileExpression } from '../src/expression/compile-expression.js';
import { compileNumberColumns } from '../src/expression/number-columns.js';
import { ByteSink } from '../src/formats/byte-sink.js';
import { ColumnType } from '../src/schema/column-type.js';
import { transformOptions } from '../src/stages/transform/transform-options.js';
import { transformStage } from '../src/stages/transform/transform-stage.js';
import { refill, stageChunk } from './stage-batch.js';
import { envInteger, isMain } from './support.js';

export interface StageFigure {
  task: string;
  /** Median over the rounds of the per-run p50, divided by the values the run touches. */
  nsPerValue: number;
}

const COUNTRIES = ['UK', 'GB', 'DE', 'FR', 'NL', 'US', 'unknown'];

export async function runTransformStageBench(options: { log?: (line: string) => void } = {}): Promise<StageFigure[]> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const rows = envInteger('BENCH_STAGE_ROWS', 50_000, 1000);
  const rounds = envInteger('BENCH_STAGE_ROUNDS', 3, 1);
  const columns = [
    { name: 'name', type: ColumnType.text }, { name: 'country', type: ColumnType.text }, { name: 'active', type: ColumnType.text },
    { name: 'price', type: ColumnType.float }, { name: 'qty', type: ColumnType.int },
  ];
  const chunk = stageChunk(columns, rows, (r, c) => [
    `  Customer ${r % 977} `, COUNTRIES[r % COUNTRIES.length], r % 3 === 0 ? 'yes' : 'N', `${(r % 1000) / 4}`, `${r % 17}`,
  ][c], (r, c) => [0, 0, 0, (r % 1000) / 4, r % 17][c]);
  const batch = new ColumnBatch();
  const context = { dataset: 'bench', fileId: 1, chunkNo: 0, rejects: new ByteSink(new Uint8Array(0)), anomalies: new ByteSink(new Uint8Array(0)) };
  const stageWith = (transforms: unknown[], types: Record<string, string> = {}) => {
    const steps = validateConfig({ datasets: { bench: { transforms } } }).datasets.bench.transforms!;
    return transformStage.create(transformOptions.parse({ steps, types }), columns);
  };
  const decoder = new TextDecoder();
  const decoded = (column: number, r: number): string => decoder.decode(batch.bytes.subarray(batch.columns[column].starts[r], batch.columns[column].ends[r]));
  const map = new Map<string, string | null>([['UK', 'GB'], ['unknown', null]]);
  const truthy = new Set(['yes', 'y']);

  let sink = 0;
  // `after`: what a later reader makes the batch do (CSV COPY writing a derived number's text).
  const staged = (transforms: unknown[], types?: Record<string, string>, after?: () => void) => {
    const stage = stageWith(transforms, types);
    return () => { refill(batch, chunk); stage.process(batch, context); after?.(); stage.report(); context.rejects.length = 0; sink += batch.byteLength; };
  };
  // As the CSV parser leaves typed columns: their numbers read while checking the values.
  const parsed = (transforms: unknown[]) => {
    const stage = stageWith(transforms);
    return () => {
      refill(batch, chunk);
      batch.columns[3].numbersType = ColumnType.float;
      batch.columns[4].numbersType = ColumnType.int;
      stage.process(batch, context);
      stage.report();
      sink += batch.columns[5].numbers[1];
    };
  };
  const derive = [{ derive: 'total', expr: 'price * qty' }];
  // The expression alone, over the price column's numbers: a column at a time, or a closure tree per row.
  const names = new Map(columns.map((c, index) => [c.name, { index, kind: c.type === ColumnType.text ? 'text' as const : 'number' as const }]));
  const columnwise = compileNumberColumns('price * 1.8 + 32', names)!;
  const rowwise = compileExpression('price * 1.8 + 32', names);
  const out = { numbers: new Float64Array(rows), nulls: new Uint8Array(rows) };
  // One reader for every row, as the transform stage's (the row is a variable).
  let row = 0;
  const readPrice = (): number | null => (batch.columns[3].nulls[row] === 1 ? null : batch.columns[3].numbers[row]);
  const alternative = (column: number, work: (text: string) => void) => () => {
    refill(batch, chunk);
    for (let r = 0; r < rows; r++) work(decoded(column, r));
  };
  const tasks: Record<string, () => void> = {
    'batch refill only (baseline)': () => { refill(batch, chunk); sink += batch.rowCount; },
    'trim (spans moved)': staged([{ column: 'name', trim: true }]),
    'alt: decode + String.trim': alternative(0, (t) => { sink += t.trim().length; }),
    'case lower (ASCII bytes)': staged([{ column: 'name', case: 'lower' }]),
    'alt: decode + toLowerCase + append': alternative(0, (t) => { sink += t.toLowerCase().length; }),
    'map (ByteLookup, constant spans)': staged([{ column: 'country', map: { UK: 'GB', unknown: null } }]),
    'alt: decode + Map.get': alternative(1, (t) => { sink += map.get(t)?.length ?? 0; }),
    'booleans (folded ByteLookup) + bool check': staged([{ column: 'active', booleans: { true: ['yes', 'Y'], false: ['no', 'N'] } }], { active: 'bool' }),
    'alt: decode + toLowerCase + Set.has': alternative(2, (t) => { sink += truthy.has(t.toLowerCase()) ? 1 : 0; }),
    'scale/offset (parse, multiply, append text)': staged([{ column: 'price', scale: 1.1, offset: 2 }]),
    'derive price * qty (operands from text, text pending)': staged(derive),
    'derive price * qty (from the parser\'s numbers)': parsed(derive),
    'price * 1.8 + 32 a column at a time (number-columns)': () => { refill(batch, chunk); columnwise.run(rows, (i) => batch.columns[i], out); sink += out.numbers[1]; },
    'alt: price * 1.8 + 32 by the row evaluator': () => {
      refill(batch, chunk);
      for (row = 0; row < rows; row++) { const v = rowwise.evaluate(readPrice); out.numbers[row] = v === null ? 0 : (v as number); }
      sink += out.numbers[1];
    },
    'alt: derive, then its text written (CSV COPY)': staged(derive, undefined, () => batch.writeNumberText(batch.columns[5])),
  };
  const figures = await nsPerValue(Object.fromEntries(Object.entries(tasks).map(([task, run]) => [task, { perRun: rows, run }])), rounds);
  if (sink === 0) throw new Error('transform-stage: no work done');
  log(`  transform stage, ${rows.toLocaleString('en-US')} rows per run (ns per value of the column a step touches, batch refill included)`);
  for (const figure of figures) log(`  ${figure.task.padEnd(46)} ${figure.nsPerValue.toFixed(1).padStart(10)}`);
  return figures;
}

if (isMain(import.meta.url)) {
  const figures = await runTransformStageBench();
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ bench: 'transform-stage', figures })}\n`);
}
