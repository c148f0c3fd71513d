import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createEngine, type EngineStatus } from '../src/engine.js';
import { type ApiFixture, csvRows, startApiFixture } from './helpers/api.js';

describe('engine.status()', () => {
  let fx: ApiFixture;

  before(async () => {
    fx = await startApiFixture({}, { chunkSize: 4096 });
  });

  after(async () => {
    await fx.close();
  });

  test('while loading: state loading, the file in flight, the next one waiting, the writer queue bounded', async () => {
    const first = await fx.file('status_a.csv', csvRows(1000));
    const second = await fx.file('status_b.csv', csvRows(10));
    const seen: EngineStatus[] = [];
    const unsubscribe = fx.engine.events.subscribe((event) => {
      if (event.type === 'chunk.committed' && event.data.path === first) seen.push(fx.engine.status());
    });
    const loads = [fx.engine.ingest(first), fx.engine.ingest(second)];
    assert.equal(fx.engine.status().queues.files, 2, 'both accepted, neither started');
    await Promise.all(loads);
    unsubscribe();

    assert.ok(seen.length >= 2);
    for (const status of seen) {
      assert.equal(status.state, 'loading');
      assert.equal(status.in_flight.length, 1);
      assert.equal(status.in_flight[0].path, first);
      assert.ok(!Number.isNaN(Date.parse(status.in_flight[0].started_at)));
      assert.equal(status.queues.files, 1, 'the second file waits');
      assert.ok(status.queues.writer.depth <= status.queues.writer.capacity);
      assert.ok(status.workers !== null && status.workers.threads === 1);
    }
    const idle = fx.engine.status();
    assert.equal(idle.state, 'idle');
    assert.deepEqual(idle.in_flight, []);
    assert.equal(idle.queues.files, 0);
  });

  test('closed after close()', async () => {
    const engine = createEngine({ databaseUrl: fx.db.url, workers: 1, config: {} });
    assert.equal(engine.status().state, 'new');
    await engine.start();
    assert.equal(engine.status().state, 'idle');
    await engine.close();
    assert.equal(engine.status().state, 'closed');
  });
});
