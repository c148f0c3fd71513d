/**
 * Question: what do the worker stages cost end to end, and which COPY format pays for them?
 * (issue #7: default stages ≤ 1.0 × psql \copy, five rules and two transforms ≤ +10 %; issue #10:
 * the time-series pass on ≤ 2.0 × psql \copy.)
 * Per round, alternating, after one untimed warm-up round, each variant of `sluice load` of the
 * same file against `psql \copy` of it into a typed table; a CHECKPOINT (untimed) before each run;
 * medians, and each variant's ratio to psql's median. Every run is checked (psql's COPY N;
 * sluice's summary loaded / N rows / 0 rejected).
 *
 *   default       binary COPY, profile and value anomalies on (what `sluice load` does)
 *   stages off    profile and anomalies off in the configuration
 *   csv copy      the default stages, --copy-format csv
 *   rules         the default stages plus five rules and two transforms (configuration below)
 *   timeseries    the default stages plus the time-series pass (--timeseries: each sensor a series,
 *                 gaps, features and series anomalies into timeseries.* and features.*); its
 *                 summary's timeseries.duration_ms is the pass's own cost
 *
 *   node dist/bench/stage-variants-vs-psql-copy.js   (BENCH_ROWS 1,000,000, BENCH_STAGE_ROUNDS 3; SLUICE_WORKERS / _WRITERS / _CHUNK_SIZE)
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { csvPathFor, generateTimeseriesCsv } from './generate-timeseries-csv.js';
import { benchDatabaseUrl, ensureDatabase, envInteger, fmtInt, isMain, median, psqlConnection, runTimed, SLUICE_CLI, sluiceTuningFlags } from './support.js';

const PSQL_TABLE = 'bench_psql_copy';
const TIMEOUT_MS = 180_000;

/** The configuration the variants load under: one dataset per variant (the dataset picks its settings). */
const CONFIG = {
  datasets: {
    bench_stages_off: { profile: { enabled: false }, anomalies: { enabled: false } },
    bench_rules: {
      transforms: [
        { column: 'status', trim: true, case: 'upper' },
        { derive: 'value_f', expr: 'value * 1.8 + 32' },
      ],
      rules: [
        { column: 'ts', not_null: true },
        { column: 'value', range: { min: -1000, max: 1000 } },
        { column: 'status', in: ['OK', 'WARN', 'FAIL'] },
        { column: 'sensor_id', regex: '^sensor-[0-9]{4}$' },
        { column: 'note', length: { max: 200 }, severity: 'warn' },
      ],
    },
  },
};

interface Variant {
  name: string;
  dataset: string;
  flags: string[];
}

// The rules variant right after the default one: its cost is judged against the default load of
// the same round (the +10 % target), and a round's neighbours share the machine's mood.
const VARIANTS: Variant[] = [
  { name: 'default', dataset: 'bench_default', flags: [] },
  { name: 'rules', dataset: 'bench_rules', flags: [] },
  { name: 'stages off', dataset: 'bench_stages_off', flags: [] },
  { name: 'csv copy', dataset: 'bench_csv_copy', flags: ['--copy-format', 'csv'] },
  { name: 'timeseries', dataset: 'bench_timeseries', flags: ['--timeseries'] },
];

export interface StageVariantsResult {
  bench: 'stage-variants-vs-psql-copy';
  rows: number;
  rounds: number;
  psqlMs: number;
  /** ratio: median ms over psql's median ms; perRoundToDefault: the median of each round's variant / default. */
  variants: Array<{ name: string; medianMs: number; ratio: number; perRoundToDefault: number }>;
  /** The time-series pass's own duration (its summary's timeseries.duration_ms), median. */
  timeseriesPassMs: number;
}

