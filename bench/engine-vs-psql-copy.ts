/**
 * Question (the headline): how does `sluice load` compare with `psql \copy` of the same file?
 *
 * In one run, alternating for BENCH_ROUNDS rounds (default 5), after one untimed warm-up round:
 *   (A) psql -c "\copy bench_psql_copy FROM '<file>' WITH (FORMAT csv, HEADER true)" into a typed
 *       table (truncated before each round, untimed);
 *   (B) node dist/src/cli.js load <file> --dataset bench_<round> --force --json, DATABASE_URL set
 *       (the previous round's staging table dropped first, untimed).
 * A CHECKPOINT (untimed) precedes every timed run so neither pays for the other's dirty pages.
 * Each run is timed with performance.now() around the child process (node start-up included) and
 * its peak RSS taken with GNU time (%M: ru_maxrss of the process, worker threads included).
 * Every run is checked: psql must report COPY N, sluice's summary must say loaded / N rows /
 * 0 rejected, and count(*) of the table must be N — otherwise the benchmark fails.
 *
 * Environment: BENCH_ROWS (1,000,000), BENCH_ROUNDS (5), BENCH_WARMUP (1), DATABASE_URL (default:
 * database sluice_bench on BENCH_ADMIN_URL, postgres://postgres@127.0.0.1:5432/postgres, created if
 * missing), SLUICE_WORKERS / SLUICE_WRITERS / SLUICE_CHUNK_SIZE (passed as CLI flags when set).
 *
 *   node dist/bench/engine-vs-psql-copy.js
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { csvPathFor, generateTimeseriesCsv } from './generate-timeseries-csv.js';
import {
  benchDatabaseUrl, ensureDatabase, envInteger, fmtInt, hasGnuTime, isMain, median, psqlConnection, redactUrl, runTimed,
  SLUICE_CLI, sluiceTuningFlags, type TimedRun,
} from './support.js';

const PSQL_TABLE = 'bench_psql_copy';
/** Issue #7: the default load (binary COPY, profile and value anomalies on) at most as long as psql \\copy. */
const RATIO_TARGET = 1.0;
const RSS_TARGET_MB = 300;
const RUN_TIMEOUT_MS = 180_000;

export interface EngineRun {
  round: number;
  ms: number;
  rssMB: number | null;
  cpuS: number | null;
  /** Share of the whole machine's CPU that was busy during the run (all processes, 0..1). */
  machineBusy: number | null;
  /** Sluice only: duration_ms from its own summary (excludes node start-up). */
  engineMs?: number;
  chunks?: number;
}

export interface EngineBenchResult {
  bench: 'engine-vs-psql-copy';
  file: string;
  rows: number;
  bytes: number;
  rounds: number;
  flags: string[];
  psql: EngineRun[];
  sluice: EngineRun[];
  medianPsqlMs: number;
  medianSluiceMs: number;
  /** median(B) / median(A). */
  ratio: number;
  /** Median of the per-round B/A ratios. */
  ratioPerRoundMedian: number;
  ratioTarget: number;
  psqlRowsPerSecond: number;
  sluiceRowsPerSecond: number;
  peakSluiceRssMB: number | null;
  medianSluiceRssMB: number | null;
  peakPsqlRssMB: number | null;
  rssTargetMB: number;
  rssMethod: string;
}

