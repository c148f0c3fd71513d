/**
 * Question: what does reading rows back with `COPY … TO STDOUT (FORMAT binary)` cost on the main
 * thread, each way? (The time-series detection reads 50,000 rows of every load with a time column
 * back; the second pass reads all of them.) Rows shaped as the second pass reads them (key, time,
 * offset, two values), in a table of BENCH_READ_ROWS rows (200,000), tinybench:
 *   socket reader  — readBinaryCopy: copy-out.ts framing the messages off the socket (the default)
 *   pg-copy-streams — to() as a stream, each piece through the same tuple decoder (the reference)
 * and, alternating A B for BENCH_READ_ROUNDS rounds (5), this process's CPU per read (the wall
 * time includes PostgreSQL's, which is the same both ways).
 *
 *   node dist/bench/copy-out-reader.js
 */
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { Bench } from 'tinybench';
import { BinaryTupleDecoder, type BinaryTuple, readBinaryCopy } from '../src/sink/binary-copy-reader.js';
import { benchDatabaseUrl, ensureDatabase, envInteger, fmtInt, isMain, median } from './support.js';

const TABLE = 'bench_copy_out_rows';

export interface CopyOutFigures {
  rows: number;
  /** Median ms per read (tinybench p50). */
  ms: Record<string, number>;
  /** Median CPU ms of this process per read, over alternating rounds. */
  cpuMs: Record<string, number>;
}

async function viaStream(client: pg.Client, sql: string, onTuple: (tuple: BinaryTuple) => void): Promise<number> {
  const decoder = new BinaryTupleDecoder(onTuple);
  for await (const piece of client.query(copyTo(sql)) as AsyncIterable<Buffer>) decoder.feed(piece, 0, piece.length);
  decoder.finish();
  return decoder.count;
}

export async function runCopyOutReaderBench(options: { log?: (line: string) => void } = {}): Promise<CopyOutFigures> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const rows = envInteger('BENCH_READ_ROWS', 200_000, 1);
  const rounds = envInteger('BENCH_READ_ROUNDS', 5, 1);
  const url = benchDatabaseUrl();
  await ensureDatabase(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS ${TABLE}`);
    await client.query(`CREATE TABLE ${TABLE} AS
      SELECT 'sensor-' || lpad((i % 200)::text, 4, '0') AS sensor_id, timestamptz '2024-01-01' + i * interval '3 minutes' AS ts,
             i::bigint * 64 AS _offset, random() * 100 AS value, (random() * 100000)::int::float8 AS reading
        FROM generate_series(1, ${rows}) i`);
    await client.query(`VACUUM ANALYZE ${TABLE}`);
    const sql = `COPY (SELECT sensor_id, ts, _offset, value, reading FROM ${TABLE}) TO STDOUT (FORMAT binary)`;
    let sink = 0;
    const onTuple = (tuple: BinaryTuple): void => { sink += tuple.lengths[0]; };
    const ways: Record<string, () => Promise<number>> = {
      'socket reader (default)': () => readBinaryCopy(client, sql, onTuple),
      'pg-copy-streams (reference)': () => viaStream(client, sql, onTuple),
    };
    for (const [name, read] of Object.entries(ways)) {
      const count = await read();
      if (count !== rows) throw new Error(`copy-out-reader: ${name} read ${count} rows, not ${rows}`);
    }
    const bench = new Bench({ time: 1500, iterations: 5, warmupTime: 200, warmupIterations: 1, throws: true });
    for (const [name, read] of Object.entries(ways)) bench.add(name, async () => { await read(); });
    await bench.run();
    const ms = Object.fromEntries(bench.tasks.map((task) => [task.name, task.result?.latency.p50 ?? Number.NaN]));
    const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((name) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const [name, read] of Object.entries(ways)) {
        const before = process.cpuUsage();
        await read();
        const used = process.cpuUsage(before);
        cpu[name].push((used.user + used.system) / 1000);
      }
    }
    if (sink === 0) throw new Error('copy-out-reader: no tuples seen');
    const cpuMs = Object.fromEntries(Object.entries(cpu).map(([name, values]) => [name, median(values)]));
    log(`COPY TO STDOUT (binary) read back, ${fmtInt(rows)} rows of (key, time, offset, two values)`);
    for (const name of Object.keys(ways)) {
      log(`  ${name.padEnd(28)} ${ms[name].toFixed(1)} ms per read (${((ms[name] * 1e6) / rows).toFixed(0)} ns/row), this process's CPU ${cpuMs[name].toFixed(1)} ms (${((cpuMs[name] * 1e6) / rows).toFixed(0)} ns/row)`);
    }
    return { rows, ms, cpuMs };
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${TABLE}`).catch(() => undefined);
    await client.end();
  }
}

if (isMain(import.meta.url)) {
  const figures = await runCopyOutReaderBench();
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ bench: 'copy-out-reader', ...figures })}\n`);
}
