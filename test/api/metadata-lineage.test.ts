/**
 * GET /api/metadata/:id/lineage and POST /api/metadata/lineage: direction and depth, the depth
 * cap, a cycle that does not loop, deleted entries left out, and the errors of both routes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LineageEdge, LineageGraph } from '../../src/catalog/lineage-graph.js';
import { type CatalogApi, register, startCatalogApi } from '../helpers/catalog-api.js';

type Answer = LineageGraph & { root: { name: string }; direction: string; depth: number };

describe('metadata routes: lineage', () => {
  let api: CatalogApi;
  const ids = new Map<string, number>();

  const link = async (source: string, target: string, extra: Record<string, unknown> = {}): Promise<Response> =>
    api.call('POST', '/api/metadata/lineage', { source, target, ...extra });
  const lineage = async (name: string, query = ''): Promise<Answer> => {
    const response = await api.call('GET', `/api/metadata/${ids.get(name)}/lineage${query}`);
    assert.equal(response.status, 200);
    return (await response.json()) as Answer;
  };
  const nodes = (answer: Answer): Array<[string, number]> => answer.nodes.map((n) => [n.name, n.distance]);

  before(async () => {
    api = await startCatalogApi();
    // a → b → c → d → e, and x → c (a second input of c).
    for (const name of ['a', 'b', 'c', 'd', 'e', 'x']) ids.set(name, await register(api, { name }));
    for (const [s, t] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['x', 'c']]) assert.equal((await link(s, t)).status, 201);
  });

  after(async () => {
    await api.close();
  });

  test('POST adds an edge (201) by names or ids, with a relation and a run id; again: 200, same edge', async () => {
    const first = await api.call('POST', '/api/metadata/lineage', { source: ids.get('e'), target: 'x', relation: 'feeds', run_id: '01939a7e-8c00-7000-8000-000000000001' });
    assert.equal(first.status, 201);
    const edge = (await first.json()) as LineageEdge;
    assert.deepEqual([edge.source, edge.target, edge.relation, edge.run_id], ['e', 'x', 'feeds', '01939a7e-8c00-7000-8000-000000000001']);
    const again = await api.call('POST', '/api/metadata/lineage', { source: 'e', target: 'x', relation: 'feeds' });
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as LineageEdge).id, edge.id);
    await api.db.query("DELETE FROM metadata_lineage WHERE relation = 'feeds'");
  });

  test('downstream, depth 2: what was made from it, two edges away', async () => {
    const answer = await lineage('b', '?direction=downstream&depth=2');
    assert.deepEqual(nodes(answer), [['b', 0], ['c', 1], ['d', 2]]);
    assert.deepEqual(answer.edges.map((e) => `${e.source}>${e.target}`), ['b>c', 'c>d']);
    assert.equal(answer.root.name, 'b');
    assert.equal(answer.direction, 'downstream');
  });

  test('upstream: what it was made from, with negative distances', async () => {
    const answer = await lineage('d', '?direction=upstream&depth=5');
    assert.deepEqual(nodes(answer), [['a', -3], ['b', -2], ['x', -2], ['c', -1], ['d', 0]]);
    assert.deepEqual(answer.edges.map((e) => `${e.source}>${e.target}`).sort(), ['a>b', 'b>c', 'c>d', 'x>c']);
  });

  test('both (the default): ancestors and descendants, not siblings', async () => {
    const answer = await lineage('c', '?depth=1');
    assert.deepEqual(nodes(answer), [['b', -1], ['x', -1], ['c', 0], ['d', 1]]);
    const all = await lineage('x');
    // x's descendants only: a and b feed c too, but are not downstream of x.
    assert.deepEqual(nodes(all), [['x', 0], ['c', 1], ['d', 2], ['e', 3]]);
    assert.equal(all.depth, 3);
  });

  test('a depth past the cap is answered at the cap (10)', async () => {
    const answer = await lineage('a', '?direction=downstream&depth=1000');
    assert.equal(answer.depth, 10);
    assert.deepEqual(nodes(answer), [['a', 0], ['b', 1], ['c', 2], ['d', 3], ['e', 4]]);
  });

  test('a cycle is walked once: each entry appears once, at its shortest distance', async () => {
    for (const name of ['p', 'q', 'r']) ids.set(name, await register(api, { name }));
    for (const [s, t] of [['p', 'q'], ['q', 'r'], ['r', 'p']]) await link(s, t);
    const answer = await lineage('p', '?direction=both&depth=10');
    // q is one edge downstream (and two upstream), r one upstream (and two downstream).
    assert.deepEqual(nodes(answer), [['r', -1], ['p', 0], ['q', 1]]);
    assert.deepEqual(answer.edges.map((e) => `${e.source}>${e.target}`), ['p>q', 'q>r', 'r>p']);
  });

  test('a deleted entry is not passed through', async () => {
    for (const name of ['m1', 'm2', 'm3']) ids.set(name, await register(api, { name }));
    await link('m1', 'm2');
    await link('m2', 'm3');
    await api.call('DELETE', `/api/metadata/${ids.get('m2')}`);
    assert.deepEqual(nodes(await lineage('m1', '?direction=downstream')), [['m1', 0]]);
  });

  test('GET errors: unknown entry 404, bad direction or depth 400', async () => {
    assert.equal((await api.call('GET', '/api/metadata/424242/lineage')).status, 404);
    for (const query of ['direction=sideways', 'depth=0', 'depth=two', 'depth=-1']) {
      const response = await api.call('GET', `/api/metadata/${ids.get('a')}/lineage?${query}`);
      assert.equal(response.status, 400, query);
    }
  });

  test('POST errors: an unknown end 404, the same entry twice 400, a bad relation or run id 400', async () => {
    const unknown = await link('a', 'nowhere');
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'SLUICE_ERR_METADATA_NOT_FOUND');
    assert.equal((await link('a', 'a')).status, 400);
    assert.equal((await link('a', 'b', { relation: 'Has Spaces' })).status, 400);
    assert.equal((await link('a', 'b', { run_id: 'not-a-uuid' })).status, 400);
    assert.equal((await api.call('POST', '/api/metadata/lineage', { source: 'a' })).status, 400);
  });
});
