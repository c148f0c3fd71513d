import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { constants, gzipSync } from 'node:zlib';
import { createEngine, type Engine } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

function csv(tag: string, rows: number): string {
  const lines = ['id,tag,amount'];
  for (let i = 1; i <= rows; i++) lines.push(`${i},${tag},${i * 3}`);
  return `${lines.join('\n')}\n`;
}

const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

describe('gzip inputs are decompressed into the spool, then loaded', () => {
  let db: TestDatabase;
  let home: string;
  let dir: string;
  let engine: Engine;

  before(async () => {
    db = await createTestDatabase();
    home = await mkdtemp(join(tmpdir(), 'sluice-gzip-home-'));
    dir = await mkdtemp(join(tmpdir(), 'sluice-gzip-'));
    engine = createEngine({ databaseUrl: db.url, home, workers: 1, writers: 1, chunkSize: 4096, maxDownloadBytes: 1024 * 1024 });
  });

  after(async () => {
    await engine.close();
    await db.drop();
    await rm(home, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  });

  const spoolLeft = (): Promise<string[]> => readdir(join(home, 'spool')).catch(() => []);

  test('a .csv.gz loads as the CSV inside: format csv, compression gzip, dataset from the inner name, identity of the content', async () => {
    const text = csv('orders', 500);
    const path = join(dir, 'orders.csv.gz');
    await writeFile(path, gzipSync(text));
    const summary = await engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.deepEqual([summary.file, summary.dataset, summary.format, summary.compression, summary.delimiter, summary.rows], [path, 'orders', 'csv', 'gzip', ',', 500]);
    assert.equal(summary.sha256, sha256(text), 'the identity is the decompressed content');
    const ledger = await db.query<{ source: string }>(`SELECT source FROM ingest.files WHERE dataset = 'orders'`);
    assert.equal(ledger.rows[0].source, path);
    assert.deepEqual(await spoolLeft(), []);
  });

  test('gzip bytes are recognised by their magic number whatever the name', async () => {
    const path = join(dir, 'disguised.csv');
    await writeFile(path, gzipSync(csv('disguised', 20)));
    const summary = await engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.deepEqual([summary.dataset, summary.compression, summary.rows], ['disguised', 'gzip', 20]);
  });

  test('the same content is one file however it arrives: plain, gzipped, gzipped again with other settings', async () => {
    const text = csv('same', 100);
    const plain = join(dir, 'same.csv');
    const fast = join(dir, 'same-fast.csv.gz');
    const best = join(dir, 'same-best.csv.gz');
    await writeFile(plain, text);
    await writeFile(fast, gzipSync(text, { level: 1 }));
    await writeFile(best, gzipSync(text, { level: constants.Z_BEST_COMPRESSION }));
    assert.notEqual(sha256(gzipSync(text, { level: 1 })), sha256(gzipSync(text, { level: 9 })), 'the compressed bytes differ');
    const first = await engine.ingest(plain);
    assert.equal(first.status, 'loaded');
    const again = [await engine.ingest(fast), await engine.ingest(best), await engine.ingest(fast)];
    assert.deepEqual(again.map((s) => [s.status, s.sha256, s.compression]), again.map(() => ['skipped', first.sha256, 'gzip']));
    const loaded = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM staging.same');
    assert.equal(loaded.rows[0].count, 100);
  });

  test('the inner format is what the inner name and bytes say (.tsv.gz is tab-separated)', async () => {
    const path = join(dir, 'tabs.tsv.gz');
    await writeFile(path, gzipSync('a\tb\n1\tx\n2\ty\n'));
    const summary = await engine.ingest(path);
    assert.deepEqual([summary.status, summary.dataset, summary.delimiter, summary.rows], ['loaded', 'tabs', '\t', 2]);
  });

  test('a gzip bomb stops at maxDownloadBytes with SLUICE_ERR_SOURCE_TOO_LARGE and leaves nothing behind', async () => {
    // 256 MiB of zeros compress to ~250 KB; the limit is 1 MiB.
    const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024), { level: 9 });
    assert.ok(bomb.length < 512 * 1024);
    const path = join(dir, 'bomb.csv.gz');
    await writeFile(path, bomb);
    const started = performance.now();
    const summary = await engine.ingest(path);
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.code, 'SLUICE_ERR_SOURCE_TOO_LARGE');
    assert.ok(performance.now() - started < 5000, 'stopped at the limit, not after inflating everything');
    assert.deepEqual(await spoolLeft(), []);
    const ledger = await db.query(`SELECT 1 FROM ingest.files WHERE dataset = 'bomb'`);
    assert.equal(ledger.rowCount, 0);
  });

  test('a truncated gzip file fails with SLUICE_ERR_SOURCE_GZIP, and so does a .gz that is not gzip', async () => {
    const whole = gzipSync(csv('truncated', 2000));
    const truncated = join(dir, 'truncated.csv.gz');
    const fake = join(dir, 'fake.csv.gz');
    await writeFile(truncated, whole.subarray(0, whole.length - 100));
    await writeFile(fake, 'a,b\n1,2\n');
    const summaries = [await engine.ingest(truncated), await engine.ingest(fake)];
    assert.deepEqual(summaries.map((s) => [s.status, s.error?.code]), [['failed', 'SLUICE_ERR_SOURCE_GZIP'], ['failed', 'SLUICE_ERR_SOURCE_GZIP']]);
    assert.deepEqual(await spoolLeft(), []);
  });

  test('a missing .gz fails like a missing file', async () => {
    const summary = await engine.ingest(join(dir, 'nowhere.csv.gz'));
    assert.equal(summary.error?.code, 'SLUICE_ERR_FILE_NOT_FOUND');
  });
});