function fail(message: string): never {
  throw new Error(`engine-vs-psql-copy: ${message}`);
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
function cpuJiffies(): { busy: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = fields[3] + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

async function measured(run: () => Promise<TimedRun>): Promise<{ result: TimedRun; machineBusy: number | null }> {
  const before = cpuJiffies();
  const result = await run();
  const after = cpuJiffies();
  const machineBusy = before !== null && after !== null && after.total > before.total ? (after.busy - before.busy) / (after.total - before.total) : null;
  return { result, machineBusy };
}

function toMB(kib: number | null): number | null {
  return kib === null ? null : kib / 1024;
}

function cpuOf(run: TimedRun): number | null {
  return run.userS === null || run.systemS === null ? null : run.userS + run.systemS;
}

function describeFailure(what: string, run: TimedRun): string {
  return `${what} exited with ${run.code ?? run.signal}\n--- stdout ---\n${run.stdout.slice(-4000)}\n--- stderr ---\n${run.stderr.slice(-4000)}`;
}

export interface EngineBenchOptions {
  log?: (line: string) => void;
  /**
   * Other files than the generated time-series CSV (bench/encoding-windows-1252.ts): psql copies
   * `psqlPath`, sluice loads `sluicePath` — the same rows, in another encoding, say.
   */
  input?: { psqlPath: string; sluicePath: string; rows: number; bytes: number };
  /** Fail unless sluice's summary reports this encoding. */
  expectEncoding?: string;
}

export async function runEngineBench(options: EngineBenchOptions = {}): Promise<EngineBenchResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const rounds = envInteger('BENCH_ROUNDS', 5, 1);
  const warmups = envInteger('BENCH_WARMUP', 1, 0);
  const flags = sluiceTuningFlags();
  let input = options.input;
  if (input === undefined) {
    const wanted = envInteger('BENCH_ROWS', 1_000_000, 1);
    const generated = await generateTimeseriesCsv(csvPathFor(wanted), wanted);
    input = { psqlPath: generated.path, sluicePath: generated.path, rows: generated.rows, bytes: generated.bytes };
  }
  const rows = input.rows;
  const csv = { path: input.sluicePath, bytes: input.bytes };
  const url = benchDatabaseUrl();
  await ensureDatabase(url);
  const psql = psqlConnection(url);
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url };
  delete childEnv.SLUICE_DEBUG;

  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const count = async (table: string): Promise<number> => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

  try {
    // Untimed set-up: migrations (so the first timed run does not apply them), the psql table, and
    // no staging tables left over from an earlier run of the benchmark.
    const migrate = await runTimed(process.execPath, [SLUICE_CLI, 'migrate'], { env: childEnv, timeoutMs: RUN_TIMEOUT_MS });
    if (migrate.code !== 0) fail(describeFailure('sluice migrate', migrate));
    await db.query(`DROP TABLE IF EXISTS ${PSQL_TABLE}`);
    await db.query(`CREATE TABLE ${PSQL_TABLE} (ts timestamptz, sensor_id text, value double precision, status text, reading integer, note text)`);
    const leftovers = await db.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'staging' AND tablename ~ '^bench_[0-9]+$'`);
    for (const { t } of leftovers.rows) await db.query(`DROP TABLE staging.${pg.escapeIdentifier(t)}`);

    const copyCommand = `\\copy ${PSQL_TABLE} FROM '${input.psqlPath.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true)`;
    const psqlArgs = ['-X', '-v', 'ON_ERROR_STOP=1', ...psql.args, '-c', copyCommand];

    log(`engine vs psql \\copy: ${fmtInt(rows)} rows, ${(csv.bytes / 1e6).toFixed(1)} MB (${csv.path}${input.psqlPath !== csv.path ? `; psql copies ${input.psqlPath}` : ''})`);
    log(`  database ${redactUrl(url)}; ${rounds} rounds + ${warmups} warm-up, alternating A (psql \\copy) / B (sluice load${flags.length > 0 ? ` ${flags.join(' ')}` : ''})`);
    log(`  peak RSS: ${hasGnuTime() ? 'GNU time %M (ru_maxrss, all threads)' : '/proc/<pid>/status VmHWM polled every 20 ms'}`);

    const psqlRuns: EngineRun[] = [];
    const sluiceRuns: EngineRun[] = [];
    for (let round = 1 - warmups; round <= rounds; round++) {
      const label = round <= 0 ? `warm-up ${round + warmups}` : `round ${round}/${rounds}`;

      // (A) psql \copy
      await db.query(`TRUNCATE ${PSQL_TABLE}`);
      await db.query('CHECKPOINT');
      const a = await measured(() => runTimed('psql', psqlArgs, { env: { ...psql.env }, timeoutMs: RUN_TIMEOUT_MS }));
      if (a.result.code !== 0) fail(describeFailure('psql \\copy', a.result));
      if (!new RegExp(`^COPY ${rows}$`, 'm').test(a.result.stdout)) fail(`psql did not report COPY ${rows}: ${a.result.stdout.trim()}`);
      const psqlCount = await count(PSQL_TABLE);
      if (psqlCount !== rows) fail(`${PSQL_TABLE} holds ${psqlCount} rows, expected ${rows}`);

      // (B) sluice load
      const dataset = `bench_${Math.max(0, round)}`;
      await db.query(`DROP TABLE IF EXISTS staging.${pg.escapeIdentifier(dataset)}`);
      if (round >= 1) await db.query(`DROP TABLE IF EXISTS staging.${pg.escapeIdentifier(`bench_${Math.max(0, round - 1)}`)}`);
      await db.query('CHECKPOINT');
      const b = await measured(() => runTimed(process.execPath, [SLUICE_CLI, 'load', csv.path, '--dataset', dataset, '--force', '--json', ...flags],
        { env: childEnv, timeoutMs: RUN_TIMEOUT_MS }));
      if (b.result.code !== 0) fail(describeFailure('sluice load', b.result));
      const lines = b.result.stdout.trim().split('\n').filter((l) => l.startsWith('{'));
      if (lines.length === 0) fail(describeFailure('sluice load printed no JSON summary', b.result));
      const summary = JSON.parse(lines[lines.length - 1]) as { status: string; rows: number; rejected: number; table: string | null; encoding: string | null; duration_ms: number; chunks: { total: number } | null; error: unknown };
      if (summary.status !== 'loaded' || summary.rows !== rows || summary.rejected !== 0) {
        fail(`sluice summary: status ${summary.status}, rows ${summary.rows}, rejected ${summary.rejected} (expected loaded, ${rows}, 0): ${JSON.stringify(summary.error)}`);
      }
      if (options.expectEncoding !== undefined && summary.encoding !== options.expectEncoding) fail(`sluice read the file as ${summary.encoding}, expected ${options.expectEncoding}`);
      const sluiceCount = await count(`staging.${pg.escapeIdentifier(dataset)}`);
      if (sluiceCount !== rows) fail(`staging.${dataset} holds ${sluiceCount} rows, expected ${rows}`);

      const runA: EngineRun = { round, ms: a.result.ms, rssMB: toMB(a.result.maxRssKiB), cpuS: cpuOf(a.result), machineBusy: a.machineBusy };
      const runB: EngineRun = {
        round, ms: b.result.ms, rssMB: toMB(b.result.maxRssKiB), cpuS: cpuOf(b.result), machineBusy: b.machineBusy,
        engineMs: summary.duration_ms, chunks: summary.chunks?.total,
      };
      log(`  ${label.padEnd(12)} A psql ${(runA.ms / 1000).toFixed(2)} s   B sluice ${(runB.ms / 1000).toFixed(2)} s   B/A ${(runB.ms / runA.ms).toFixed(2)}`
        + `   sluice RSS ${runB.rssMB?.toFixed(0) ?? '?'} MB${round <= 0 ? '   (not counted)' : ''}`);
      if (round >= 1) {
        psqlRuns.push(runA);
        sluiceRuns.push(runB);
      }
    }
    // Leave the last round's table for inspection? No: the suite cleans up after itself.
    await db.query(`DROP TABLE IF EXISTS staging.${pg.escapeIdentifier(`bench_${rounds}`)}`);
    await db.query(`TRUNCATE ${PSQL_TABLE}`);

    const medianPsqlMs = median(psqlRuns.map((r) => r.ms));
    const medianSluiceMs = median(sluiceRuns.map((r) => r.ms));
    const rss = sluiceRuns.map((r) => r.rssMB).filter((v): v is number => v !== null);
    const psqlRss = psqlRuns.map((r) => r.rssMB).filter((v): v is number => v !== null);
    const result: EngineBenchResult = {
      bench: 'engine-vs-psql-copy', file: csv.path, rows, bytes: csv.bytes, rounds, flags,
      psql: psqlRuns, sluice: sluiceRuns, medianPsqlMs, medianSluiceMs,
      ratio: medianSluiceMs / medianPsqlMs,
      ratioPerRoundMedian: median(sluiceRuns.map((r, i) => r.ms / psqlRuns[i].ms)),
      ratioTarget: RATIO_TARGET,
      psqlRowsPerSecond: rows / (medianPsqlMs / 1000),
      sluiceRowsPerSecond: rows / (medianSluiceMs / 1000),
      peakSluiceRssMB: rss.length > 0 ? Math.max(...rss) : null,
      medianSluiceRssMB: rss.length > 0 ? median(rss) : null,
      peakPsqlRssMB: psqlRss.length > 0 ? Math.max(...psqlRss) : null,
      rssTargetMB: RSS_TARGET_MB,
      rssMethod: hasGnuTime() ? 'gnu-time-maxrss' : 'proc-vmhwm-poll',
    };
    printTable(result, log);
    return result;
  } finally {
    await db.end();
  }
}