export async function runStageVariantsBench(): Promise<StageVariantsResult> {
  const rows = envInteger('BENCH_ROWS', 1_000_000, 1);
  const rounds = envInteger('BENCH_STAGE_ROUNDS', 3, 1);
  const path = csvPathFor(rows);
  await generateTimeseriesCsv(path, rows);
  const url = benchDatabaseUrl();
  await ensureDatabase(url);
  const configPath = join(tmpdir(), `sluice-bench-stages-${process.pid}.json`);
  writeFileSync(configPath, JSON.stringify(CONFIG));
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url };
  delete env.SLUICE_DEBUG;
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const psqlTimes: number[] = [];
  const times = new Map(VARIANTS.map((v) => [v.name, [] as number[]]));
  const passTimes: number[] = [];
  try {
    const migrate = await runTimed(process.execPath, [SLUICE_CLI, 'migrate'], { env, timeoutMs: TIMEOUT_MS });
    if (migrate.code !== 0) throw new Error(`sluice migrate: ${migrate.stderr}`);
    await db.query(`DROP TABLE IF EXISTS ${PSQL_TABLE}; CREATE TABLE ${PSQL_TABLE} (ts timestamptz, sensor_id text, value double precision, status text, reading integer, note text)`);
    const psql = psqlConnection(url);
    const psqlArgs = ['-X', '-v', 'ON_ERROR_STOP=1', ...psql.args, '-c', `\\copy ${PSQL_TABLE} FROM '${path.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true)`];
    console.log(`stage variants end to end: ${fmtInt(rows)} rows, ${rounds} rounds + 1 warm-up, alternating psql \\copy / ${VARIANTS.map((v) => v.name).join(' / ')}`);
    for (let round = 0; round <= rounds; round++) {
      await db.query(`TRUNCATE ${PSQL_TABLE}; CHECKPOINT`);
      const a = await runTimed('psql', psqlArgs, { env: { ...psql.env }, timeoutMs: TIMEOUT_MS });
      if (a.code !== 0 || !new RegExp(`^COPY ${rows}$`, 'm').test(a.stdout)) throw new Error(`psql: ${a.stdout} ${a.stderr}`);
      if (round > 0) psqlTimes.push(a.ms);
      const line: string[] = [`psql ${a.ms.toFixed(0)} ms`];
      for (const variant of VARIANTS) {
        await db.query(`DROP TABLE IF EXISTS staging.${variant.dataset}, timeseries.${variant.dataset}, features.${variant.dataset}; CHECKPOINT`);
        const run = await runTimed(process.execPath, [SLUICE_CLI, 'load', path, '--dataset', variant.dataset, '--config', configPath, '--force', '--json',
          ...variant.flags, ...sluiceTuningFlags()], { env, timeoutMs: TIMEOUT_MS });
        const summary = JSON.parse(run.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop() ?? '{}') as {
          status?: string; rows?: number; rejected?: number; timeseries?: { detected: boolean; points: number; duration_ms: number } | null;
        };
        if (run.code !== 0 || summary.status !== 'loaded' || summary.rows !== rows || summary.rejected !== 0) {
          throw new Error(`sluice (${variant.name}): ${run.stdout.slice(0, 800)} ${run.stderr.slice(0, 500)}`);
        }
        if (variant.flags.includes('--timeseries')) {
          if (summary.timeseries?.detected !== true || summary.timeseries.points !== rows) throw new Error(`sluice (${variant.name}): the series pass did not run: ${JSON.stringify(summary.timeseries)}`);
          if (round > 0) passTimes.push(summary.timeseries.duration_ms);
        }
        if (round > 0) times.get(variant.name)!.push(run.ms);
        line.push(`${variant.name} ${run.ms.toFixed(0)} ms`);
      }
      console.log(`  ${round === 0 ? 'warm-up' : `round ${round}`}: ${line.join(', ')}`);
    }
  } finally {
    await db.end();
  }
  const psqlMs = median(psqlTimes);
  const defaults = times.get('default')!;
  const variants = VARIANTS.map((v) => {
    const own = times.get(v.name)!;
    return { name: v.name, medianMs: median(own), ratio: median(own) / psqlMs, perRoundToDefault: median(own.map((ms, i) => ms / defaults[i])) };
  });
  console.table(Object.fromEntries([
    ['psql \\copy', { 'median ms': psqlMs.toFixed(0), 'ratio to psql': '1.00', 'per round / default': '' }],
    ...variants.map((v) => [`sluice: ${v.name}`, { 'median ms': v.medianMs.toFixed(0), 'ratio to psql': v.ratio.toFixed(2), 'per round / default': v.perRoundToDefault.toFixed(2) }]),
    ['  of which the series pass', { 'median ms': median(passTimes).toFixed(0), 'ratio to psql': (median(passTimes) / psqlMs).toFixed(2), 'per round / default': '' }],
  ]));
  const rules = variants.find((v) => v.name === 'rules')!;
  console.log(`  five rules and two transforms over the default load, median of per-round ratios: ${((rules.perRoundToDefault - 1) * 100).toFixed(0)} % (target ≤ +10 %: ${rules.perRoundToDefault <= 1.1 ? 'MET' : 'MISSED'})`);
  return { bench: 'stage-variants-vs-psql-copy', rows, rounds, psqlMs, variants, timeseriesPassMs: median(passTimes) };
}

if (isMain(import.meta.url)) await runStageVariantsBench();
