/**
 * Question: how fast is Sluice's hot path, one thread, against the reference parser?
 *
 * On the same in-memory slice of the time-series file (BENCH_PARSER_ROWS rows, default 100,000;
 * 0 = the whole file of BENCH_ROWS rows):
 *   (a) csv-parser     — the reference: the buffer in one write, row objects out (header keys);
 *   (b) parse + COPY   — Sluice's worker hot path with no stages: parseCsvChunk checks every typed
 *                        field into a reused ColumnBatch, encodeCsvCopy writes its COPY rows with
 *                        provenance prefixes into a ByteSink over a preallocated buffer;
 *   (b') parseCsvChunk — the parse step alone (what every stage configuration pays);
 *   (d) parse + typed values + binary COPY — the default load's worker path with no stages:
 *                        parseCsvChunk, fillTypedValues (what the parser left unparsed), then
 *                        encodeBinaryCopy; (d') the binary encoder alone on the parsed batch;
 *   (c) lastRowEnd     — the planner's quote-parity scan over the buffer (what cuts chunks), and
 *       countByte(LF)  — the byte count it is built on, here with dense hits (its loop path);
 *   (c') lastRowEnd over a plain Uint8Array view of the same memory — the alternative the ring
 *       does not use: Node's Buffer#indexOf is memchr, a Uint8Array's is V8's generic loop.
 * Sluice's tasks read a Buffer over a SharedArrayBuffer, exactly as a worker reads a ring slot;
 * csv-parser gets a Buffer over the same memory.
 * Column types come from the sniffer (and must be timestamptz,text,float,text,int,text).
 *
 * tinybench runs the tasks one after another; the suite is repeated BENCH_PARSER_ROUNDS times
 * (default 3), so the tasks alternate a b c a b c …, and each figure is the median over rounds of
 * the per-round median latency. Every task checks its own result (rows, rejects) once.
 *
 *   node dist/bench/parser-vs-csv-parser.js [--json]
 */
import { readFileSync } from 'node:fs';
import csvParser from 'csv-parser';
import { Bench } from 'tinybench';
import { ColumnBatch } from '../src/batch/column-batch.js';
import { ByteSink } from '../src/formats/byte-sink.js';
import { copyQuoteOf, csvDialect, LF } from '../src/formats/csv/dialect.js';
import { type EncodePlan, parseCsvChunk } from '../src/formats/csv/parse-chunk.js';
import { countByte, lastRowEnd } from '../src/formats/csv/row-boundary.js';
import { sniffCsv } from '../src/formats/csv/sniffer.js';
import { ColumnType, columnTypeName } from '../src/schema/column-type.js';
import { encodeCsvCopy } from '../src/sink/csv-copy-encoder.js';
import { fillTypedValues } from '../src/batch/typed-values.js';
import { encodeBinaryCopy } from '../src/sink/binary-copy-encoder.js';
import { csvPathFor, generateTimeseriesCsv } from './generate-timeseries-csv.js';
import { envInteger, fmtInt, isMain, median } from './support.js';

export interface ParserTaskFigure {
  name: string;
  /** Median over rounds of the per-round median latency, ms. */
  medianMs: number;
  perRoundMs: number[];
  mbPerSecond: number;
  rowsPerSecond: number;
  samples: number;
}

export interface ParserBenchResult {
  file: string;
  rows: number;
  bytes: number;
  rounds: number;
  tasks: ParserTaskFigure[];
  /** (a) time / (b) time: how many times faster parse + COPY is than csv-parser. */
  encodeSpeedupOverCsvParser: number;
  /** Median of the per-round (a)/(b) ratios. */
  encodeSpeedupPerRoundMedian: number;
  slowRows: number;
}

const EXPECTED_TYPES = [ColumnType.timestamptz, ColumnType.text, ColumnType.float, ColumnType.text, ColumnType.int, ColumnType.text];

/** The header plus the first `rows` rows of the file (whole rows: cut after the rows-th LF after the header). */
function sliceRows(file: Buffer, rows: number): { bytes: Buffer; rows: number } {
  const totalLines = countByte(file, LF, 0, file.length);
  if (rows === 0 || rows >= totalLines - 1) return { bytes: file, rows: totalLines - 1 };
  let at = file.indexOf(LF) + 1; // after the header
  for (let r = 0; r < rows; r++) at = file.indexOf(LF, at) + 1;
  // Copy so the slice is a tight, standalone buffer (as a chunk in a slot would be).
  return { bytes: Buffer.from(file.subarray(0, at)), rows };
}

function fail(message: string): never {
  throw new Error(`parser-vs-csv-parser: ${message}`);
}

