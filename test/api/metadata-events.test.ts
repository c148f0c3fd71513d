/**
 * GET /api/lineage/events: the OpenLineage run events of real loads, newest first, by run id and
 * by dataset (Sluice's name, the table, or OpenLineage's name), paginated and bounded.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from '../../src/catalog/metadata-store.js';
import { createEngine } from '../../src/index.js';
import type { StoredRunEvent } from '../../src/lineage/stored-events.js';
import { type CatalogApi, startCatalogApi } from '../helpers/catalog-api.js';

describe('metadata routes: lineage events', () => {
  let api: CatalogApi;
  let dir: string;
  const runIds: string[] = [];

  const events = async (query: string): Promise<Page<StoredRunEvent>> => {
    const response = await api.call('GET', `/api/lineage/events?${query}`, undefined, {});
    assert.equal(response.status, 200, query);
    return (await response.json()) as Page<StoredRunEvent>;
  };

  before(async () => {
    api = await startCatalogApi();
    dir = await mkdtemp(join(tmpdir(), 'sluice-events-'));
    const engine = createEngine({ databaseUrl: api.db.url, workers: 1, writers: 1 });
    engine.events.subscribe((event) => { if (event.type === 'file.started') runIds.push(event.data.runId); });
    try {
      for (const [name, text] of [['alpha.csv', 'a\n1\n'], ['beta.csv', 'b\n2\n'], ['alpha-2.csv', 'a\n3\n']]) {
        await writeFile(join(dir, name), text);
        await engine.ingest(join(dir, name), { dataset: name.startsWith('alpha') ? 'alpha' : 'beta' });
      }
    } finally {
      await engine.close();
    }
  });

  after(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('lists every event, newest first, with the total', async () => {
    const all = await events('');
    assert.equal(all.total, 6);
    assert.deepEqual(all.items.map((e) => e.event_type), ['COMPLETE', 'START', 'COMPLETE', 'START', 'COMPLETE', 'START']);
    assert.equal(all.items[0].run_id, runIds[2]);
    assert.equal(all.items[0].event.run.runId, runIds[2]);
    assert.equal(all.items[0].job_name, 'load.alpha');
    assert.equal(all.items[0].delivered_at, null);
  });

  test('filters by run id', async () => {
    const one = await events(`run_id=${runIds[1]}`);
    assert.deepEqual(one.items.map((e) => [e.event_type, e.job_name]), [['COMPLETE', 'load.beta'], ['START', 'load.beta']]);
  });

  test("filters by dataset: Sluice's name, the table, OpenLineage's name", async () => {
    for (const name of ['alpha', 'staging.alpha', `${api.db.name}.staging.alpha`]) {
      const found = await events(`dataset=${encodeURIComponent(name)}`);
      assert.ok(found.items.every((e) => e.job_name === 'load.alpha'), name);
      assert.equal(found.total, 4, name);
    }
    assert.equal((await events(`dataset=${encodeURIComponent(join(dir, 'beta.csv'))}`)).total, 2);
    assert.equal((await events('dataset=nothing')).total, 0);
  });

  test('pages with limit and offset', async () => {
    const first = await events('limit=4');
    const second = await events('limit=4&offset=4');
    assert.equal(first.items.length, 4);
    assert.equal(second.items.length, 2);
    assert.equal(new Set([...first.items, ...second.items].map((e) => e.id)).size, 6);
  });

  test('a bad run id, limit or offset is 400', async () => {
    for (const query of ['run_id=123', 'limit=0', 'limit=1000', 'offset=x']) {
      const response = await api.call('GET', `/api/lineage/events?${query}`);
      assert.equal(response.status, 400, query);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'SLUICE_ERR_METADATA_INVALID');
    }
  });
});
