/**
 * Question: what does writing a parsed chunk as COPY input cost per row, each way? (The encode
 * step runs on every kept row of every load, in the workers.) On the benchmark file's first rows,
 * parsed once into a ColumnBatch as a worker does (4 MiB chunk), tinybench:
 *   binary by column — encodeBinaryCopyByColumn (the default path)
 *   binary by row    — encodeBinaryCopyByRow (the reference; numeric and huge bigints use it)
 *   CSV              — encodeCsvCopy (`--copy-format csv`)
 *
 *   node dist/bench/copy-writers.js
 */
import { readFileSync } from 'node:fs';
import { Bench } from 'tinybench';
import { ColumnBatch } from '../src/batch/column-batch.js';
import { ByteSink } from '../src/formats/byte-sink.js';
import { DEFAULT_DIALECT } from '../src/formats/csv/dialect.js';
import { parseCsvChunk } from '../src/formats/csv/parse-chunk.js';
import { ColumnType } from '../src/schema/column-type.js';
import { encodeBinaryCopyByColumn } from '../src/sink/binary-copy-by-column.js';
import { encodeBinaryCopyByRow } from '../src/sink/binary-copy-encoder.js';
import { encodeCsvCopy } from '../src/sink/csv-copy-encoder.js';
import { csvPathFor, generateTimeseriesCsv } from './generate-timeseries-csv.js';
import { envInteger, isMain } from './support.js';

export interface CopyWriterFigures {
  rows: number;
  nsPerRow: Record<string, number>;
}

export async function runCopyWritersBench(): Promise<CopyWriterFigures> {
  const path = csvPathFor(envInteger('BENCH_ROWS', 1_000_000, 1));
  await generateTimeseriesCsv(path, envInteger('BENCH_ROWS', 1_000_000, 1));
  const bytes = readFileSync(path);
  const start = bytes.indexOf(0x0a) + 1;
  const end = bytes.lastIndexOf(0x0a, Math.min(bytes.length - 1, start + 4 * 1024 * 1024)) + 1;
  const batch = new ColumnBatch();
  const plan = {
    dialect: DEFAULT_DIALECT, fileId: 1, chunkNo: 0, baseOffset: start, invalidUtf8: 'reject' as const,
    columnTypes: [ColumnType.timestamptz, ColumnType.text, ColumnType.float, ColumnType.text, ColumnType.int, ColumnType.text],
    columnNames: ['ts', 'sensor_id', 'value', 'status', 'reading', 'note'],
  };
  parseCsvChunk(bytes, start, end, plan, batch, new ByteSink(new Uint8Array(1 << 16)));
  const region = new Uint8Array(new SharedArrayBuffer(16 * 1024 * 1024));
  const columns = batch.columns.filter((c) => !c.dropped);
  const bench = new Bench({ time: 600, warmupTime: 200 });
  bench
    .add('binary by column (default)', () => { encodeBinaryCopyByColumn(batch, columns, 1, new ByteSink(region)); })
    .add('binary by row (reference)', () => { encodeBinaryCopyByRow(batch, 1, new ByteSink(region)); })
    .add('CSV (--copy-format csv)', () => { encodeCsvCopy(batch, 1, 0x2c, 0x22, new ByteSink(region)); });
  await bench.run();
  const nsPerRow: Record<string, number> = {};
  for (const task of bench.tasks) nsPerRow[task.name] = ((task.result?.latency.p50 ?? Number.NaN) * 1e6) / batch.rowCount;
  console.log(`COPY writers, one 4 MiB chunk of the benchmark file (${batch.rowCount} rows)`);
  console.table(Object.entries(nsPerRow).map(([task, ns]) => ({ task, 'ns/row': ns.toFixed(0) })));
  return { rows: batch.rowCount, nsPerRow };
}

if (isMain(import.meta.url)) await runCopyWritersBench();
