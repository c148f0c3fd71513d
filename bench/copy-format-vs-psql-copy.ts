/**
 * Question: end to end, which COPY format should `sluice load` hand PostgreSQL — the CSV rows
 * (PostgreSQL parses every value again) or binary COPY from the values the workers already
 * parsed? (issue #7, item 8: the faster one is the default.) Per round, alternating, after one
 * untimed warm-up round: psql \copy of the file into a typed table, `sluice load --copy-format csv`,
 * `sluice load --copy-format binary`; a CHECKPOINT (untimed) before each; medians. Each run is
 * checked (psql's COPY N; sluice's summary loaded / N rows / 0 rejected).
 *
 *   node dist/bench/copy-format-vs-psql-copy.js   (BENCH_ROWS 1,000,000, BENCH_ROUNDS 5; SLUICE_WORKERS / _WRITERS / _CHUNK_SIZE)
 */
import pg from 'pg';
import { csvPathFor, generateTimeseriesCsv } from './generate-timeseries-csv.js';
import { benchDatabaseUrl, ensureDatabase, envInteger, fmtInt, isMain, median, psqlConnection, runTimed, SLUICE_CLI, sluiceTuningFlags } from './support.js';

const PSQL_TABLE = 'bench_psql_copy';
const TIMEOUT_MS = 180_000;

export async function runCopyFormatBench(): Promise<{ psql: number; csv: number; binary: number }> {
  const rows = envInteger('BENCH_ROWS', 1_000_000, 1);
  const rounds = envInteger('BENCH_ROUNDS', 5, 1);
  const path = csvPathFor(rows);
  await generateTimeseriesCsv(path, rows);
  const url = benchDatabaseUrl();
  await ensureDatabase(url);
  const env = { ...process.env, DATABASE_URL: url };
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const times = { psql: [] as number[], csv: [] as number[], binary: [] as number[] };
  try {
    const migrate = await runTimed(process.execPath, [SLUICE_CLI, 'migrate'], { env, timeoutMs: TIMEOUT_MS });
    if (migrate.code !== 0) throw new Error(`sluice migrate: ${migrate.stderr}`);
    await db.query(`DROP TABLE IF EXISTS ${PSQL_TABLE}; CREATE TABLE ${PSQL_TABLE} (ts timestamptz, sensor_id text, value double precision, status text, reading integer, note text)`);
    const psql = psqlConnection(url);
    const psqlArgs = ['-X', '-v', 'ON_ERROR_STOP=1', ...psql.args, '-c', `\\copy ${PSQL_TABLE} FROM '${path.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true)`];
    console.log(`copy format end to end: ${fmtInt(rows)} rows, ${rounds} rounds + 1 warm-up, alternating psql \\copy / sluice csv / sluice binary`);
    for (let round = 0; round <= rounds; round++) {
      await db.query(`TRUNCATE ${PSQL_TABLE}; CHECKPOINT`);
      const a = await runTimed('psql', psqlArgs, { env: { ...psql.env }, timeoutMs: TIMEOUT_MS });
      if (a.code !== 0 || !new RegExp(`^COPY ${rows}$`, 'm').test(a.stdout)) throw new Error(`psql: ${a.stdout} ${a.stderr}`);
      if (round > 0) times.psql.push(a.ms);
      for (const format of ['csv', 'binary'] as const) {
        const dataset = `bench_copy_${format}`;
        await db.query(`DROP TABLE IF EXISTS staging.${dataset}; CHECKPOINT`);
        const run = await runTimed(process.execPath, [SLUICE_CLI, 'load', path, '--dataset', dataset, '--force', '--json', '--copy-format', format, ...sluiceTuningFlags()], { env, timeoutMs: TIMEOUT_MS });
        const summary = JSON.parse(run.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop() ?? '{}') as { status?: string; rows?: number; rejected?: number };
        if (run.code !== 0 || summary.status !== 'loaded' || summary.rows !== rows || summary.rejected !== 0) throw new Error(`sluice ${format}: ${run.stdout.slice(0, 500)} ${run.stderr.slice(0, 500)}`);
        if (round > 0) times[format].push(run.ms);
      }
      if (round > 0) console.log(`  round ${round}: psql ${times.psql.at(-1)!.toFixed(0)} ms, csv ${times.csv.at(-1)!.toFixed(0)} ms, binary ${times.binary.at(-1)!.toFixed(0)} ms`);
    }
  } finally {
    await db.end();
  }
  const result = { psql: median(times.psql), csv: median(times.csv), binary: median(times.binary) };
  console.table({
    'psql \\copy': { 'median ms': result.psql.toFixed(0), 'ratio to psql': '1.00' },
    'sluice --copy-format csv': { 'median ms': result.csv.toFixed(0), 'ratio to psql': (result.csv / result.psql).toFixed(2) },
    'sluice --copy-format binary': { 'median ms': result.binary.toFixed(0), 'ratio to psql': (result.binary / result.psql).toFixed(2) },
  });
  return result;
}

if (isMain(import.meta.url)) await runCopyFormatBench();
