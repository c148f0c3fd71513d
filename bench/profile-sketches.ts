/**
 * What each part of a column sketch costs per value, with the alternatives beside it: a plain float
 * sum beside the exact sum, DDSketch beside a sorted copy (the exact quantiles it replaces), the
 * exact phase of distinct beside HyperLogLog, and the whole ColumnSketch on a number column, a
 * low- and a high-cardinality text column, value by value and a column at a time (as the stage
 * feeds it). Also the cost of one merge of two finished states.
 * `node dist/bench/profile-sketches.js` (BENCH_SKETCH_VALUES, BENCH_SKETCH_ROUNDS; --json).
 */
import { nsPerValue } from './stage-bench.js';
import { ColumnSketch, mergeColumnStates } from '../src/profile/column-sketch.js';
import { ExactSum } from '../src/profile/exact-sum.js';
import { HLL_REGISTERS, hllAdd } from '../src/profile/hyperloglog.js';
import { Moments } from '../src/profile/moments.js';
import { QUANTILE_KEYS, QuantileSketch } from '../src/profile/quantile-sketch.js';
import { quantilesOf } from '../src/profile/quantile-values.js';
import { classifyText } from '../src/profile/text-patterns.js';
import { HASH_HIGH, HASH_LOW, hashBytes, hashNumber, hashParts } from '../src/profile/value-hash.js';
import { mulberry32 } from '../test/helpers/random.js';
import { envInteger, isMain } from './support.js';

export interface SketchFigure {
  task: string;
  /** Median over the rounds of the per-run p50, divided by the values per run. */
  nsPerValue: number;
}

/** Text values packed in one buffer with their offsets, as a worker holds a chunk's column. */
function textColumn(count: number, distinct: number, random: () => number): { bytes: Buffer; offsets: Uint32Array; starts: Int32Array; ends: Int32Array } {
  const parts: string[] = [];
  const offsets = new Uint32Array(count + 1);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const k = Math.floor(random() * distinct);
    const value = k % 3 === 0 ? `user${k}@example.com` : k % 3 === 1 ? `${100000 + k}` : `Sensor ${k}`;
    parts.push(value);
    offsets[i] = at;
    at += Buffer.byteLength(value);
  }
  offsets[count] = at;
  return { bytes: Buffer.from(parts.join('')), offsets, starts: Int32Array.from(offsets.subarray(0, count)), ends: Int32Array.from(offsets.subarray(1)) };
}

