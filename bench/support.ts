/**
 * Shared pieces of the benchmark suite (like piscina's benchmark/simple/utils.js): environment
 * options, statistics, the benchmark database, and timing a child process with its peak RSS.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** The project root (dist/bench/support.js → ../..). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SLUICE_CLI = join(PROJECT_ROOT, 'dist/src/cli.js');

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function envInteger(name: string, fallback: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return value;
}

/** True when this module is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

// ── database ──────────────────────────────────────────────────────────────────────────────────

export const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const BENCH_DATABASE = 'sluice_bench';

export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** DATABASE_URL when set, else the dedicated `sluice_bench` database on the admin URL's server. */
export function benchDatabaseUrl(): string {
  return process.env.DATABASE_URL || withDatabase(ADMIN_URL, BENCH_DATABASE);
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** Creates the benchmark database (through the admin URL's database) unless it exists. */
export async function ensureDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
}

/** psql's connection flags for a URL (`-h -p -U -d`); a password goes through PGPASSWORD. */
export function psqlConnection(url: string): { args: string[]; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const args = ['-h', u.hostname || '127.0.0.1', '-p', u.port || '5432', '-U', decodeURIComponent(u.username || 'postgres'),
    '-d', decodeURIComponent(u.pathname.replace(/^\//, '') || 'postgres')];
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (u.password !== '') env.PGPASSWORD = decodeURIComponent(u.password);
  return { args, env };
}

// ── child processes ───────────────────────────────────────────────────────────────────────────

export interface TimedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Wall time around the child (spawn → exit), ms. */
  ms: number;
  /** Peak resident set of the child, KiB (null when it could not be measured). */
  maxRssKiB: number | null;
  /** CPU seconds of the child, all its threads (null without GNU time). */
  userS: number | null;
  systemS: number | null;
  stdout: string;
  stderr: string;
  /** The PID of the measured process (the command itself, not the time wrapper), when known. */
  pid: number | undefined;
}

let gnuTime: boolean | undefined;

/** GNU time is usable when /usr/bin/time exists and understands -f/-o. */
export function hasGnuTime(): boolean {
  if (gnuTime === undefined) {
    gnuTime = false;
    if (existsSync('/usr/bin/time')) {
      const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
      try {
        const probe = spawnSync('/usr/bin/time', ['-f', '%M', '-o', join(dir, 'rss'), 'true']);
        gnuTime = probe.status === 0 && /^\d+\s*$/.test(readFileSync(join(dir, 'rss'), 'utf8'));
      } catch {
        gnuTime = false;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return gnuTime;
}

function readVmHwmKiB(pid: number): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? null : Number(match[1]);
  } catch {
    return null;
  }
}

/** The child of `pid` (GNU time's child is the measured command). */
function firstChild(pid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return children.length > 0 ? Number(children[0]) : undefined;
  } catch {
    return undefined;
  }
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the child after this many ms (the suite must end by itself). */
  timeoutMs?: number;
  /** Called every 20 ms while the child runs, with the measured PID once known. */
  onTick?: (pid: number) => void;
}

/**
 * Runs a command and times it with performance.now() around the child. Peak RSS comes from GNU
 * time (`-f %M`, the child's ru_maxrss: every thread of the process, worker threads included),
 * or, without it, from polling /proc/<pid>/status VmHWM every 20 ms.
 */
export function runTimed(command: string, args: string[], options: RunOptions = {}): Promise<TimedRun> {
  const useTime = hasGnuTime();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const timeFile = join(dir, 'time');
  const [file, argv] = useTime ? ['/usr/bin/time', ['-f', '%M %U %S', '-o', timeFile, command, ...args]] : [command, args];
  return new Promise((resolveRun, reject) => {
    const started = performance.now();
    const child = spawn(file, argv, { env: options.env ?? process.env, cwd: options.cwd ?? PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let measured: number | undefined = useTime ? undefined : child.pid;
    let polledRss: number | null = null;
    const poll = setInterval(() => {
      if (measured === undefined && child.pid !== undefined) measured = firstChild(child.pid);
      if (measured === undefined) return;
      if (!useTime) polledRss = readVmHwmKiB(measured) ?? polledRss;
      // The process may exit between two reads of /proc: a tick that fails is just skipped.
      try { options.onTick?.(measured); } catch { /* gone */ }
    }, 20);
    const timer = options.timeoutMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', (error) => { clearInterval(poll); if (timer) clearTimeout(timer); reject(error); });
    child.on('close', (code, signal) => {
      const ms = performance.now() - started;
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      let maxRssKiB = polledRss;
      let userS: number | null = null;
      let systemS: number | null = null;
      if (useTime) {
        try {
          // GNU time writes "Command exited with non-zero status N" first when the command fails.
          const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
          const [rss, user, sys] = lines[lines.length - 1].trim().split(/\s+/).map(Number);
          maxRssKiB = Number.isFinite(rss) ? rss : null;
          userS = Number.isFinite(user) ? user : null;
          systemS = Number.isFinite(sys) ? sys : null;
        } catch { /* leave null */ }
      }
      rmSync(dir, { recursive: true, force: true });
      resolveRun({
        code, signal, ms, maxRssKiB, userS, systemS, pid: measured,
        stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** `sluice load` flags from SLUICE_WORKERS / SLUICE_WRITERS / SLUICE_CHUNK_SIZE, when set. */
export function sluiceTuningFlags(): string[] {
  const flags: string[] = [];
  const map: [string, string][] = [['SLUICE_WORKERS', '--workers'], ['SLUICE_WRITERS', '--writers'], ['SLUICE_CHUNK_SIZE', '--chunk-size']];
  for (const [name, flag] of map) {
    const value = process.env[name];
    if (value !== undefined && value !== '') flags.push(flag, String(envInteger(name, 0, 1)));
  }
  return flags;
}