export async function runParserBench(options: { path?: string; rows?: number; rounds?: number; log?: (line: string) => void } = {}): Promise<ParserBenchResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const fileRows = envInteger('BENCH_ROWS', 1_000_000, 1);
  const path = options.path ?? csvPathFor(fileRows);
  const wantRows = options.rows ?? envInteger('BENCH_PARSER_ROWS', 100_000);
  const rounds = options.rounds ?? envInteger('BENCH_PARSER_ROUNDS', 3, 1);
  await generateTimeseriesCsv(path, fileRows);
  const slice = sliceRows(readFileSync(path), wantRows);
  const rows = slice.rows;
  // The engine's workers and planner see chunks as Buffers over a SharedArrayBuffer (a ring slot,
  // see slotViews): measure the same. `plain` is the same memory as a Uint8Array, for (c').
  const shared = new SharedArrayBuffer(slice.bytes.length);
  const bytes = Buffer.from(shared, 0, slice.bytes.length);
  bytes.set(slice.bytes);
  const asBuffer = bytes;
  const plain = new Uint8Array(shared, 0, slice.bytes.length);
  const megabytes = bytes.length / 1e6;

  // Sniff the slice the way the engine does (head only is enough for one column layout).
  const head = bytes.subarray(0, Math.min(bytes.length, 1024 * 1024));
  const sniff = sniffCsv({ head, headIsWholeFile: head.length === bytes.length, spots: [] });
  const types = sniff.columns.map((c) => c.type);
  if (types.join() !== EXPECTED_TYPES.join()) {
    fail(`sniffer inferred ${types.map(columnTypeName).join(',')}, expected ${EXPECTED_TYPES.map(columnTypeName).join(',')}`);
  }
  const plan: EncodePlan = {
    dialect: sniff.dialect, columnTypes: types, columnNames: sniff.columns.map((c) => c.name),
    fileId: 1, chunkNo: 0, baseOffset: sniff.dataStart, invalidUtf8: 'reject',
  };
  // Preallocated like a ring slot: input × 1.5 + 64 KiB (the default output capacity).
  const output = new Uint8Array(Math.ceil(bytes.length * 1.5) + 64 * 1024);
  const rejectsRegion = new Uint8Array(256 * 1024);
  const { quote, newline } = sniff.dialect;
  const batch = new ColumnBatch();
  const copyQuote = copyQuoteOf(sniff.dialect);
  const parseAndEncode = (): number => {
    const stats = parseCsvChunk(bytes, sniff.dataStart, bytes.length, plan, batch, new ByteSink(rejectsRegion));
    const encoded = encodeCsvCopy(batch, plan.fileId, sniff.dialect.delimiter, copyQuote, new ByteSink(output));
    if (encoded !== stats.rows) fail(`encodeCsvCopy wrote ${encoded} rows of ${stats.rows}`);
    return encoded;
  };
  const parseAndEncodeBinary = (): number => {
    const stats = parseCsvChunk(bytes, sniff.dataStart, bytes.length, plan, batch, new ByteSink(rejectsRegion));
    fillTypedValues(batch);
    const encoded = encodeBinaryCopy(batch, plan.fileId, new ByteSink(output));
    if (encoded !== stats.rows) fail(`encodeBinaryCopy wrote ${encoded} rows of ${stats.rows}`);
    return encoded;
  };
  // (d') reads a batch parsed once, with its typed values filled.
  const binaryBatch = new ColumnBatch();

  log(`parser micro-benchmark: ${fmtInt(rows)} rows, ${megabytes.toFixed(1)} MB in memory (${path}), ${rounds} rounds, node ${process.version}`);
  log(`  columns (sniffed): ${sniff.columns.map((c) => `${c.name}:${columnTypeName(c.type)}`).join(', ')}`);

  // One checked run of each task before timing: wrong answers are not benchmarked.
  let checkedRows = 0;
  await new Promise<void>((resolveDone, reject) => {
    const parser = csvParser();
    parser.on('data', () => { checkedRows++; });
    parser.on('end', resolveDone);
    parser.on('error', reject);
    parser.end(asBuffer);
  });
  if (checkedRows !== rows) fail(`csv-parser produced ${checkedRows} rows, expected ${rows}`);
  const check = parseCsvChunk(bytes, sniff.dataStart, bytes.length, plan, batch, new ByteSink(rejectsRegion));
  if (check.rows !== rows || check.rejected !== 0) fail(`parseCsvChunk: ${check.rows} rows, ${check.rejected} rejected (expected ${rows}, 0): ${JSON.stringify(check.samples)}`);
  if (parseAndEncode() !== rows) fail('parse + COPY lost rows');
  if (parseAndEncodeBinary() !== rows) fail('parse + binary COPY lost rows');
  parseCsvChunk(bytes, sniff.dataStart, bytes.length, plan, binaryBatch, new ByteSink(rejectsRegion));
  fillTypedValues(binaryBatch);
  const cut = lastRowEnd(bytes, sniff.dataStart, bytes.length, csvDialect({ quote, newline }));
  if (cut !== bytes.length) fail(`lastRowEnd returned ${cut}, expected ${bytes.length}`);
  if (countByte(bytes, LF, 0, bytes.length) !== rows + 1) fail('countByte(LF) disagrees with the row count');

  let sink = 0; // consumed results, so nothing is dead code
  const names = {
    a: '(a) csv-parser → row objects',
    b: '(b) sluice parse + CSV COPY (1 thread)',
    b2: "(b') sluice parseCsvChunk alone",
    d: '(d) parse + typed values + binary COPY',
    d2: "(d') encodeBinaryCopy alone",
    c1: '(c) lastRowEnd (planner scan)',
    c2: '(c) countByte(LF)',
    c3: "(c') lastRowEnd on a plain Uint8Array view",
  };
  const perRound: Record<string, number[]> = Object.fromEntries(Object.values(names).map((n) => [n, []]));
  const samples: Record<string, number> = Object.fromEntries(Object.values(names).map((n) => [n, 0]));

  for (let round = 0; round < rounds; round++) {
    const bench = new Bench({ time: 1000, iterations: 5, warmupTime: 200, warmupIterations: 2, throws: true });
    bench.add(names.a, async () => {
      let n = 0;
      await new Promise<void>((resolveDone, reject) => {
        const parser = csvParser();
        parser.on('data', () => { n++; });
        parser.on('end', resolveDone);
        parser.on('error', reject);
        parser.end(asBuffer);
      });
      sink += n;
    });
    bench.add(names.b, () => { sink += parseAndEncode(); });
    bench.add(names.b2, () => { sink += parseCsvChunk(bytes, sniff.dataStart, bytes.length, plan, batch, new ByteSink(rejectsRegion)).rows; });
    bench.add(names.d, () => { sink += parseAndEncodeBinary(); });
    bench.add(names.d2, () => { sink += encodeBinaryCopy(binaryBatch, plan.fileId, new ByteSink(output)); });
    bench.add(names.c1, () => { sink += lastRowEnd(bytes, sniff.dataStart, bytes.length, csvDialect({ quote, newline })); });
    bench.add(names.c2, () => { sink += countByte(bytes, LF, 0, bytes.length); });
    bench.add(names.c3, () => { sink += lastRowEnd(plain, sniff.dataStart, plain.length, csvDialect({ quote, newline })); });
    await bench.run();
    const line: string[] = [];
    for (const task of bench.tasks) {
      const result = task.result;
      if (result === undefined || result.error !== undefined) fail(`${task.name} failed: ${result?.error?.message ?? 'no result'}`);
      perRound[task.name].push(result.latency.p50 ?? result.latency.mean);
      samples[task.name] += result.latency.samples.length;
      line.push(`${task.name.split(' ')[0]} ${(result.latency.p50 ?? result.latency.mean).toFixed(1)} ms`);
    }
    log(`  round ${round + 1}/${rounds}: ${line.join('  ')}`);
  }
  if (sink === 0) fail('no work done');

  const tasks: ParserTaskFigure[] = Object.entries(perRound).map(([name, times]) => {
    const ms = median(times);
    return { name, medianMs: ms, perRoundMs: times, mbPerSecond: megabytes / (ms / 1000), rowsPerSecond: rows / (ms / 1000), samples: samples[name] };
  });
  const a = perRound[names.a];
  const b = perRound[names.b];
  const result: ParserBenchResult = {
    file: path, rows, bytes: bytes.length, rounds, tasks,
    encodeSpeedupOverCsvParser: median(a) / median(b),
    encodeSpeedupPerRoundMedian: median(a.map((t, i) => t / b[i])),
    slowRows: check.slowRows,
  };

  const width = Math.max(...tasks.map((t) => t.name.length));
  log('');
  log(`  ${'task'.padEnd(width)}  ${'median ms'.padStart(10)}  ${'MB/s'.padStart(9)}  ${'rows/s'.padStart(13)}  ${'ns/row'.padStart(7)}  samples`);
  for (const t of tasks) {
    log(`  ${t.name.padEnd(width)}  ${t.medianMs.toFixed(2).padStart(10)}  ${t.mbPerSecond.toFixed(1).padStart(9)}  ${fmtInt(t.rowsPerSecond).padStart(13)}  ${(1e9 / t.rowsPerSecond).toFixed(0).padStart(7)}  ${t.samples}`);
  }
  log(`  parse + COPY vs csv-parser: ${result.encodeSpeedupOverCsvParser.toFixed(2)}× faster (median of per-round ratios ${result.encodeSpeedupPerRoundMedian.toFixed(2)}×); `
    + `rows on the parser's slow path: ${result.slowRows}`);
  return result;
}

if (isMain(import.meta.url)) {
  const result = await runParserBench();
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ bench: 'parser-vs-csv-parser', ...result })}\n`);
}
