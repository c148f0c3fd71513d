/**
 * Question: what is the cheapest way to append one row's bytes (tens of bytes) to the output slot?
 * That copy runs once per row in the worker's hot path (ByteSink.pushBytes), so the alternatives
 * sit side by side on the same rows of the time-series file:
 *   loop      — an indexed byte loop
 *   set       — target.set(source.subarray(start, end)): a native copy plus a view per row
 *   copy      — Buffer#copy(target, at, start, end): a native copy, no view
 *   adaptive  — the loop below a threshold, Buffer#copy above (what ByteSink does)
 *
 *   node dist/bench/row-copy.js
 */
import { Bench } from 'tinybench';
import { csvPathFor, generateTimeseriesCsv } from './generate-timeseries-csv.js';
import { envInteger, isMain } from './support.js';
import { readFileSync } from 'node:fs';

export async function runRowCopyBench(): Promise<void> {
  const rows = envInteger('BENCH_PARSER_ROWS', 100_000, 1);
  const path = csvPathFor(rows);
  await generateTimeseriesCsv(path, rows);
  const source = readFileSync(path);
  const starts: number[] = [0];
  for (let i = source.indexOf(0x0a); i !== -1; i = source.indexOf(0x0a, i + 1)) starts.push(i + 1);
  const target = Buffer.alloc(source.length + 16);
  const targetArray = new Uint8Array(target.buffer, target.byteOffset, target.length);

  const each = (copy: (start: number, end: number, at: number) => void) => () => {
    let at = 0;
    for (let r = 0; r + 1 < starts.length; r++) {
      const start = starts[r];
      const end = starts[r + 1];
      copy(start, end, at);
      at += end - start;
    }
  };
  const bench = new Bench({ time: 500, warmupTime: 100 });
  bench
    .add('loop', each((start, end, at) => { for (let i = start; i < end; i++) targetArray[at++] = source[i]; }))
    .add('set(subarray)', each((start, end, at) => { targetArray.set(source.subarray(start, end), at); }))
    .add('Buffer#copy', each((start, end, at) => { source.copy(target, at, start, end); }))
    .add('adaptive (loop < 64 B, else Buffer#copy)', each((start, end, at) => {
      if (end - start < 64) { for (let i = start; i < end; i++) targetArray[at++] = source[i]; } else source.copy(target, at, start, end);
    }));
  await bench.run();
  const table = bench.tasks.map((task) => {
    const ms = task.result?.latency.p50 ?? Number.NaN;
    return { task: task.name, 'median ms': ms.toFixed(2), 'MB/s': ((source.length / 1e6) / (ms / 1e3)).toFixed(0) };
  });
  console.log(`row copy, ${starts.length - 1} rows of ~${Math.round(source.length / starts.length)} bytes`);
  console.table(table);
}

if (isMain(import.meta.url)) await runRowCopyBench();
