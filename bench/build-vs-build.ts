/**
 * Question: is this build's `sluice load` faster than an earlier build's, and by how much? Asked
 * in one run, because this machine's speed drifts by a third through a day and two `make bench`
 * runs of the same code differ by ±0.1 in their ratio to psql: a change of a few percent only
 * shows against its base measured alongside it.
 *
 * BENCH_BASE (a git ref, default HEAD~1) is checked out into a temporary worktree and compiled
 * into .bench-base-<commit>/ (node_modules shared with this checkout). Then, for BENCH_ROUNDS
 * rounds (default 8) after one untimed warm-up, alternating in each round:
 *   (A) psql \copy of the file into a typed table (truncated first);
 *   (B) the base build's `sluice load`;
 *   (C) this build's `sluice load` (dist/);
 * each after its table is dropped and a CHECKPOINT, timed from outside (node start-up included),
 * and checked (loaded, every row). Printed: medians, C/B per round and its median, both against A.
 *
 *   BENCH_BASE=86c902d node dist/bench/build-vs-build.js      (DATABASE_URL as for make bench)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { csvPathFor, generateTimeseriesCsv } from './generate-timeseries-csv.js';
import {
  benchDatabaseUrl, ensureDatabase, envInteger, isMain, median, PROJECT_ROOT, psqlConnection, runTimed, SLUICE_CLI, type TimedRun,
} from './support.js';

const PSQL_TABLE = 'bench_psql_copy';
const DATASET = 'bench_build';
const RUN_TIMEOUT_MS = 180_000;

export interface BuildFigures {
  base: string;
  rounds: number;
  psqlMs: number;
  baseMs: number;
  currentMs: number;
  /** Median over rounds of current / base. */
  perRoundCurrentToBase: number;
}

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
}

/**
 * The base build's CLI: compiled once per commit into .bench-base-<commit>/ (kept for later runs),
 * a sibling of dist/: the build finds sql/ and package.json at the same depth as dist/ does.
 */
function baseCli(ref: string): { commit: string; cli: string } {
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  const out = join(PROJECT_ROOT, `.bench-base-${commit.slice(0, 12)}`);
  const cli = join(out, 'src/cli.js');
  if (existsSync(cli)) return { commit, cli };
  const tree = mkdtempSync(join(tmpdir(), 'sluice-base-'));
  try {
    git('worktree', 'add', '--detach', tree, commit);
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(tree, 'node_modules'));
    execFileSync(process.execPath, [join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(tree, 'tsconfig.json'), '--outDir', out], { stdio: 'inherit' });
  } finally {
    git('worktree', 'remove', '--force', tree);
    rmSync(tree, { recursive: true, force: true });
  }
  return { commit, cli };
}

function loaded(run: TimedRun, rows: number): boolean {
  if (run.code !== 0) return false;
  const summary = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as { status?: string; rows?: number; rejected?: number };
  return summary.status === 'loaded' && summary.rows === rows && summary.rejected === 0;
}

export async function runBuildVsBuildBench(options: { log?: (line: string) => void } = {}): Promise<BuildFigures> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const rows = envInteger('BENCH_ROWS', 1_000_000, 1);
  const rounds = envInteger('BENCH_ROUNDS', 8, 1);
  const csv = await generateTimeseriesCsv(csvPathFor(rows), rows);
  const base = baseCli(process.env.BENCH_BASE || 'HEAD~1');
  const url = benchDatabaseUrl();
  await ensureDatabase(url);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const psql = psqlConnection(url);
  const env = { ...process.env, DATABASE_URL: url };
  const runs: Record<'psql' | 'base' | 'current', number[]> = { psql: [], base: [], current: [] };
  try {
    await db.query(`DROP TABLE IF EXISTS ${PSQL_TABLE}`);
    await db.query(`CREATE TABLE ${PSQL_TABLE} (ts timestamptz, sensor_id text, value double precision, status text, reading integer, note text)`);
    log(`build vs build: ${base.commit.slice(0, 10)} (B) against this build (C), psql \\copy (A); ${rounds} rounds + 1 warm-up, ${csv.path}`);
    for (let round = 0; round <= rounds; round++) {
      const ms: Record<string, number> = {};
      for (const who of ['psql', 'base', 'current'] as const) {
        await db.query(`TRUNCATE ${PSQL_TABLE}`);
        await db.query(`DROP TABLE IF EXISTS staging.${DATASET}`);
        await db.query('CHECKPOINT');
        const run = who === 'psql'
          ? await runTimed('psql', [...psql.args, '-c', `\\copy ${PSQL_TABLE} FROM '${csv.path}' WITH (FORMAT csv, HEADER true)`], { env: psql.env, timeoutMs: RUN_TIMEOUT_MS })
          : await runTimed(process.execPath, [who === 'base' ? base.cli : SLUICE_CLI, 'load', csv.path, '--dataset', DATASET, '--force', '--json'], { env, timeoutMs: RUN_TIMEOUT_MS });
        if (who === 'psql' ? run.code !== 0 : !loaded(run, rows)) throw new Error(`build-vs-build: the ${who} run failed: ${run.stderr.slice(-500)}`);
        ms[who] = run.ms;
        if (round > 0) runs[who].push(run.ms);
      }
      log(`  ${round === 0 ? 'warm-up' : `round ${round}/${rounds}`}  A psql ${(ms.psql / 1000).toFixed(2)} s  B base ${(ms.base / 1000).toFixed(2)} s  C this ${(ms.current / 1000).toFixed(2)} s  C/B ${(ms.current / ms.base).toFixed(3)}`);
    }
  } finally {
    await db.query(`DROP TABLE IF EXISTS staging.${DATASET}`).catch(() => undefined);
    await db.end();
  }
  const figures: BuildFigures = {
    base: base.commit, rounds, psqlMs: median(runs.psql), baseMs: median(runs.base), currentMs: median(runs.current),
    perRoundCurrentToBase: median(runs.current.map((c, i) => c / runs.base[i])),
  };
  log(`  medians: psql ${(figures.psqlMs / 1000).toFixed(2)} s, base ${(figures.baseMs / 1000).toFixed(2)} s (${(figures.baseMs / figures.psqlMs).toFixed(2)} × psql), `
    + `this ${(figures.currentMs / 1000).toFixed(2)} s (${(figures.currentMs / figures.psqlMs).toFixed(2)} × psql); this / base per round: median ${figures.perRoundCurrentToBase.toFixed(3)}`);
  return figures;
}

if (isMain(import.meta.url)) {
  const figures = await runBuildVsBuildBench();
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ bench: 'build-vs-build', ...figures })}\n`);
}
