/**
 * Question: where does one `sluice load` of the benchmark file spend its time?
 *
 * One load (not a timing figure: the profiler slows it down), after one psql \copy of the same
 * file as a reference for the PostgreSQL side, with:
 *   - `node --cpu-prof`: a V8 CPU profile per thread (main + each piscina worker); the hottest
 *     functions by self time are printed per thread;
 *   - a `top -H`-like sampler (every 20 ms): CPU seconds of every thread of the sluice process from
 *     /proc/<pid>/task/<tid>/stat, and of every PostgreSQL process (the COPY backends that parse and
 *     insert, the WAL writer, the checkpointer) from the postmaster's children;
 *   - the machine's busy share from /proc/stat, so a saturated 2-core box is visible as such.
 *
 *   BENCH_PROFILE_DIR=dir keeps the .cpuprofile files (open them in Chrome DevTools).
 *   node dist/bench/profile-sluice-load.js
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pg from 'pg';
import { csvPathFor, generateTimeseriesCsv } from './generate-timeseries-csv.js';
import { benchDatabaseUrl, ensureDatabase, envInteger, fmtInt, isMain, psqlConnection, runTimed, SLUICE_CLI, sluiceTuningFlags } from './support.js';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const TOP_FUNCTIONS = 12;

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  name: string;
  selfMs: number;
  share: number;
}

/** Functions whose first and last appearance on a stack mark the phases of a load. */
const MARKERS = ['sha256File', 'sniffFile', 'ensureStagingTable', 'runEncodeTask', 'copyIn', 'completeFile'];

export interface ThreadProfile {
  file: string;
  thread: string;
  /** ms since the profile started: first and last sample with the marker function on the stack. */
  phases: { name: string; firstMs: number; lastMs: number }[];
  durationMs: number;
  /** Sampled time not idle, ms. */
  busyMs: number;
  idleMs: number;
  top: HotFunction[];
}

export interface ProfileResult {
  bench: 'profile-sluice-load';
  wallMs: number;
  engineMs: number | null;
  machineBusy: number | null;
  threads: { tid: number; name: string; cpuS: number }[];
  postgres: PostgresCpu[];
  /** The same sampling around one psql \copy of the file. */
  psqlReference: { wallMs: number; psqlCpuS: number; postgres: PostgresCpu[] };
  profiles: ThreadProfile[];
}

function shortUrl(url: string): string {
  if (url === '') return '';
  const at = url.indexOf('/dist/');
  if (at !== -1) return url.slice(at + 1);
  const nm = url.indexOf('/node_modules/');
  if (nm !== -1) return url.slice(nm + 14);
  return url.replace(/^file:\/\//, '').replace(/^node:/, 'node:');
}

/** Self time per function (name + location) from a .cpuprofile. */
export function summariseProfile(path: string): ThreadProfile {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const phases = new Map<string, { firstMs: number; lastMs: number }>();
  const self = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  let clockUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const delta = profile.timeDeltas[i] ?? 0;
    clockUs += delta;
    if (node === undefined) continue;
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const name = byId.get(id)?.callFrame.functionName ?? '';
      if (!MARKERS.includes(name)) continue;
      const at = clockUs / 1000;
      const phase = phases.get(name);
      if (phase === undefined) phases.set(name, { firstMs: at, lastMs: at });
      else phase.lastMs = at;
    }
    const { functionName, url, lineNumber } = node.callFrame;
    // piscina workers block in Atomics.wait inside atomicsWaitLoop: waiting for a task, not working.
    if (functionName === '(idle)' || functionName === 'atomicsWaitLoop') { idleUs += delta; continue; }
    busyUs += delta;
    const where = shortUrl(url);
    const key = `${functionName || '(anonymous)'}${where !== '' ? `  ${where}:${lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + delta);
  }
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP_FUNCTIONS)
    .map(([name, us]) => ({ name, selfMs: us / 1000, share: busyUs > 0 ? us / busyUs : 0 }));
  // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: thread id 0 is the main thread.
  const threadId = basename(path).split('.')[4];
  return {
    file: path, thread: threadId === '0' ? 'main thread' : `worker thread ${threadId}`,
    phases: MARKERS.filter((m) => phases.has(m)).map((m) => ({ name: m, ...phases.get(m)! })),
    durationMs: (profile.endTime - profile.startTime) / 1000, busyMs: busyUs / 1000, idleMs: idleUs / 1000, top,
  };
}

