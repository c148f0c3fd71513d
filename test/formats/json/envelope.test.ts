/**
 * JSON records inside an envelope object — `{"data": [...]}`, `{"results": {"items": [...]}}`, or
 * the array `--json-path` names — load as the array's elements, over many chunks, with keys after
 * the array (forward scan for its end) and without (read from the tail).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { findRecordsArray } from '../../../src/formats/json/records-array.js';
import { engineFixture } from '../../helpers/engine-fixture.js';

const records = (count: number) => Array.from({ length: count }, (_, i) => ({ id: i, name: `n ${i} "q" ]}`, value: i / 2, nested: { tag: `t${i % 3}` } }));

describe('JSON records in an envelope object', () => {
  test('findRecordsArray: breadth first, by path, not a scalar array', () => {
    const find = (text: string, path?: string[]) => {
      const bytes = Buffer.from(text);
      return findRecordsArray(bytes, text.indexOf('{'), bytes.length, path);
    };
    assert.deepEqual(find('{"meta": {"n": [1, 2]}, "data": [{"a": 1}]}')?.path, ['data']);
    assert.deepEqual(find('{"meta": {"pages": 3}, "results": {"count": 2, "items": [ {"a": 1}]}}')?.path, ['results', 'items']);
    assert.equal(find('{"tags": ["x", "y"], "n": 3}'), null, 'an array of scalars holds no records');
    const text = '{"a": [{"x": 1}], "b": {"c": [{"y": 2}]}}';
    assert.deepEqual(find(text, ['b', 'c']), { path: ['b', 'c'], dataStart: text.indexOf('[{"y"') + 1 });
    assert.equal(find(text, ['b', 'missing']), null);
  });

  describe('loads', () => {
    const fixture = engineFixture('envelope', { workers: 2, writers: 2, chunkSize: 512 });

    const check = async (dataset: string, count: number) => {
      const rows = await fixture.client.query(`SELECT id, name, value, nested_tag FROM staging.${dataset} ORDER BY id`);
      assert.deepEqual(rows.rows, records(count).map((r) => ({ id: r.id, name: r.name, value: r.value, nested_tag: r.nested.tag })));
    };

    test('{"data": [...]} as the last value, pretty-printed, many chunks', async () => {
      const path = join(fixture.dir, 'wrapped.json');
      await writeFile(path, JSON.stringify({ status: 'ok', data: records(300) }, null, 2));
      const summary = await fixture.engine.ingest(path);
      assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
      assert.equal(summary.json_path, 'data');
      assert.equal(summary.rows, 300);
      assert.equal(summary.rejected, 0);
      await check('wrapped', 300);
    });

    test('nested two levels, with keys after the array', async () => {
      const path = join(fixture.dir, 'paged.json');
      await writeFile(path, JSON.stringify({ meta: { page: 1 }, results: { items: records(250), next: 'x]}' }, total: 250 }));
      const summary = await fixture.engine.ingest(path);
      assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
      assert.equal(summary.json_path, 'results.items');
      assert.equal(summary.rows, 250);
      assert.equal(summary.rejected, 0);
      await check('paged', 250);
    });

    test('--json-path picks the array; a path to nothing is a clear error', async () => {
      const path = join(fixture.dir, 'two_arrays.json');
      await writeFile(path, JSON.stringify({ first: [{ other: 1 }], second: records(20) }));
      const summary = await fixture.engine.ingest(path, { overrides: { jsonPath: 'second' } });
      assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
      assert.equal(summary.json_path, 'second');
      await check('two_arrays', 20);
      const missing = await fixture.engine.ingest(path, { overrides: { jsonPath: 'third' }, force: true });
      assert.equal(missing.status, 'failed');
      assert.equal(missing.error?.code, 'SLUICE_ERR_FORMAT_JSON_INVALID');
      assert.match(missing.error?.message ?? '', /no array at JSON path third/);
    });
  });
});
