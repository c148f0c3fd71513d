/**
 * Question: is a byte-level JSON scanner worth having over JSON.parse, one thread?
 *
 * On the same in-memory NDJSON (the first BENCH_PARSER_ROWS rows, default 100,000, of the
 * time-series as NDJSON — bench/ndjson-vs-psql-copy.ts makes it):
 *   (a) JSON.parse       — each line parsed to an object, nothing written: the floor of the
 *                          obvious design;
 *   (b) JSON.parse+CSV   — the obvious design whole: parse, check each value's type, write the
 *                          COPY CSV row as a string into a ByteSink;
 *   (c) parseJsonChunk + finishChunk — Sluice's worker hot path with no stages configured: scan,
 *                          check, fill the ColumnBatch (spans of the input; no object, no string
 *                          per value; bigints keep their digits), then write COPY CSV from it;
 *   (c') parseJsonChunk  — the parse into the batch alone;
 *   (d) lastArrayRowEnd  — the planner's cut rule for arrays over the same records written as one
 *                          `[…]` array (string state and depth, a byte loop on the main thread).
 *                          NDJSON's rule is one memrchr from the end of the range: not worth a row.
 * Each figure is the median over BENCH_PARSER_ROUNDS rounds (default 3) of tinybench's median.
 *
 *   node dist/bench/json-encoder-vs-json-parse.js
 */
import { readFileSync } from 'node:fs';
import { Bench } from 'tinybench';
import { ColumnBatch } from '../src/batch/column-batch.js';
import { ByteSink } from '../src/formats/byte-sink.js';
import { COMMA, QUOTE } from '../src/formats/json/json-scanner.js';
import { type JsonParsePlan, parseJsonChunk } from '../src/formats/json/parse-chunk.js';
import { lastArrayRowEnd } from '../src/formats/json/row-boundary.js';
import { ColumnType } from '../src/schema/column-type.js';
import { finishChunk } from '../src/stages/chunk-stages.js';
import { fitsType } from '../src/schema/value-checks.js';
import { ndjsonVariant } from './ndjson-vs-psql-copy.js';
import { envInteger, fmtInt, isMain, median } from './support.js';

const COLUMNS = ['ts', 'sensor_id', 'value', 'status', 'reading', 'note'] as const;
const TYPES = [ColumnType.timestamptz, ColumnType.text, ColumnType.float, ColumnType.text, ColumnType.int, ColumnType.text];

export interface JsonParserFigure {
  name: string;
  medianMs: number;
  mbPerSecond: number;
  rowsPerSecond: number;
}

/** (b): what a worker would do with JSON.parse — one object per row, strings per value. */
function parseAndWrite(lines: string[], data: ByteSink): number {
  let rows = 0;
  const scratch = Buffer.alloc(256);
  for (const line of lines) {
    const record = JSON.parse(line) as Record<string, unknown>;
    let row = `1,${rows}`;
    let ok = true;
    for (let c = 0; c < COLUMNS.length && ok; c++) {
      const value = record[COLUMNS[c]];
      row += ',';
      if (value === null || value === undefined) continue;
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      if (TYPES[c] !== ColumnType.text) {
        const length = scratch.write(text, 0, 'utf8');
        ok = fitsType(TYPES[c], scratch, 0, length);
      }
      row += /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    }
    if (!ok) continue;
    data.pushString(`${row}\n`);
    rows++;
  }
  return rows;
}