function readStatTicks(path: string): number | null {
  try {
    const text = readFileSync(path, 'utf8');
    // Fields after the parenthesised command: state is field 3, utime 14, stime 15.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return null;
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

function cpuJiffies(): { busy: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - fields[3] - (fields[4] ?? 0), total };
  } catch {
    return null;
  }
}

const PSQL_REFERENCE_TABLE = 'bench_profile_psql';

export interface PostgresCpu {
  pid: number;
  what: string;
  cpuS: number;
}

/** This session's backend and its parent, the postmaster (undefined when the server is not on this machine's /proc). */
export async function postmasterOf(db: pg.ClientBase): Promise<{ backend: number; postmaster: number | undefined }> {
  const backend = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const ppid = /PPid:\s+(\d+)/.exec(readText(`/proc/${backend}/status`));
  return { backend, postmaster: ppid === null ? undefined : Number(ppid[1]) };
}

/** CPU of the postmaster's children (backends, WAL writer, checkpointer) over a run, from /proc. */
export class PostgresSampler {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, { what: string; ticks: number }>();

  constructor(private readonly postmaster: number | undefined, private readonly ignore: number) {}

  tick(): void {
    if (this.postmaster === undefined) return;
    const children = readText(`/proc/${this.postmaster}/task/${this.postmaster}/children`).split(/\s+/).filter(Boolean).map(Number);
    for (const pid of children) {
      if (pid === this.ignore) continue;
      const ticks = readStatTicks(`/proc/${pid}/stat`);
      if (ticks === null) continue;
      const what = readText(`/proc/${pid}/cmdline`).replace(/^postgres:\s*(\S+\/\S+:\s*)?/, '').replace(/127\.0\.0\.1\(\d+\)\s*/, '');
      const previous = this.last.get(pid);
      // Keep the most descriptive label a backend had (COPY rather than idle).
      const keepLabel = previous !== undefined && previous.what !== '' && (what === '' || / idle( in transaction)?$/.test(what));
      this.last.set(pid, { what: keepLabel ? previous.what : what, ticks });
    }
  }

  /** Processes seen so far only count what they use from now on. */
  baseline(): void {
    for (const [pid, { ticks }] of this.last) this.first.set(pid, ticks);
  }

  result(): PostgresCpu[] {
    return [...this.last.entries()].map(([pid, p]) => ({ pid, what: p.what, cpuS: (p.ticks - (this.first.get(pid) ?? 0)) / TICKS_PER_SECOND }))
      .filter((p) => p.cpuS > 0).sort((a, b) => b.cpuS - a.cpuS);
  }
}

