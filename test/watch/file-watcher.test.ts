import { mkdir, mkdtemp, open, readdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine, type Engine } from '../../src/engine.js';
import type { FileSummary } from '../../src/summary.js';
import { createWatcher, type FileWatcher, type WatchOptions } from '../../src/watch/file-watcher.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let db: TestDatabase;
let engine: Engine;
let root = '';
let dirs = 0;

interface Loaded { summary: FileSummary; movedTo: string | null }

/** A watcher on a fresh directory, and the loads it reports. */
async function watching(options: Partial<WatchOptions> = {}, prepare?: (dir: string) => Promise<void>): Promise<{ dir: string; watcher: FileWatcher; loaded: Loaded[]; discovered: string[]; until(n: number, ms?: number): Promise<void> }> {
  const dir = join(root, `inbox${++dirs}`);
  await mkdir(dir, { recursive: true });
  await prepare?.(dir);
  const loaded: Loaded[] = [];
  const discovered: string[] = [];
  engine.events.subscribe((event) => { if (event.type === 'file.discovered' && event.data.path.startsWith(`${dir}/`)) discovered.push(event.data.path); });
  const watcher = createWatcher(engine, { dirs: [dir], settleMs: 400, pollMs: 50, ...options, onLoaded: (summary, movedTo) => loaded.push({ summary, movedTo }) });
  await watcher.ready;
  return {
    dir, watcher, loaded, discovered,
    async until(n, ms = 20_000) {
      const deadline = Date.now() + ms;
      while (loaded.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} loads, got ${loaded.length}: ${loaded.map((l) => l.summary.file).join(', ')}`);
        await sleep(50);
      }
    },
  };
}

function csv(rows: number, tag: string): string {
  let text = 'id,tag\n';
  for (let i = 0; i < rows; i++) text += `${i},${tag}\n`;
  return text;
}

async function count(table: string): Promise<number> {
  return (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM staging.${table}`)).rows[0].n;
}

