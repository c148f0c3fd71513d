import { createRequire } from 'node:module';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { FixedDeque as FixedDequeClass, LRUMap as LRUMapClass } from 'mnemonist';
import type { IngestOptions } from '../engine.js';
import type { PipelineEvents } from '../events/pipeline-events.js';
import type { FileSummary } from '../summary.js';
import { archiveFile } from './archive-file.js';
import { type WatchFilter, watchFilter } from './watch-filter.js';

const require = createRequire(import.meta.url);
const FixedDeque = require('mnemonist/fixed-deque.js') as typeof FixedDequeClass;
const LRUMap = require('mnemonist/lru-map.js') as typeof LRUMapClass;
/** Files whose load this watcher remembers (path → size and mtime at the load), so a rescan passes them by. */
const REMEMBERED = 100_000;

/**
 * Watches directories (recursively, chokidar) and loads each file once it is complete:
 *
 *   chokidar add/change ─▶ settling (stat every pollMs) ─▶ ready queue (bounded) ─▶ engine.ingest ─▶ done/ | failed/
 *   start-up scan ───────┘        size and mtime unchanged,        concurrency N         (optional)
 *                                 mtime ≥ settleMs old
 *
 * A file is complete when two looks agree on its size and mtime and the mtime is at least
 * `settleMs` old: a file still being written keeps moving its mtime, a file renamed into the folder
 * (the reliable signal) keeps the mtime it was written with, so it is taken at the next look.
 * chokidar's awaitWriteFinish is not used: it compares sizes only, and does not hold back the files
 * its initial scan finds; here the start-up scan goes through the same test as every event.
 *
 * Memory stays bounded however many files arrive: at most `maxQueued` files are settling or
 * waiting; past that, events are dropped and the directories are scanned again once the queue
 * has room (the files are still on disk). Whether a file loads is the ledger's decision (its
 * content hash), so a restart, a duplicate event or the same content under two names loads nothing
 * twice.
 */

export interface WatchOptions {
  /** Directories to watch, recursively. */
  dirs: readonly string[];
  /** Globs (relative to the watched directory) of the files to load; default: every loadable name. */
  include?: readonly string[];
  /** Globs of files to leave alone; default: hidden files, `*.part`, `*.tmp`, `*.crdownload`, `*~`. */
  exclude?: readonly string[];
  /** How long a file's size and mtime must stay unchanged. Default: 2 s. */
  settleMs?: number;
  /** How often settling files are looked at. Default: a quarter of settleMs, at most 500 ms. */
  pollMs?: number;
  /** Files loading at once. Default: 1 (the engine loads one file at a time across all cores). */
  concurrency?: number;
  /** Files settling or queued at most. Default: 10,000. */
  maxQueued?: number;
  /** After its load, move a file to `done/` (loaded, skipped) or `failed/` under its watched directory. */
  archive?: boolean;
  /** Options of each load (dataset, overrides, …). */
  ingest?: IngestOptions;
  /** chokidar's polling mode, for network filesystems where change events do not arrive. */
  usePolling?: boolean;
  /** Called with each load's summary (and where the file was moved, with `archive`). */
  onLoaded?: (summary: FileSummary, movedTo: string | null) => void;
  log?: (line: string) => void;
}

/** What the watcher needs of an engine. */
export interface WatchEngine {
  ingest(path: string, options?: IngestOptions): Promise<FileSummary>;
  readonly events: PipelineEvents;
}

export interface WatcherStatus {
  dirs: string[];
  /** Files seen whose size or mtime is still moving. */
  settling: number;
  /** Complete files waiting for the engine. */
  queued: number;
  loading: number;
  /** Files loaded (or skipped, or failed) since the watcher started. */
  finished: number;
}

export interface FileWatcher {
  /** Resolves when the start-up scan has been made (its files may still be settling). */
  readonly ready: Promise<void>;
  status(): WatcherStatus;
  /** Stops watching, waits for the loads in progress, then resolves. */
  close(): Promise<void>;
}

const ARCHIVE_DIRS = ['done', 'failed'];

interface Root {
  dir: string;
  filter: WatchFilter;
}

interface Settling {
  root: Root;
  size: number;
  mtimeMs: number;
}