export async function runProfileSketchesBench(options: { log?: (line: string) => void } = {}): Promise<SketchFigure[]> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const n = envInteger('BENCH_SKETCH_VALUES', 100_000, 1000);
  const rounds = envInteger('BENCH_SKETCH_ROUNDS', 3, 1);
  const random = mulberry32(2026);
  const numbers = new Float64Array(n);
  for (let i = 0; i < n; i++) numbers[i] = Math.round((20 + 5 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())) * 100) / 100;
  const noNulls = new Uint8Array(n);
  const lowCardinality = textColumn(n, 200, random);
  const highCardinality = textColumn(n, n * 10, random);
  const states = [0, 1].map((half) => {
    const sketch = new ColumnSketch();
    for (let i = half; i < n; i += 2) sketch.addNumber(numbers[i]);
    return sketch.toState();
  });

  let sink = 0;
  const tasks: Record<string, { perRun: number; run: () => void }> = {
    'sum: plain float +=': { perRun: n, run: () => { let s = 0; for (let i = 0; i < n; i++) s += numbers[i]; sink += s; } },
    'sum: ExactSum (Shewchuk partials)': { perRun: n, run: () => { const s = new ExactSum(); for (let i = 0; i < n; i++) s.add(numbers[i]); sink += s.toScaled() > 0n ? 1 : 0; } },
    'moments: Welford (n, mean, M2)': { perRun: n, run: () => { const m = new Moments(); for (let i = 0; i < n; i++) m.add(numbers[i]); sink += m.m2; } },
    'quantiles: DDSketch add + 7 quantiles': { perRun: n, run: () => { const q = new QuantileSketch(); for (let i = 0; i < n; i++) q.add(numbers[i]); sink += quantilesOf(q.toState(), -1e9, 1e9)!['0.5']; } },
    'quantiles: sorted copy (exact) + 7 picks': { perRun: n, run: () => { const sorted = numbers.slice().sort(); for (const key of QUANTILE_KEYS) sink += sorted[Math.floor(Number(key) * (n - 1))]; } },
    'distinct: hashNumber + HyperLogLog add': { perRun: n, run: () => { const r = new Uint8Array(HLL_REGISTERS); for (let i = 0; i < n; i++) { hashNumber(numbers[i]); hllAdd(r, hashParts[HASH_HIGH], hashParts[HASH_LOW]); } sink += r[0]; } },
    'distinct: hashNumber + exact Set': { perRun: n, run: () => { const s = new Set<number>(); for (let i = 0; i < n; i++) s.add(hashNumber(numbers[i])); sink += s.size; } },
    'text: hashBytes': { perRun: n, run: () => { const { bytes, offsets } = highCardinality; for (let i = 0; i < n; i++) sink += hashBytes(bytes, offsets[i], offsets[i + 1]); } },
    'text: classifyText (patterns + length)': { perRun: n, run: () => { const { bytes, offsets } = highCardinality; for (let i = 0; i < n; i++) sink += classifyText(bytes, offsets[i], offsets[i + 1]); } },
    'ColumnSketch.addNumber (all parts)': { perRun: n, run: () => { const c = new ColumnSketch(); for (let i = 0; i < n; i++) c.addNumber(numbers[i]); sink += c.rows; } },
    'ColumnSketch.addNumberColumn (all parts)': { perRun: n, run: () => { const c = new ColumnSketch(); c.addNumberColumn(numbers, null, noNulls, null, n, 0); sink += c.rows; } },
    'ColumnSketch.addTextColumn, 200 distinct': { perRun: n, run: () => { const c = new ColumnSketch(); const { bytes, starts, ends } = lowCardinality; c.addTextColumn(bytes, starts, ends, noNulls, null, n); sink += c.rows; } },
    'ColumnSketch.addTextColumn, ~all distinct': { perRun: n, run: () => { const c = new ColumnSketch(); const { bytes, starts, ends } = highCardinality; c.addTextColumn(bytes, starts, ends, noNulls, null, n); sink += c.rows; } },
    'ColumnSketch.addText, 200 distinct': { perRun: n, run: () => { const c = new ColumnSketch(); const { bytes, offsets } = lowCardinality; for (let i = 0; i < n; i++) c.addText(bytes, offsets[i], offsets[i + 1]); sink += c.rows; } },
    'ColumnSketch.addText, ~all distinct': { perRun: n, run: () => { const c = new ColumnSketch(); const { bytes, offsets } = highCardinality; for (let i = 0; i < n; i++) c.addText(bytes, offsets[i], offsets[i + 1]); sink += c.rows; } },
    'ColumnSketch of 1,000 numbers + toState': { perRun: 1, run: () => { const c = new ColumnSketch(); for (let i = 0; i < 1000; i++) c.addNumber(numbers[i]); sink += c.toState().rows; } },
    'mergeColumnStates (two number states)': { perRun: 1, run: () => { sink += mergeColumnStates(states[0], states[1]).rows; } },
  };

  const figures = await nsPerValue(tasks, rounds);
  if (sink === 0) throw new Error('profile-sketches: no work done');
  log(`  profile sketches, ${n.toLocaleString('en-US')} values per run (ns per value; toState and merge: ns per call)`);
  for (const figure of figures) log(`  ${figure.task.padEnd(44)} ${figure.nsPerValue.toFixed(1).padStart(10)}`);
  return figures;
}

if (isMain(import.meta.url)) {
  const figures = await runProfileSketchesBench();
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ bench: 'profile-sketches', figures })}\n`);
}
