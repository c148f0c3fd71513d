/**
 * The CSV value formats apply to JSON string values: dates written `2001/01/01 00:47` or
 * `31.12.2023`, decimal commas, null tokens — typed, normalised in the workers, with the format in
 * the summary; plain digits in quotes stay text.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { stringColumnFormat } from '../../../src/formats/json/string-formats.js';
import { ColumnType } from '../../../src/schema/column-type.js';
import { engineFixture } from '../../helpers/engine-fixture.js';

describe('JSON string values in CSV value formats', () => {
  test('stringColumnFormat: formats are found, plain digits and plain words are left alone', () => {
    assert.equal(stringColumnFormat(['2001/01/01 00:47', '2001/01/02 13:05'])?.type, ColumnType.timestamptz);
    assert.equal(stringColumnFormat(['3,14', '1.234,5', '0,5'])?.type, ColumnType.float);
    assert.equal(stringColumnFormat(['12', '13']), null, 'digits in a string stay text');
    assert.equal(stringColumnFormat(['true', 'false']), null);
    assert.equal(stringColumnFormat(['2024-01-02', 'N/A'])?.format.nullTokens, true);
    assert.equal(stringColumnFormat(['hello', '3,14']), null);
    assert.equal(stringColumnFormat([]), null);
  });

  describe('a load', () => {
    const fixture = engineFixture('json-formats', { workers: 2, writers: 2, chunkSize: 400 });

    test('typed and normalised values over many chunks; the format in the summary', async () => {
      const records = Array.from({ length: 120 }, (_, i) => ({
        id: i,
        at: `2001/01/${String(1 + (i % 28)).padStart(2, '0')} ${String(i % 24).padStart(2, '0')}:47`,
        day: `${String(1 + (i % 28)).padStart(2, '0')}.12.2023`,
        amount: i % 10 === 0 ? 'N/A' : `${i},25`,
        code: `${1000 + i}`,
      }));
      const path = join(fixture.dir, 'formatted.ndjson');
      await writeFile(path, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
      const summary = await fixture.engine.ingest(path);
      assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
      assert.equal(summary.rows, 120);
      assert.equal(summary.rejected, 0);
      const byName = new Map(summary.columns.map((c) => [c.name, c]));
      assert.equal(byName.get('at')?.type, 'timestamp with time zone');
      assert.equal(byName.get('day')?.type, 'date');
      assert.equal(byName.get('amount')?.type, 'double precision');
      assert.equal(byName.get('code')?.type, 'text');
      assert.ok(byName.get('day')?.format !== null && byName.get('amount')?.format !== null);
      const rows = await fixture.client.query<{ id: number; at: string; day: string; amount: number | null; code: string }>(
        `SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS at, day::text AS day, amount, code FROM staging.formatted ORDER BY id`);
      assert.deepEqual(rows.rows, records.map((r, i) => ({
        id: i, at: r.at.replaceAll('/', '-'), day: `2023-12-${r.day.slice(0, 2)}`, amount: i % 10 === 0 ? null : i + 0.25, code: r.code,
      })));
    });
  });
});
