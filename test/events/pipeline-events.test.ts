import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEngine, type Engine, type PipelineEvent, PipelineEvents } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('pipeline events', () => {
  test('a failing listener does not stop the others, and is reported', () => {
    const failures: unknown[] = [];
    const bus = new PipelineEvents((error) => failures.push(error));
    const seen: string[] = [];
    bus.subscribe(() => { throw new Error('boom'); });
    const unsubscribe = bus.subscribe((event) => seen.push(event.type));
    bus.emit('file.discovered', { path: 'a.csv', source: 'cli' });
    unsubscribe();
    bus.emit('file.discovered', { path: 'b.csv', source: 'cli' });
    assert.deepEqual(seen, ['file.discovered']);
    assert.equal(failures.length, 2);
  });

  describe('from an engine', () => {
    let db: TestDatabase;
    let engine: Engine;
    let dir: string;

    before(async () => {
      db = await createTestDatabase();
      dir = await mkdtemp(join(tmpdir(), 'sluice-events-'));
      engine = createEngine({ databaseUrl: db.url, workers: 1, writers: 2, chunkSize: 256 });
    });

    after(async () => {
      await engine.close();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    });

    test('a load emits started, one chunk.committed per chunk, then loaded; a second load of it skipped', async () => {
      const path = join(dir, 'events.csv');
      const rows = Array.from({ length: 200 }, (_, i) => `${i},name ${i},${i * 1.5}`);
      await writeFile(path, `id,name,value\n${rows.join('\n')}\n`);
      const events: PipelineEvent[] = [];
      const unsubscribe = engine.events.subscribe((event) => events.push(event));
      const first = await engine.ingest(path);
      const second = await engine.ingest(path);
      unsubscribe();
      assert.equal(first.status, 'loaded');
      assert.equal(second.status, 'skipped');

      const types = events.map((e) => e.type);
      assert.equal(types[0], 'file.started');
      const loadedAt = types.indexOf('file.loaded');
      assert.ok(loadedAt > 1, 'chunks commit before the file is loaded');
      const chunks = events.slice(1, loadedAt);
      assert.ok(chunks.length >= 2, 'a 256-byte chunk size gives several chunks');
      let rowsInChunks = 0;
      for (const event of chunks) {
        assert.equal(event.type, 'chunk.committed');
        if (event.type !== 'chunk.committed') continue;
        assert.equal(event.data.path, path);
        assert.ok(event.data.bytes > 0 && event.data.ms >= 0);
        rowsInChunks += event.data.rows;
      }
      assert.equal(rowsInChunks, 200);
      assert.deepEqual(types.slice(loadedAt), ['file.loaded', 'run.finished', 'file.started', 'file.skipped', 'run.finished']);
      const started = events.filter((e) => e.type === 'file.started').map((e) => e.type === 'file.started' ? e.data.runId : '');
      assert.notEqual(started[0], started[1], 'each load has its own run id');
      const finished = events.filter((e) => e.type === 'run.finished').map((e) => e.type === 'run.finished' ? [e.data.runId, e.data.error] : []);
      assert.deepEqual(finished, [[started[0], null], [started[1], null]], 'each run ends once, after its file event');
      const loaded = events[loadedAt];
      assert.ok(loaded.type === 'file.loaded' && loaded.data.runId === started[0] && loaded.data.summary.rows === 200);
      for (const event of events) assert.ok(!Number.isNaN(Date.parse(event.time)));
    });
  });
});