function printTable(r: EngineBenchResult, log: (line: string) => void): void {
  const s = (ms: number): string => (ms / 1000).toFixed(2);
  const pct = (v: number | null): string => (v === null ? '?' : `${Math.round(v * 100)}%`);
  const num = (v: number | null | undefined, d = 0): string => (v === null || v === undefined ? '?' : v.toFixed(d));
  log('');
  log('  round   A psql s  B sluice s    B/A   sluice engine s  chunks  sluice RSS MB  psql RSS MB  sluice CPU s  psql CPU s  busy A  busy B');
  for (let i = 0; i < r.sluice.length; i++) {
    const a = r.psql[i];
    const b = r.sluice[i];
    log(`  ${String(b.round).padStart(5)}  ${s(a.ms).padStart(9)}  ${s(b.ms).padStart(10)}  ${(b.ms / a.ms).toFixed(2).padStart(5)}  ${s(b.engineMs ?? Number.NaN).padStart(16)}`
      + `  ${String(b.chunks ?? '?').padStart(6)}  ${num(b.rssMB).padStart(13)}  ${num(a.rssMB).padStart(11)}  ${num(b.cpuS, 2).padStart(12)}  ${num(a.cpuS, 2).padStart(10)}`
      + `  ${pct(a.machineBusy).padStart(6)}  ${pct(b.machineBusy).padStart(6)}`);
  }
  log(`  median  ${s(r.medianPsqlMs).padStart(9)}  ${s(r.medianSluiceMs).padStart(10)}  ${r.ratio.toFixed(2).padStart(5)}  ${s(median(r.sluice.map((x) => x.engineMs ?? Number.NaN))).padStart(16)}`);
  log('');
  log(`  ratio B/A (median B / median A): ${r.ratio.toFixed(2)}  (median of per-round ratios ${r.ratioPerRoundMedian.toFixed(2)})  target ≤ ${r.ratioTarget}: ${r.ratio <= r.ratioTarget ? 'MET' : 'MISSED'}`);
  log(`  throughput: psql \\copy ${fmtInt(r.psqlRowsPerSecond)} rows/s (${(r.bytes / 1e6 / (r.medianPsqlMs / 1000)).toFixed(1)} MB/s), `
    + `sluice load ${fmtInt(r.sluiceRowsPerSecond)} rows/s (${(r.bytes / 1e6 / (r.medianSluiceMs / 1000)).toFixed(1)} MB/s)`);
  log(`  sluice peak RSS: ${num(r.peakSluiceRssMB)} MB max, ${num(r.medianSluiceRssMB)} MB median  target < ${r.rssTargetMB} MB: `
    + `${r.peakSluiceRssMB === null ? 'UNKNOWN' : r.peakSluiceRssMB < r.rssTargetMB ? 'MET' : 'MISSED'}   (psql peak RSS ${num(r.peakPsqlRssMB)} MB)`);
}

if (isMain(import.meta.url)) {
  const result = await runEngineBench();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
