/**
 * Is binary COPY cheaper for PostgreSQL than CSV COPY of the same rows? (issue #7, item 8: the
 * workers would write binary once they hold parsed values.) The benchmark rows are parsed once,
 * up front, and written two ways — the CSV rows as the workers write them today, and binary COPY
 * from the parsed values (src/sink/binary-copy.ts) — then each is COPYed into a fresh table,
 * alternating A B A B, medians. Only the COPY is timed; building the payloads is measured apart
 * (ms per million rows), since in the engine it runs in the workers.
 *
 *   node dist/bench/binary-vs-csv-copy.js   (BENCH_ROWS, BENCH_COPY_ROUNDS; DATABASE_URL's server or the bench database)
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ByteSink } from '../src/formats/byte-sink.js';
import { csvDialect } from '../src/formats/csv/dialect.js';
import { parseRecord } from '../src/formats/csv/record-parser.js';
import { BinaryCopyEncoder } from '../src/sink/binary-copy.js';
import { csvPathFor, generateTimeseriesCsv } from './generate-timeseries-csv.js';
import { benchDatabaseUrl, ensureDatabase, envInteger, isMain, median } from './support.js';

export const STAGING_COLUMNS = '(_file bigint, _offset bigint, ts timestamptz, sensor_id text, value double precision, status text, reading integer, note text)';

export interface Parsed {
  offsets: number[];
  ts: number[];
  sensor: Buffer[];
  value: number[];
  status: Buffer[];
  reading: number[];
  note: (Buffer | null)[];
}

/** The benchmark file's rows, parsed once with the reference record parser. */
export function parse(bytes: Buffer): Parsed {
  const dialect = csvDialect({});
  const parsed: Parsed = { offsets: [], ts: [], sensor: [], value: [], status: [], reading: [], note: [] };
  let at = bytes.indexOf(0x0a) + 1;
  while (at < bytes.length) {
    let end = bytes.indexOf(0x0a, at);
    if (end === -1) end = bytes.length;
    // Quoted notes hold commas, never line ends, in this file.
    const [ts, sensor, value, status, reading, note] = parseRecord(bytes, at, end, dialect);
    parsed.offsets.push(at);
    parsed.ts.push(Date.parse(ts));
    parsed.sensor.push(Buffer.from(sensor));
    parsed.value.push(Number(value));
    parsed.status.push(Buffer.from(status));
    parsed.reading.push(Number(reading));
    parsed.note.push(note === '' ? null : Buffer.from(note));
    at = end + 1;
  }
  return parsed;
}

/** Rows [from, to) of `p` as binary COPY, in the staging table's layout (_file 1, _offset, the six columns). */
export function binaryPayload(p: Parsed, from = 0, to = p.ts.length): Uint8Array {
  const sink = new ByteSink(new Uint8Array(96 * (to - from)));
  const copy = new BinaryCopyEncoder(sink);
  copy.header();
  for (let r = from; r < to; r++) {
    copy.row(8);
    copy.int8(1);
    copy.int8(p.offsets[r]);
    copy.timestamptz(p.ts[r], 0);
    copy.text(p.sensor[r], 0, p.sensor[r].length);
    copy.float8(p.value[r]);
    copy.text(p.status[r], 0, p.status[r].length);
    copy.int4(p.reading[r]);
    const note = p.note[r];
    if (note === null) copy.null(); else copy.text(note, 0, note.length);
  }
  copy.trailer();
  return sink.view();
}

/** The CSV COPY rows the workers write today: the row as it is behind `<file id>,<offset>,`. */
function csvPayload(bytes: Buffer, p: Parsed): Buffer {
  const parts: Buffer[] = [];
  for (let r = 0; r < p.offsets.length; r++) {
    const start = p.offsets[r];
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    parts.push(Buffer.from(`1,${start},`), bytes.subarray(start, end + 1));
  }
  return Buffer.concat(parts);
}

async function copyInto(client: pg.Client, table: string, sql: string, payload: Uint8Array): Promise<number> {
  await client.query(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} ${STAGING_COLUMNS}`);
  const pieces = function* (): Generator<Buffer> {
    for (let at = 0; at < payload.length; at += 1 << 20) yield Buffer.from(payload.buffer, payload.byteOffset + at, Math.min(1 << 20, payload.length - at));
  };
  const started = performance.now();
  await pipeline(Readable.from(pieces()), client.query(copyFrom(sql.replace('$table', table))));
  return performance.now() - started;
}

export interface BinaryCopyFigures {
  rows: number;
  csvMs: number;
  binaryMs: number;
  ratio: number;
  csvMB: number;
  binaryMB: number;
  encodeMsPerMillion: number;
}

export async function runBinaryVsCsvCopy(log: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<BinaryCopyFigures> {
  const rows = envInteger('BENCH_ROWS', 1_000_000, 1);
  const rounds = envInteger('BENCH_COPY_ROUNDS', 3, 1);
  const path = csvPathFor(rows);
  await generateTimeseriesCsv(path, rows);
  const bytes = readFileSync(path);
  const parsed = parse(bytes);
  const encodeStarted = performance.now();
  const binary = binaryPayload(parsed);
  const encodeMs = performance.now() - encodeStarted;
  const csv = csvPayload(bytes, parsed);
  const url = benchDatabaseUrl();
  await ensureDatabase(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('SET TimeZone = \'UTC\'');
  const csvTimes: number[] = [];
  const binaryTimes: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      csvTimes.push(await copyInto(client, 'bench_copy_csv', 'COPY $table FROM STDIN WITH (FORMAT csv)', csv));
      binaryTimes.push(await copyInto(client, 'bench_copy_binary', 'COPY $table FROM STDIN WITH (FORMAT binary)', binary));
      log(`  round ${round + 1}/${rounds}: CSV ${csvTimes.at(-1)!.toFixed(0)} ms, binary ${binaryTimes.at(-1)!.toFixed(0)} ms`);
    }
    // The two tables hold the same rows (the comparison is only worth something if they do).
    const differ = await client.query<{ n: number }>(
      'SELECT (SELECT count(*) FROM (SELECT * FROM bench_copy_csv EXCEPT ALL SELECT * FROM bench_copy_binary) a)::int AS n');
    if (differ.rows[0].n !== 0) throw new Error(`binary-vs-csv-copy: the tables differ in ${differ.rows[0].n} rows`);
    await client.query('DROP TABLE IF EXISTS bench_copy_csv, bench_copy_binary');
  } finally {
    await client.end();
  }
  const figures: BinaryCopyFigures = {
    rows: parsed.ts.length, csvMs: median(csvTimes), binaryMs: median(binaryTimes), ratio: median(binaryTimes) / median(csvTimes),
    csvMB: csv.length / 1e6, binaryMB: binary.length / 1e6, encodeMsPerMillion: (encodeMs / parsed.ts.length) * 1e6,
  };
  log(`  COPY of ${figures.rows.toLocaleString('en')} rows: CSV ${figures.csvMs.toFixed(0)} ms (${figures.csvMB.toFixed(1)} MB), binary ${figures.binaryMs.toFixed(0)} ms `
    + `(${figures.binaryMB.toFixed(1)} MB), binary/CSV ${figures.ratio.toFixed(2)}; encoding binary ${figures.encodeMsPerMillion.toFixed(0)} ms per million rows (one thread)`);
  return figures;
}

if (isMain(import.meta.url)) {
  const figures = await runBinaryVsCsvCopy();
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ bench: 'binary-vs-csv-copy', ...figures })}\n`);
}