export async function runProfile(options: { log?: (line: string) => void } = {}): Promise<ProfileResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const rows = envInteger('BENCH_ROWS', 1_000_000, 1);
  const csv = await generateTimeseriesCsv(csvPathFor(rows), rows);
  const url = benchDatabaseUrl();
  await ensureDatabase(url);
  const keep = process.env.BENCH_PROFILE_DIR;
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'sluice-prof-'));
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const dataset = 'bench_profile';
  try {
    const { backend, postmaster } = await postmasterOf(db);
    await db.query(`DROP TABLE IF EXISTS staging.${dataset}`);
    await db.query('CHECKPOINT');

    const threadLast = new Map<number, { name: string; ticks: number }>();
    const sampler = new PostgresSampler(postmaster, backend);

    // Reference: the PostgreSQL CPU that psql \copy of the same file costs (same sampler).
    const psqlSampler = new PostgresSampler(postmaster, backend);
    await db.query(`DROP TABLE IF EXISTS ${PSQL_REFERENCE_TABLE}`);
    await db.query(`CREATE TABLE ${PSQL_REFERENCE_TABLE} (ts timestamptz, sensor_id text, value double precision, status text, reading integer, note text)`);
    await db.query('CHECKPOINT');
    const psql = psqlConnection(url);
    psqlSampler.tick();
    psqlSampler.baseline();
    const reference = await runTimed('psql', ['-X', '-v', 'ON_ERROR_STOP=1', ...psql.args, '-c',
      `\\copy ${PSQL_REFERENCE_TABLE} FROM '${csv.path.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true)`],
    { env: psql.env, timeoutMs: 300_000, onTick: () => psqlSampler.tick() });
    psqlSampler.tick();
    if (reference.code !== 0) throw new Error(`psql reference run failed: ${reference.stderr}`);
    await db.query(`DROP TABLE ${PSQL_REFERENCE_TABLE}`);
    await db.query('CHECKPOINT');

    // Processes that exist before the load only count what they use during it.
    sampler.tick();
    sampler.baseline();
    const before = cpuJiffies();
    const run = await runTimed(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, SLUICE_CLI, 'load', csv.path, '--dataset', dataset, '--force', '--json', ...sluiceTuningFlags()], {
      env: { ...process.env, DATABASE_URL: url }, timeoutMs: 300_000,
      onTick: (pid) => {
        for (const tid of readdirSync(`/proc/${pid}/task`, { withFileTypes: false }).map(Number)) {
          const ticks = readStatTicks(`/proc/${pid}/task/${tid}/stat`);
          if (ticks !== null) threadLast.set(tid, { name: tid === pid ? 'main' : readText(`/proc/${pid}/task/${tid}/comm`), ticks });
        }
        sampler.tick();
      },
    });
    sampler.tick();
    const after = cpuJiffies();
    if (run.code !== 0) throw new Error(`profile run failed (${run.code}): ${run.stderr.slice(-2000)}`);
    const summary = JSON.parse(run.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop() ?? '{}') as { status?: string; rows?: number; duration_ms?: number };
    if (summary.status !== 'loaded' || summary.rows !== rows) throw new Error(`profile run: status ${summary.status}, rows ${summary.rows}`);
    await db.query(`DROP TABLE IF EXISTS staging.${dataset}`);

    const profiles = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().map((f) => summariseProfile(join(dir, f)));
    const result: ProfileResult = {
      bench: 'profile-sluice-load',
      wallMs: run.ms,
      engineMs: summary.duration_ms ?? null,
      machineBusy: before !== null && after !== null ? (after.busy - before.busy) / (after.total - before.total) : null,
      threads: [...threadLast.entries()].map(([tid, t]) => ({ tid, name: t.name, cpuS: t.ticks / TICKS_PER_SECOND }))
        .filter((t) => t.cpuS > 0).sort((a, b) => b.cpuS - a.cpuS),
      postgres: sampler.result(),
      psqlReference: { wallMs: reference.ms, psqlCpuS: (reference.userS ?? 0) + (reference.systemS ?? 0), postgres: psqlSampler.result() },
      profiles,
    };

    log(`profile of one sluice load (--cpu-prof; slower than an unprofiled run): ${fmtInt(rows)} rows`);
    log(`  wall ${(result.wallMs / 1000).toFixed(2)} s, engine duration_ms ${result.engineMs}, machine busy ${result.machineBusy === null ? '?' : `${Math.round(result.machineBusy * 100)}%`} of ${readText('/proc/cpuinfo').split('\n').filter((l) => l.startsWith('processor')).length} CPUs`);
    const nodeTotal = result.threads.reduce((s, t) => s + t.cpuS, 0);
    log(`  sluice process CPU by thread (sampled /proc, ${nodeTotal.toFixed(2)} s total): `
      + result.threads.map((t) => `${t.name}/${t.tid} ${t.cpuS.toFixed(2)} s`).join(', '));
    const pgTotal = result.postgres.reduce((s, p) => s + p.cpuS, 0);
    log(`  PostgreSQL CPU by process (${pgTotal.toFixed(2)} s total): ${result.postgres.map((p) => `[${p.what}] ${p.cpuS.toFixed(2)} s`).join(', ')}`);
    const ref = result.psqlReference;
    log(`  reference psql \\copy of the same file: wall ${(ref.wallMs / 1000).toFixed(2)} s, psql CPU ${ref.psqlCpuS.toFixed(2)} s, PostgreSQL CPU `
      + `${ref.postgres.reduce((s, p) => s + p.cpuS, 0).toFixed(2)} s (${ref.postgres.map((p) => `[${p.what}] ${p.cpuS.toFixed(2)} s`).join(', ')})`);
    for (const p of profiles) {
      log(`  ${p.thread}: ${(p.busyMs / 1000).toFixed(2)} s busy in the profile, ${(p.idleMs / 1000).toFixed(2)} s idle or waiting for a task; hottest by self time:`);
      if (p.phases.length > 0) {
        log(`    phases (ms since the thread's profile began, of ${p.durationMs.toFixed(0)}): `
          + p.phases.map((ph) => `${ph.name} ${ph.firstMs.toFixed(0)}–${ph.lastMs.toFixed(0)}`).join(', '));
      }
      for (const f of p.top) log(`      ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name}`);
    }
    if (keep !== undefined) log(`  profiles kept in ${dir}`);
    return result;
  } finally {
    await db.end();
    if (keep === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const result = await runProfile();
  process.stdout.write(`${JSON.stringify({ ...result, profiles: result.profiles.map((p) => ({ ...p, file: basename(p.file) })) })}\n`);
}
