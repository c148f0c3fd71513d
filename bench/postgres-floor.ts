/**
 * Question: what is the least time any `sluice load` of the benchmark file can take on this
 * machine, whatever Sluice itself costs? PostgreSQL must still take the rows into the staging
 * table. So this times PostgreSQL alone doing that: the file's rows, already encoded as the
 * workers' binary COPY (the staging table's layout: `_file`, `_offset`, the six columns; its BRIN
 * index on `_file`, made by the engine's own ensureFileRowsIndex), sent by `psql \copy` from files
 * prepared up front, in one session and in two concurrent sessions (half the rows each, as
 * Sluice's two writers do). The baseline is the headline's: `psql \copy` of the CSV into a
 * pre-created typed table. Alternating A B C, a warm-up round, then BENCH_FLOOR_ROUNDS (5)
 * rounds; medians, and the median of each round's ratio.
 *
 * A load also parses, checks, profiles and encodes the rows, on the same two cores, and has a
 * start (Node, the sniff) and a completion (the catalog, quality, the series detection) that
 * nothing overlaps. So these ratios are a floor, not a forecast.
 *
 *   node dist/bench/postgres-floor.js   (BENCH_ROWS, BENCH_FLOOR_ROUNDS; DATABASE_URL's server or the bench database)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ensureFileRowsIndex } from '../src/sink/file-rows-index.js';
import { binaryPayload, parse, STAGING_COLUMNS } from './binary-vs-csv-copy.js';
import { csvPathFor, generateTimeseriesCsv } from './generate-timeseries-csv.js';
import { postmasterOf, PostgresSampler } from './profile-sluice-load.js';
import { benchDatabaseUrl, ensureDatabase, envInteger, isMain, median, psqlConnection, runTimed } from './support.js';

const CSV_TABLE = 'bench_floor_csv';
const STAGING_TABLE = 'bench_floor_staging';

export interface PostgresFloorFigures {
  rows: number;
  rounds: number;
  psqlCsvMs: number;
  binaryOneSessionMs: number;
  binaryTwoSessionsMs: number;
  /** PostgreSQL's CPU seconds (all its processes), medians: for psql \copy of the CSV, and for the staging rows in two sessions. */
  psqlCsvPostgresCpuS: number;
  twoSessionsPostgresCpuS: number;
  /** Medians of the per-round ratios to the round's psql \copy of the CSV. */
  oneSessionRatio: number;
  twoSessionsRatio: number;
}

