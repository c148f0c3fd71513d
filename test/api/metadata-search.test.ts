/**
 * GET /api/metadata/search: names, descriptions, tags and column names are searched; every word
 * must match; the ranking follows the weights README.md ("Catalog and lineage") documents; the
 * answer is bounded and deleted entries are never found.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SearchHit } from '../../src/catalog/catalog-search.js';
import { type CatalogApi, register, startCatalogApi } from '../helpers/catalog-api.js';

describe('metadata routes: search', () => {
  let api: CatalogApi;

  const search = async (query: string): Promise<SearchHit[]> => {
    const response = await api.call('GET', `/api/metadata/search?${query}`);
    assert.equal(response.status, 200, query);
    return ((await response.json()) as { items: SearchHit[] }).items;
  };

  before(async () => {
    api = await startCatalogApi();
    await register(api, { name: 'staging.orders', kind: 'staging', dataset: 'orders', columns: [{ name: 'order_id' }, { name: 'amount', source: 'Amount (EUR)' }] });
    await register(api, { name: 'staging.orders_archive', kind: 'staging', dataset: 'orders_archive', description: 'old rows' });
    await register(api, { name: 'reports.sales', tags: ['orders'], description: 'built from the orders table' });
    await register(api, { name: 'staging.customers', kind: 'staging', dataset: 'customers', columns: [{ name: 'last_orders' }], description: 'who placed orders' });
    await register(api, { name: 'staging.returns', kind: 'staging', dataset: 'returns', columns: [{ name: 'orders' }] });
    await register(api, { name: 'staging.unrelated', kind: 'staging', dataset: 'unrelated', description: 'nothing to see' });
  });

  after(async () => {
    await api.close();
  });

  test('ranks an exact name over a name prefix, a tag, a column name, a partial column name and a description', async () => {
    const hits = await search('q=orders');
    assert.deepEqual(hits.map((h) => h.name), ['staging.orders', 'staging.orders_archive', 'reports.sales', 'staging.returns', 'staging.customers']);
    assert.deepEqual(hits.map((h) => h.score), [100, 40, 35, 15, 10]);
  });

  test('is case-insensitive and matches column source headers', async () => {
    const hits = await search(`q=${encodeURIComponent('AMOUNT')}`);
    assert.deepEqual(hits.map((h) => h.name), ['staging.orders']);
    assert.equal(hits[0].score, 15);
  });

  test('needs every word to match, and adds their scores', async () => {
    const hits = await search(`q=${encodeURIComponent('orders amount')}`);
    assert.deepEqual(hits.map((h) => [h.name, h.score]), [['staging.orders', 115]]);
    assert.deepEqual(await search(`q=${encodeURIComponent('orders zebra')}`), []);
  });

  test('LIKE wildcards in the query are plain characters', async () => {
    assert.deepEqual(await search(`q=${encodeURIComponent('%')}`), []);
    assert.deepEqual((await search(`q=${encodeURIComponent('orders_')}`)).map((h) => h.name), ['staging.orders_archive']);
  });

  test('pages with limit and offset', async () => {
    const first = await search('q=orders&limit=2');
    const rest = await search('q=orders&limit=2&offset=2');
    assert.deepEqual([...first, ...rest].map((h) => h.name).slice(0, 4), ['staging.orders', 'staging.orders_archive', 'reports.sales', 'staging.returns']);
    assert.equal(first.length, 2);
  });

  test('deleted entries are not found', async () => {
    const id = await register(api, { name: 'staging.orders_deleted', kind: 'staging', dataset: 'orders_deleted' });
    assert.ok((await search('q=orders_deleted')).some((h) => h.id === id));
    await api.call('DELETE', `/api/metadata/${id}`);
    assert.equal((await search('q=orders_deleted')).length, 0);
  });

  test('an empty, missing or too long query is 400, and so is a limit past the bound', async () => {
    for (const query of ['', 'q=', `q=${encodeURIComponent('   ')}`, `q=${'a'.repeat(201)}`, 'q=orders&limit=500']) {
      const response = await api.call('GET', `/api/metadata/search?${query}`);
      assert.equal(response.status, 400, query);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'SLUICE_ERR_METADATA_INVALID');
    }
  });
});