export async function runJsonParserBench(options: { log?: (line: string) => void } = {}): Promise<JsonParserFigure[]> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const variant = await ndjsonVariant(envInteger('BENCH_ROWS', 1_000_000, 1));
  const wanted = envInteger('BENCH_PARSER_ROWS', 100_000, 1);
  const rounds = envInteger('BENCH_PARSER_ROUNDS', 3, 1);
  const whole = readFileSync(variant.ndjsonPath);
  let end = 0;
  for (let r = 0; r < wanted && end < whole.length; r++) end = whole.indexOf(0x0a, end) + 1 || whole.length;
  // Shared memory, as a worker reads a ring slot.
  const bytes = Buffer.from(new SharedArrayBuffer(end));
  whole.copy(bytes, 0, 0, end);
  const lines = bytes.toString('latin1').split('\n').filter((l) => l !== '');
  const rows = lines.length;
  const array = Buffer.from(`[${lines.join(',\n')}]`, 'latin1');
  const out = new Uint8Array(bytes.length * 2);
  const rejects = new Uint8Array(1 << 16);
  const plan: JsonParsePlan = {
    layout: 'ndjson', schemaKey: 'bench', paths: COLUMNS.map((c) => [c]), columnTypes: TYPES, columnNames: [...COLUMNS],
    fileId: 1, chunkNo: 0, baseOffset: 0, dataEnd: bytes.length, invalidUtf8: 'reject',
  };

  // Each task checks its result once: every row out, nothing rejected.
  const check = (what: string, got: number): void => {
    if (got !== rows) throw new Error(`${what}: ${got} rows, expected ${rows}`);
  };
  check('JSON.parse+CSV', parseAndWrite(lines, new ByteSink(out)));
  const batch = new ColumnBatch();
  const stagesPlan = { fileId: 1, chunkNo: 0, copyDelimiter: COMMA, copyQuote: QUOTE };
  const parseAndEncode = (): number => {
    parseJsonChunk(bytes, 0, bytes.length, plan, batch, new ByteSink(rejects));
    return finishChunk(batch, stagesPlan, new ByteSink(out), new ByteSink(rejects)).rows;
  };
  check('parseJsonChunk + finishChunk', parseAndEncode());

  const names = ['(a) JSON.parse per line', '(b) JSON.parse + checks + COPY CSV', '(c) parseJsonChunk + finishChunk', "(c') parseJsonChunk", '(d) lastArrayRowEnd'];
  const perRound = new Map<string, number[]>(names.map((n) => [n, []]));
  let sink = 0;
  for (let round = 0; round < rounds; round++) {
    const bench = new Bench({ time: 1000, iterations: 5, warmupTime: 200, warmupIterations: 2, throws: true });
    bench.add(names[0], () => { for (const line of lines) sink += (JSON.parse(line) as { reading: number }).reading; });
    bench.add(names[1], () => { sink += parseAndWrite(lines, new ByteSink(out)); });
    bench.add(names[2], () => { sink += parseAndEncode(); });
    bench.add(names[3], () => { sink += parseJsonChunk(bytes, 0, bytes.length, plan, batch, new ByteSink(rejects)).rows; });
    bench.add(names[4], () => { sink += lastArrayRowEnd(array, 1, array.length - 1); });
    await bench.run();
    for (const task of bench.tasks) perRound.get(task.name)!.push(task.result!.latency.p50!);
  }
  if (sink === 0) log('(sink 0)');
  const figures = names.map((name) => {
    const ms = median(perRound.get(name)!);
    const size = name.includes('lastArrayRowEnd') ? array.length : bytes.length;
    return { name, medianMs: ms, mbPerSecond: size / 1e6 / (ms / 1000), rowsPerSecond: rows / (ms / 1000) };
  });
  log(`JSON hot path, one thread: ${fmtInt(rows)} NDJSON rows, ${(bytes.length / 1e6).toFixed(1)} MB in memory, ${rounds} rounds`);
  for (const f of figures) log(`  ${f.name.padEnd(38)} ${f.medianMs.toFixed(1).padStart(8)} ms  ${f.mbPerSecond.toFixed(0).padStart(6)} MB/s  ${fmtInt(f.rowsPerSecond).padStart(12)} rows/s  ${fmtInt(1e9 / f.rowsPerSecond).padStart(6)} ns/row`);
  return figures;
}

if (isMain(import.meta.url)) {
  const figures = await runJsonParserBench();
  process.stdout.write(`${JSON.stringify({ bench: 'json-encoder-vs-json-parse', figures })}\n`);
}
