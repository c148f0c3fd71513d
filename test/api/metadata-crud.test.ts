/**
 * GET/POST /api/metadata, GET/PUT/DELETE /api/metadata/:id: success and errors, the token on
 * mutating routes, pagination and tag filters, and a deleted dataset hidden (404) until a load
 * registers it again.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CatalogEntry, Page } from '../../src/catalog/metadata-store.js';
import { createEngine } from '../../src/index.js';
import { type CatalogApi, register, startCatalogApi } from '../helpers/catalog-api.js';

async function errorCode(response: Response): Promise<string> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  assert.equal(typeof body.error.message, 'string');
  return body.error.code;
}

describe('metadata routes: entries', () => {
  let api: CatalogApi;

  before(async () => {
    api = await startCatalogApi();
  });

  after(async () => {
    await api.close();
  });

  test('POST registers an entry (201) with the fields given and defaults for the rest', async () => {
    const response = await api.call('POST', '/api/metadata', {
      name: 'reports.revenue', description: 'monthly revenue', owner: 'finance', tags: ['finance', 'monthly', 'finance'],
      columns: [{ name: 'month', type: 'date' }, { name: 'total', type: 'numeric' }], tables: ['reports.revenue'],
    });
    assert.equal(response.status, 201);
    const entry = (await response.json()) as CatalogEntry;
    assert.equal(entry.name, 'reports.revenue');
    assert.equal(entry.kind, 'external');
    assert.equal(entry.dataset, 'reports.revenue');
    assert.deepEqual(entry.tags, ['finance', 'monthly']);
    assert.deepEqual(entry.columns.map((c) => c.name), ['month', 'total']);
    assert.equal(entry.owner, 'finance');
    assert.equal(entry.row_count, null);
    assert.equal(entry.time_range, null);
    assert.ok(Number.isInteger(entry.id));
  });

  test('POST of a name already registered is 409', async () => {
    const response = await api.call('POST', '/api/metadata', { name: 'reports.revenue' });
    assert.equal(response.status, 409);
    assert.equal(await errorCode(response), 'SLUICE_ERR_METADATA_EXISTS');
  });

  test('POST with a bad body is 400 naming the key: not JSON, unknown key, wrong type, bad kind, control characters', async () => {
    const cases: Array<[unknown, string]> = [
      ['{not json', 'JSON'],
      [{ name: 'x', colour: 'red' }, ''],
      [{ name: 'x', tags: 'one' }, 'tags'],
      [{ name: 'x', kind: 'table' }, 'kind'],
      [{ name: 'bad\u0000name' }, 'name'],
      [{ name: '' }, 'name'],
      [[1, 2], ''],
    ];
    for (const [body, mentions] of cases) {
      const response = await api.call('POST', '/api/metadata', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, 'SLUICE_ERR_METADATA_INVALID');
      assert.ok(error.message.includes(mentions), `${error.message} should mention ${mentions}`);
    }
  });

  test('POST with a body over 1 MiB is 413', async () => {
    const response = await api.call('POST', '/api/metadata', { name: 'big', description: 'x'.repeat(1024 * 1024 + 10) });
    assert.equal(response.status, 413);
    assert.equal(await errorCode(response), 'SLUICE_ERR_METADATA_TOO_LARGE');
  });

  test('GET /metadata/:id finds an entry by id and by name; an unknown one is 404', async () => {
    const id = await register(api, { name: 'lookups.countries', tags: ['reference'] });
    const byId = await api.call('GET', `/api/metadata/${id}`);
    assert.equal(byId.status, 200);
    assert.equal(((await byId.json()) as CatalogEntry).name, 'lookups.countries');
    const byName = await api.call('GET', `/api/metadata/${encodeURIComponent('lookups.countries')}`);
    assert.equal(((await byName.json()) as CatalogEntry).id, id);
    for (const missing of ['999999', 'no.such.thing']) {
      const response = await api.call('GET', `/api/metadata/${missing}`);
      assert.equal(response.status, 404);
      assert.equal(await errorCode(response), 'SLUICE_ERR_METADATA_NOT_FOUND');
    }
  });

  test('PUT replaces the keys given (tags, description, owner) and keeps the rest', async () => {
    const id = await register(api, { name: 'lookups.currencies', description: 'ISO 4217', owner: 'data', tags: ['reference'] });
    const response = await api.call('PUT', `/api/metadata/${id}`, { tags: ['reference', 'iso'], owner: null });
    assert.equal(response.status, 200);
    const entry = (await response.json()) as CatalogEntry;
    assert.deepEqual(entry.tags, ['iso', 'reference']);
    assert.equal(entry.owner, null);
    assert.equal(entry.description, 'ISO 4217');
    assert.ok(entry.updated_at >= entry.created_at);
  });

  test('PUT with an empty body or a key that cannot be changed is 400; of an unknown entry 404', async () => {
    const id = await register(api, { name: 'lookups.units' });
    for (const body of [{}, { name: 'renamed' }, { tags: [''] }]) {
      const response = await api.call('PUT', `/api/metadata/${id}`, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(await errorCode(response), 'SLUICE_ERR_METADATA_INVALID');
    }
    const missing = await api.call('PUT', '/api/metadata/987654', { owner: 'x' });
    assert.equal(missing.status, 404);
  });

  test('DELETE hides an entry (204): GET, PUT, DELETE and lists answer as if it did not exist', async () => {
    const id = await register(api, { name: 'scratch.temp', tags: ['scratch'] });
    const deleted = await api.call('DELETE', `/api/metadata/${id}`);
    assert.equal(deleted.status, 204);
    assert.equal((await api.call('GET', `/api/metadata/${id}`)).status, 404);
    assert.equal((await api.call('PUT', `/api/metadata/${id}`, { owner: 'x' })).status, 404);
    assert.equal((await api.call('DELETE', `/api/metadata/${id}`)).status, 404);
    assert.equal((await api.call('GET', `/api/metadata/${id}/lineage`)).status, 404);
    const list = (await (await api.call('GET', '/api/metadata?tag=scratch')).json()) as Page<CatalogEntry>;
    assert.equal(list.total, 0);
    // The row is still there (soft delete).
    const kept = await api.db.query('SELECT deleted_at FROM metadata_datasets WHERE id = $1', [id]);
    assert.notEqual(kept.rows[0].deleted_at, null);
  });

  test('POST of a deleted name registers it again', async () => {
    const id = await register(api, { name: 'scratch.again' });
    await api.call('DELETE', `/api/metadata/${id}`);
    const again = await api.call('POST', '/api/metadata', { name: 'scratch.again', owner: 'me' });
    assert.equal(again.status, 201);
    assert.equal(((await again.json()) as CatalogEntry).owner, 'me');
  });

  test('GET /metadata pages through the entries, newest first, with the total', async () => {
    for (let i = 0; i < 7; i++) await register(api, { name: `paged.item_${i}`, tags: ['paged'] });
    const first = (await (await api.call('GET', '/api/metadata?tag=paged&limit=3')).json()) as Page<CatalogEntry>;
    const second = (await (await api.call('GET', '/api/metadata?tag=paged&limit=3&offset=3')).json()) as Page<CatalogEntry>;
    const third = (await (await api.call('GET', '/api/metadata?tag=paged&limit=3&offset=6')).json()) as Page<CatalogEntry>;
    assert.equal(first.total, 7);
    assert.deepEqual([first.items.length, second.items.length, third.items.length], [3, 3, 1]);
    const names = [...first.items, ...second.items, ...third.items].map((e) => e.name);
    assert.deepEqual(names, Array.from({ length: 7 }, (_, i) => `paged.item_${6 - i}`));
    assert.equal(first.limit, 3);
    assert.equal(second.offset, 3);
  });

  test('GET /metadata filters by every tag given and by kind', async () => {
    await register(api, { name: 'tagged.both', tags: ['red', 'blue'] });
    await register(api, { name: 'tagged.red', tags: ['red'] });
    const red = (await (await api.call('GET', '/api/metadata?tag=red')).json()) as Page<CatalogEntry>;
    assert.deepEqual(red.items.map((e) => e.name).sort(), ['tagged.both', 'tagged.red']);
    const both = (await (await api.call('GET', '/api/metadata?tag=red&tag=blue')).json()) as Page<CatalogEntry>;
    assert.deepEqual(both.items.map((e) => e.name), ['tagged.both']);
    const staging = (await (await api.call('GET', '/api/metadata?kind=staging')).json()) as Page<CatalogEntry>;
    assert.equal(staging.total, 0);
  });

  test('GET /metadata bounds pagination: limit 1..200, offset ≥ 0, integers only; kind must be known', async () => {
    for (const query of ['limit=0', 'limit=201', 'limit=ten', 'offset=-1', 'limit=1.5', 'kind=table']) {
      const response = await api.call('GET', `/api/metadata?${query}`);
      assert.equal(response.status, 400, query);
      assert.equal(await errorCode(response), 'SLUICE_ERR_METADATA_INVALID');
    }
    assert.equal((await api.call('GET', '/api/metadata?limit=200')).status, 200);
  });
});

describe('metadata routes: the token on mutating routes', () => {
  let api: CatalogApi;
  let id: number;

  before(async () => {
    api = await startCatalogApi();
    id = await register(api, { name: 'guarded.entry' });
  });

  after(async () => {
    await api.close();
  });

  const mutations = (): Array<[string, string, unknown]> => [
    ['POST', '/api/metadata', { name: 'guarded.new' }],
    ['PUT', `/api/metadata/${id}`, { owner: 'x' }],
    ['DELETE', `/api/metadata/${id}`, undefined],
    ['POST', '/api/metadata/lineage', { source: id, target: id }],
  ];

  test('no Authorization header: 401', async () => {
    for (const [method, path, body] of mutations()) {
      const response = await api.call(method, path, body, {});
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.equal(await errorCode(response), 'SLUICE_ERR_UNAUTHORIZED');
    }
  });

  test('a malformed Authorization header: 400', async () => {
    for (const [method, path, body] of mutations()) {
      const response = await api.call(method, path, body, { authorization: 'Token abc' });
      assert.equal(response.status, 400, `${method} ${path}`);
      assert.equal(await errorCode(response), 'SLUICE_ERR_BAD_AUTHORIZATION');
    }
  });

  test('a wrong token: 401, and nothing changed', async () => {
    for (const [method, path, body] of mutations()) {
      const response = await api.call(method, path, body, { authorization: 'Bearer not-the-token' });
      assert.equal(response.status, 401, `${method} ${path}`);
    }
    assert.equal((await api.call('GET', `/api/metadata/${id}`)).status, 200);
    assert.equal((await api.call('GET', '/api/metadata/guarded.new')).status, 404);
  });

  test('reading needs no token', async () => {
    for (const path of ['/api/metadata', `/api/metadata/${id}`, '/api/metadata/search?q=guarded', `/api/metadata/${id}/lineage`, '/api/lineage/events']) {
      assert.equal((await api.call('GET', path, undefined, {})).status, 200, path);
    }
  });
});

describe('metadata routes: a deleted dataset comes back with its next load', () => {
  let api: CatalogApi;
  let dir: string;

  before(async () => {
    api = await startCatalogApi();
    dir = await mkdtemp(join(tmpdir(), 'sluice-metadata-'));
  });

  after(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('deleted: 404 and not listed; a new load of the dataset registers it again', async () => {
    const engine = createEngine({ databaseUrl: api.db.url, workers: 1, writers: 1 });
    try {
      await writeFile(join(dir, 'orders.csv'), 'id,amount\n1,10\n2,20\n');
      await engine.ingest(join(dir, 'orders.csv'));
      const loaded = (await (await api.call('GET', '/api/metadata/staging.orders')).json()) as CatalogEntry;
      assert.equal(loaded.row_count, 2);
      assert.equal((await api.call('DELETE', `/api/metadata/${loaded.id}`)).status, 204);
      assert.equal((await api.call('GET', `/api/metadata/${loaded.id}`)).status, 404);
      const listed = (await (await api.call('GET', '/api/metadata?kind=staging')).json()) as Page<CatalogEntry>;
      assert.equal(listed.total, 0);

      await writeFile(join(dir, 'orders-2.csv'), 'id,amount\n3,30\n');
      await engine.ingest(join(dir, 'orders-2.csv'), { dataset: 'orders' });
      const back = await api.call('GET', `/api/metadata/${loaded.id}`);
      assert.equal(back.status, 200);
      assert.equal(((await back.json()) as CatalogEntry).row_count, 3);
    } finally {
      await engine.close();
    }
  });
});