export function createWatcher(engine: WatchEngine, options: WatchOptions): FileWatcher {
  if (options.dirs.length === 0) throw new TypeError('createWatcher needs at least one directory');
  const settleMs = options.settleMs ?? 2_000;
  const pollMs = options.pollMs ?? Math.max(20, Math.min(500, Math.floor(settleMs / 4)));
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const maxQueued = Math.max(1, options.maxQueued ?? 10_000);
  const log = options.log ?? (() => undefined);
  const roots: Root[] = options.dirs.map((dir) => {
    const absolute = resolve(dir);
    return { dir: absolute, filter: watchFilter(absolute, { include: options.include, exclude: options.exclude, archiveDirs: options.archive === true ? ARCHIVE_DIRS : [] }) };
  });
  const rootOf = (path: string): Root | undefined => roots.find((r) => path === r.dir || path.startsWith(`${r.dir}/`));

  const settling = new Map<string, Settling>();
  const queue = new FixedDeque<{ path: string; root: Root; seen: string }>(Array, maxQueued);
  /** Queued or loading: a new event for one of these is looked at again after its load. */
  const busy = new Set<string>();
  const again = new Set<string>();
  const finishedFiles = new LRUMap<string, string>(REMEMBERED);
  const identity = (info: { size: number; mtimeMs: number }): string => `${info.size}:${info.mtimeMs}`;
  let loading = 0;
  let finished = 0;
  let overflowed = false;
  let closing = false;
  const loads = new Set<Promise<void>>();

  const consider = (path: string): void => {
    if (closing) return;
    const root = rootOf(path);
    if (root === undefined || !root.filter.takes(path)) return;
    if (busy.has(path)) { again.add(path); return; }
    if (settling.has(path)) return;
    if (settling.size + queue.size >= maxQueued) { overflowed = true; return; }
    settling.set(path, { root, size: -1, mtimeMs: -1 });
  };

  const look = async (): Promise<void> => {
    const now = Date.now();
    for (const [path, seen] of settling) {
      const info = await stat(path).catch(() => null);
      if (info === null || !info.isFile()) { settling.delete(path); continue; }
      const unchanged = info.size === seen.size && info.mtimeMs === seen.mtimeMs;
      if (unchanged && now - info.mtimeMs >= settleMs) {
        settling.delete(path);
        // Loaded already as it is now (a rescan, a touch without a write): the ledger would skip it anyway.
        if (finishedFiles.get(path) !== identity(info)) enqueue(path, seen.root, identity(info));
      } else {
        seen.size = info.size;
        seen.mtimeMs = info.mtimeMs;
      }
    }
  };
  /** After an overflow, once the queue has room again: look for the files whose events were dropped. */
  const rescanIfRoom = (): void => {
    if (!overflowed || closing || settling.size + queue.size >= maxQueued / 2) return;
    overflowed = false;
    void rescan();
  };
  let looking = false;
  const poller = setInterval(() => {
    if (looking || settling.size === 0) return;
    looking = true;
    look().catch((error: unknown) => log(`watch: ${(error as Error).message}`)).finally(() => {
      looking = false;
      rescanIfRoom();
    });
  }, pollMs);

  const enqueue = (path: string, root: Root, seen: string): void => {
    busy.add(path);
    queue.push({ path, root, seen });
    engine.events.emit('file.discovered', { path, source: 'watch' });
    pump();
  };

  const pump = (): void => {
    while (!closing && loading < concurrency && queue.size > 0) {
      const item = queue.shift()!;
      loading++;
      const load = loadOne(item.path, item.root).finally(() => {
        loading--;
        finished++;
        busy.delete(item.path);
        finishedFiles.set(item.path, item.seen);
        loads.delete(load);
        if (again.delete(item.path)) consider(item.path);
        rescanIfRoom();
        pump();
      });
      loads.add(load);
    }
  };

  const loadOne = async (path: string, root: Root): Promise<void> => {
    try {
      const summary = await engine.ingest(path, options.ingest);
      let movedTo: string | null = null;
      if (options.archive === true) {
        movedTo = await archiveFile(root.dir, path, summary.status === 'failed' ? 'failed' : 'done')
          .catch((error: unknown) => { log(`watch: cannot move ${path}: ${(error as Error).message}`); return null; });
      }
      options.onLoaded?.(summary, movedTo);
    } catch (error) {
      // The engine closed under us (shutdown): the file stays where it is for the next start.
      log(`watch: ${path}: ${(error as Error).message}`);
    }
  };

  /** Looks for files again (after an overflow dropped events): what is known already is left alone. */
  const rescan = async (): Promise<void> => {
    for (const root of roots) {
      const walk = async (dir: string): Promise<void> => {
        const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
        for (const entry of entries) {
          if (closing || overflowed) return;
          const path = join(dir, entry.name);
          if (entry.isDirectory()) {
            if (!root.filter.skipsDirectory(path)) await walk(path);
          } else if (entry.isFile() && root.filter.takes(path) && !busy.has(path) && !settling.has(path)) {
            const info = await stat(path).catch(() => null);
            if (info !== null && finishedFiles.get(path) !== identity(info)) consider(path);
          }
        }
      };
      await walk(root.dir);
    }
  };

  const watcher: FSWatcher = watch(roots.map((r) => r.dir), {
    ignoreInitial: false,
    persistent: true,
    usePolling: options.usePolling === true,
    ignored: (path, stats) => {
      const root = rootOf(path);
      if (root === undefined) return false;
      if (stats?.isDirectory() === true) return root.filter.skipsDirectory(path);
      // Without stats chokidar asks about a path before it knows what it is: keep directories.
      return stats?.isFile() === true ? !root.filter.takes(path) : root.filter.skipsDirectory(path);
    },
  });
  watcher.on('add', consider);
  watcher.on('change', consider);
  watcher.on('unlink', (path) => settling.delete(path));
  watcher.on('error', (error) => log(`watch: ${(error as Error).message}`));
  const ready = new Promise<void>((resolveReady) => watcher.once('ready', () => resolveReady()));

  return {
    ready,
    status: () => ({ dirs: roots.map((r) => r.dir), settling: settling.size, queued: queue.size, loading, finished }),
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(poller);
      await watcher.close();
      await Promise.all(loads);
    },
  };
}