describe('file watcher', { timeout: 120_000 }, () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sluice-watch-'));
    db = await createTestDatabase();
    engine = createEngine({ databaseUrl: db.url, home: join(root, 'home'), workers: 1, writers: 1, config: { datasets: {} } });
    await engine.start();
  });

  after(async () => {
    await engine?.close();
    await db?.drop();
    await rm(root, { recursive: true, force: true });
  });

  it('takes a file written slowly over several seconds once, when it is complete', async () => {
    const w = await watching();
    try {
      const handle = await open(join(w.dir, 'slow.csv'), 'w');
      await handle.write('id,tag\n');
      for (let piece = 0; piece < 12; piece++) {
        let text = '';
        for (let i = 0; i < 100; i++) text += `${piece * 100 + i},slow\n`;
        await handle.write(text);
        await sleep(300);
      }
      await handle.close();
      assert.equal(w.loaded.length, 0, 'nothing is taken while the file is written');
      await w.until(1);
      await sleep(800);
      assert.equal(w.loaded.length, 1);
      assert.equal(w.loaded[0].summary.status, 'loaded');
      assert.equal(w.loaded[0].summary.rows, 1200);
      assert.deepEqual(w.discovered, [join(w.dir, 'slow.csv')]);
      assert.equal(await count('slow'), 1200);
    } finally {
      await w.watcher.close();
    }
  });

  it('loads what include names and exclude does not, recursively', async () => {
    const w = await watching({ include: ['**/*.csv'], exclude: ['**/skip/**', '**/.*'] }, async (dir) => {
      await mkdir(join(dir, 'skip'));
      await mkdir(join(dir, 'deep/er'), { recursive: true });
      await writeFile(join(dir, 'inc_top.csv'), csv(3, 'top'));
      await writeFile(join(dir, 'deep/er/inc_deep.csv'), csv(4, 'deep'));
      await writeFile(join(dir, 'inc_other.txt'), csv(5, 'txt'));
      await writeFile(join(dir, 'skip/inc_skipped.csv'), csv(6, 'skip'));
      await writeFile(join(dir, '.inc_hidden.csv'), csv(7, 'hidden'));
    });
    try {
      await w.until(2);
      await sleep(800);
      assert.deepEqual(w.loaded.map((l) => l.summary.dataset).sort(), ['inc_deep', 'inc_top']);
    } finally {
      await w.watcher.close();
    }
  });

  it('loads the same content once, whatever its names and events', async () => {
    const w = await watching();
    try {
      const text = csv(50, 'dup');
      await writeFile(join(w.dir, 'dup_a.csv'), text);
      await w.until(1);
      await writeFile(join(w.dir, 'dup_b.csv'), text);
      // Touching a loaded file is an event, not new content.
      await utimes(join(w.dir, 'dup_a.csv'), new Date(), new Date());
      await w.until(2);
      await sleep(800);
      const statuses = w.loaded.map((l) => l.summary.status).sort();
      assert.ok(w.loaded.length >= 2);
      assert.equal(statuses.filter((s) => s === 'loaded').length, 1, JSON.stringify(statuses));
      assert.equal(await count('dup_a'), 50);
    } finally {
      await w.watcher.close();
    }
  });

  it('the start-up scan applies the same test, and a restart loads nothing again', async () => {
    const staging = join(root, 'staging-area');
    await mkdir(staging, { recursive: true });
    let growing: Promise<void> | undefined;
    const w = await watching({}, async (dir) => {
      await writeFile(join(staging, 'scan_moved.csv'), csv(10, 'moved'));
      await rename(join(staging, 'scan_moved.csv'), join(dir, 'scan_moved.csv'));
      // Still being written when the watcher starts.
      const handle = await open(join(dir, 'scan_growing.csv'), 'w');
      await handle.write('id,tag\n');
      growing = (async () => {
        for (let i = 0; i < 8; i++) { await handle.write(`${i},grow\n`); await sleep(150); }
        await handle.close();
      })();
    });
    try {
      await growing;
      await w.until(2);
      const bySet = Object.fromEntries(w.loaded.map((l) => [l.summary.dataset, l.summary]));
      assert.equal(bySet.scan_moved.rows, 10);
      assert.equal(bySet.scan_growing.rows, 8);
    } finally {
      await w.watcher.close();
    }
    const restarted = createWatcher(engine, { dirs: [w.dir], settleMs: 400, pollMs: 50, onLoaded: (summary) => w.loaded.push({ summary, movedTo: null }) });
    try {
      await restarted.ready;
      await w.until(4);
      assert.deepEqual(w.loaded.slice(2).map((l) => l.summary.status), ['skipped', 'skipped']);
    } finally {
      await restarted.close();
    }
  });

  it('moves loaded files to done/ and failed ones to failed/, keeping subfolders, and never watches those', async () => {
    const w = await watching({ archive: true }, async (dir) => {
      await mkdir(join(dir, 'sub'));
      await writeFile(join(dir, 'arch_good.csv'), csv(5, 'good'));
      await writeFile(join(dir, 'sub/arch_nested.csv'), csv(6, 'nested'));
      await writeFile(join(dir, 'arch_bad.csv'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 7, 0]));
    });
    try {
      await w.until(3);
      await sleep(1_000);
      assert.equal(w.loaded.length, 3, 'files moved into done/ and failed/ are not loaded again');
      assert.deepEqual((await readdir(w.dir)).sort(), ['done', 'failed', 'sub']);
      assert.deepEqual((await readdir(join(w.dir, 'done'), { recursive: true })).sort(), ['arch_good.csv', 'sub', 'sub/arch_nested.csv']);
      assert.deepEqual(await readdir(join(w.dir, 'failed')), ['arch_bad.csv']);
      const bad = w.loaded.find((l) => l.summary.status === 'failed');
      assert.equal(bad?.movedTo, join(w.dir, 'failed', 'arch_bad.csv'));
    } finally {
      await w.watcher.close();
    }
  });

  it('keeps memory bounded: past maxQueued it drops events and scans again, and every file still loads', async () => {
    const w = await watching({ maxQueued: 3, settleMs: 200 });
    try {
      for (let i = 0; i < 12; i++) await writeFile(join(w.dir, `many_${i}.csv`), csv(2, `m${i}`));
      await w.until(12, 40_000);
      assert.equal(new Set(w.loaded.map((l) => l.summary.dataset)).size, 12);
      assert.ok(w.watcher.status().queued <= 3);
    } finally {
      await w.watcher.close();
    }
  });
});
