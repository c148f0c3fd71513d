/**
 * A stray quote must not swallow a file: files of 20,000 rows with one misplaced quote at several
 * positions, loaded at several chunk sizes — every record is a row or a reject (rows + rejected =
 * records), the stray quote's row loads as written where RFC 4180 reads it, and only the
 * offending line is rejected where it cannot be read.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEngine, type Engine } from '../../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';

const ROWS = 20_000;
const POSITIONS = [1, 100, 9_999, ROWS];
const CHUNK_SIZES = [4096, 64 * 1024, 4 * 1024 * 1024];

/** `id,item,qty` rows, the one at `at` (1-based) replaced by `odd`. */
function file(at: number, odd: (id: number) => string, row: (id: number) => string = (id) => `${id},item ${id},${id % 7}`): string {
  const lines = ['id,item,qty'];
  for (let id = 1; id <= ROWS; id++) lines.push(id === at ? odd(id) : row(id));
  return `${lines.join('\n')}\n`;
}

describe('stray quotes at several positions and chunk sizes', () => {
  let db: TestDatabase;
  let dir: string;
  const engines = new Map<number, Engine>();

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-stray-'));
    for (const chunkSize of CHUNK_SIZES) engines.set(chunkSize, createEngine({ databaseUrl: db.url, workers: 2, writers: 2, chunkSize }));
  });

  after(async () => {
    await Promise.all([...engines.values()].map((e) => e.close()));
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  async function load(name: string, text: string, chunkSize: number) {
    const path = join(dir, `${name}.csv`);
    await writeFile(path, text);
    const summary = await engines.get(chunkSize)!.ingest(path, { force: true });
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    return summary;
  }

  async function item(dataset: string, id: number): Promise<string | undefined> {
    const result = await db.query<{ item: string }>(`SELECT item FROM staging.${dataset} WHERE id = $1`, [id]);
    return result.rows[0]?.item;
  }

  for (const chunkSize of CHUNK_SIZES) {
    for (const at of POSITIONS) {
      test(`an inch mark inside an unquoted field (row ${at}, chunks of ${chunkSize}): every row loads`, async () => {
        const dataset = `inch_${at}_${chunkSize}`;
        const summary = await load(dataset, file(at, (id) => `${id},pizza 12" large,${id % 7}`), chunkSize);
        assert.deepEqual([summary.rows, summary.rejected], [ROWS, 0]);
        assert.equal(await item(dataset, at), 'pizza 12" large');
        assert.equal(await item(dataset, ROWS === at ? 1 : ROWS), `item ${ROWS === at ? 1 : ROWS}`);
      });

      test(`a quote inside a quoted field (all fields quoted, row ${at}, chunks of ${chunkSize}): every row loads`, async () => {
        const dataset = `bank_${at}_${chunkSize}`;
        const quoted = (id: number): string => `"${id}","item ${id}","${id % 7}"`;
        const summary = await load(dataset, file(at, (id) => `"${id}","XXX: "XXX XXX","${id % 7}"`, quoted), chunkSize);
        assert.deepEqual([summary.rows, summary.rejected], [ROWS, 0]);
        assert.equal(await item(dataset, at), 'XXX: "XXX XXX');
      });

      test(`a quote that opens a field and never closes (row ${at}, chunks of ${chunkSize}): only its line is rejected`, async () => {
        const dataset = `open_${at}_${chunkSize}`;
        const text = file(at, (id) => `${id},"12 inch pizza,${id % 7}`);
        const summary = await load(dataset, text, chunkSize);
        assert.deepEqual([summary.rows, summary.rejected], [ROWS - 1, 1]);
        assert.equal(summary.rows + summary.rejected, ROWS, 'rows + rejected = records');
        assert.deepEqual(summary.reject_samples.map((r) => [r.reason, r.line, r.byte_offset]), [['UNCLOSED_QUOTE', at + 1, text.indexOf(`\n${at},"12`) + 1]]);
        assert.equal(await item(dataset, at), undefined);
        if (at < ROWS) assert.equal(await item(dataset, at + 1), `item ${at + 1}`);
      });
    }
  }
});