export async function runPostgresFloorBench(log: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<PostgresFloorFigures> {
  const rows = envInteger('BENCH_ROWS', 1_000_000, 1);
  const rounds = envInteger('BENCH_FLOOR_ROUNDS', 5, 1);
  const csv = await generateTimeseriesCsv(csvPathFor(rows), rows);
  const parsed = parse(readFileSync(csv.path));
  const half = Math.floor(parsed.ts.length / 2);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-floor-'));
  const whole = join(dir, 'whole.bin');
  const halves = [join(dir, 'first.bin'), join(dir, 'second.bin')];
  writeFileSync(whole, binaryPayload(parsed));
  writeFileSync(halves[0], binaryPayload(parsed, 0, half));
  writeFileSync(halves[1], binaryPayload(parsed, half));

  const url = benchDatabaseUrl();
  await ensureDatabase(url);
  const psql = psqlConnection(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { backend, postmaster } = await postmasterOf(client);
  // PostgreSQL's CPU is sampled around the copies given to `sampled` (the copies tick it as they run).
  let sampler: PostgresSampler | undefined;
  const sampled = async (copies: () => Promise<unknown>): Promise<number> => {
    const current = new PostgresSampler(postmaster, backend);
    current.tick();
    current.baseline();
    sampler = current;
    try {
      await copies();
    } finally {
      sampler = undefined;
    }
    current.tick();
    return current.result().reduce((sum, p) => sum + p.cpuS, 0);
  };
  const copy = async (table: string, file: string, format: string): Promise<number> => {
    const run = await runTimed('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...psql.args, '-c',
      `\\copy ${table} FROM '${file.replace(/'/g, "''")}' WITH (${format})`], { env: psql.env, timeoutMs: 300_000, onTick: () => sampler?.tick() });
    if (run.code !== 0) throw new Error(`postgres-floor: psql \\copy failed: ${run.stderr}`);
    return run.ms;
  };
  const freshTables = async (): Promise<void> => {
    await client.query(`DROP TABLE IF EXISTS ${CSV_TABLE}, ${STAGING_TABLE}`);
    await client.query(`CREATE TABLE ${CSV_TABLE} (ts timestamptz, sensor_id text, value double precision, status text, reading integer, note text)`);
    await client.query(`CREATE TABLE ${STAGING_TABLE} ${STAGING_COLUMNS}`);
    await ensureFileRowsIndex(client, STAGING_TABLE);
    await client.query('CHECKPOINT');
  };
  const csvTimes: number[] = [];
  const oneTimes: number[] = [];
  const twoTimes: number[] = [];
  const csvCpu: number[] = [];
  const twoCpu: number[] = [];
  try {
    for (let round = 0; round <= rounds; round++) {
      await freshTables();
      let csvMs = 0;
      const csvCpuS = await sampled(async () => { csvMs = await copy(CSV_TABLE, csv.path, 'FORMAT csv, HEADER true'); });
      await freshTables();
      const oneMs = await copy(STAGING_TABLE, whole, 'FORMAT binary');
      const count = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${STAGING_TABLE}`);
      if (count.rows[0].n !== parsed.ts.length) throw new Error(`postgres-floor: ${count.rows[0].n} rows copied, expected ${parsed.ts.length}`);
      await freshTables();
      const started = performance.now();
      const twoCpuS = await sampled(() => Promise.all(halves.map((file) => copy(STAGING_TABLE, file, 'FORMAT binary'))));
      const twoMs = performance.now() - started;
      log(`  ${round === 0 ? 'warm-up' : `round ${round}/${rounds}`}: psql \\copy CSV ${csvMs.toFixed(0)} ms, binary staging rows in one session ${oneMs.toFixed(0)} ms, in two ${twoMs.toFixed(0)} ms; PostgreSQL CPU ${csvCpuS.toFixed(2)} s for the CSV, ${twoCpuS.toFixed(2)} s for the two sessions`);
      if (round === 0) continue;
      csvTimes.push(csvMs);
      oneTimes.push(oneMs);
      twoTimes.push(twoMs);
      csvCpu.push(csvCpuS);
      twoCpu.push(twoCpuS);
    }
    await client.query(`DROP TABLE IF EXISTS ${CSV_TABLE}, ${STAGING_TABLE}`);
  } finally {
    await client.end();
    rmSync(dir, { recursive: true, force: true });
  }
  const figures: PostgresFloorFigures = {
    rows: parsed.ts.length, rounds,
    psqlCsvMs: median(csvTimes), binaryOneSessionMs: median(oneTimes), binaryTwoSessionsMs: median(twoTimes),
    psqlCsvPostgresCpuS: median(csvCpu), twoSessionsPostgresCpuS: median(twoCpu),
    oneSessionRatio: median(oneTimes.map((ms, i) => ms / csvTimes[i])),
    twoSessionsRatio: median(twoTimes.map((ms, i) => ms / csvTimes[i])),
  };
  log(`  PostgreSQL alone, the staging rows as binary COPY: one session ${figures.binaryOneSessionMs.toFixed(0)} ms (${figures.oneSessionRatio.toFixed(2)} × psql \\copy), `
    + `two sessions ${figures.binaryTwoSessionsMs.toFixed(0)} ms (${figures.twoSessionsRatio.toFixed(2)} ×); psql \\copy of the CSV ${figures.psqlCsvMs.toFixed(0)} ms (medians of ${rounds} rounds); `
    + `PostgreSQL's CPU ${figures.twoSessionsPostgresCpuS.toFixed(2)} s for the staging rows against ${figures.psqlCsvPostgresCpuS.toFixed(2)} s for psql \\copy`);
  return figures;
}

if (isMain(import.meta.url)) {
  const figures = await runPostgresFloorBench();
  process.stdout.write(`${JSON.stringify({ bench: 'postgres-floor', ...figures })}\n`);
}
