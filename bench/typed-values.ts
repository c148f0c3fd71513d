/**
 * Question: what does filling a batch's typed values cost per value, next to the obvious ways of
 * getting the same numbers from the same text? (batch/typed-values.ts runs once per typed value
 * in the worker, ahead of the stages and the binary COPY encoder.) Per type, on 100k values:
 *   bytes     — the byte parser on the span (what the worker runs)
 *   string    — decode the span to a string first, then Number() / Date.parse()
 * Date.parse has millisecond precision only and reads a zone-less time as local: it is the cost
 * reference, not a replacement.
 *
 *   node dist/bench/typed-values.js   (BENCH_VALUES)
 */
import { Bench } from 'tinybench';
import { parseFloat8, parseInteger, parseIsoTimestampMicros } from '../src/batch/typed-values.js';
import { envInteger, isMain } from './support.js';

interface Spans { bytes: Buffer; starts: Int32Array; ends: Int32Array }

function spansOf(values: readonly string[]): Spans {
  const bytes = Buffer.from(values.join(''), 'latin1');
  const starts = new Int32Array(values.length);
  const ends = new Int32Array(values.length);
  let at = 0;
  values.forEach((v, i) => { starts[i] = at; at += v.length; ends[i] = at; });
  return { bytes, starts, ends };
}

export async function runTypedValuesBench(): Promise<void> {
  const count = envInteger('BENCH_VALUES', 100_000, 1);
  // Deterministic data shaped like the benchmark file: readings with 1–4 decimals, counters, ISO timestamps.
  let seed = 42;
  const random = (): number => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed / 2 ** 31; };
  const floats = spansOf(Array.from({ length: count }, () => (random() * 1000 - 500).toFixed(1 + Math.floor(random() * 4))));
  const ints = spansOf(Array.from({ length: count }, () => String(Math.floor(random() * 2_000_000) - 1_000_000)));
  const stamps = spansOf(Array.from({ length: count }, (_, i) => new Date(1_700_000_000_000 + i * 60_123).toISOString().replace('.', `.${i % 10}`).replace(/\d{3}Z$/, '123Z')));
  const sink = new Float64Array(count);
  const bench = new Bench({ time: 400, warmupTime: 100 });
  const each = (spans: Spans, parse: (bytes: Buffer, start: number, end: number) => number) => () => {
    for (let i = 0; i < count; i++) sink[i] = parse(spans.bytes, spans.starts[i], spans.ends[i]);
  };
  bench
    .add('float8: bytes (parseFloat8)', each(floats, parseFloat8))
    .add('float8: string + Number()', each(floats, (b, s, e) => Number(b.toString('latin1', s, e))))
    .add('int: bytes (parseInteger)', each(ints, parseInteger))
    .add('int: string + Number()', each(ints, (b, s, e) => Number(b.toString('latin1', s, e))))
    .add('timestamptz: bytes (µs, zone)', each(stamps, (b, s, e) => parseIsoTimestampMicros(b, s, e).ms))
    .add('timestamptz: string + Date.parse() (ms)', each(stamps, (b, s, e) => Date.parse(b.toString('latin1', s, e))));
  await bench.run();
  console.log(`typed values, ${count} values per type`);
  console.table(bench.tasks.map((task) => ({ task: task.name, 'ns/value': ((task.result?.latency.p50 ?? Number.NaN) * 1e6 / count).toFixed(1) })));
}

if (isMain(import.meta.url)) await runTypedValuesBench();
