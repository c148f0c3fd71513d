/**
 * A failed load names the input as the user gave it — the URL, the .gz, the relative path — and
 * never the spool copy Sluice made of it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createEngine, type Engine } from '../../src/index.js';
import type { FileSummary } from '../../src/summary.js';
import { zipArchive } from '../formats/xlsx/workbook-fixtures.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startServer, type TestServer } from '../helpers/http-server.js';

/** A zstd frame holding "a,b\n1,2\n" as one raw block. */
const ZSTD = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x08, 0x41, 0x00, 0x00]), Buffer.from('a,b\n1,2\n')]);
/** JSON in UTF-16 (with its BOM), which Sluice refuses with a message that names the file. */
const UTF16_JSON = Buffer.from('\ufeff[{"a": 1}]\n', 'utf16le');

describe('errors name the input the user gave, not a spool path', () => {
  let db: TestDatabase;
  let home: string;
  let dir: string;
  let server: TestServer;
  let engine: Engine;

  before(async () => {
    db = await createTestDatabase();
    home = await mkdtemp(join(tmpdir(), 'sluice-naming-home-'));
    dir = await mkdtemp(join(tmpdir(), 'sluice-naming-'));
    server = await startServer({
      '/exports/data.csv.zst': (_req, res) => { res.writeHead(200).end(ZSTD); },
      '/exports/data.bin': (_req, res) => { res.writeHead(200).end(ZSTD); },
      '/feed.json': (_req, res) => { res.writeHead(200).end(UTF16_JSON); },
      '/feed.json.gz': (_req, res) => { res.writeHead(200).end(gzipSync(UTF16_JSON)); },
      '/bundle.xlsx': (_req, res) => { res.writeHead(200).end(zipArchive({ 'data.csv': 'a,b\n1,2\n' })); },
    });
    engine = createEngine({ databaseUrl: db.url, home, workers: 1, writers: 1, chunkSize: 4096 });
  });

  after(async () => {
    await engine.close();
    await server.close();
    await db.drop();
    await rm(home, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  });

  function assertNamed(summary: FileSummary, input: string, code: string): void {
    assert.equal(summary.status, 'failed');
    assert.equal(summary.file, input);
    assert.equal(summary.error?.code, code, summary.error?.message);
    assert.ok(!summary.error!.message.includes(home), `no spool path in: ${summary.error!.message}`);
  }

  test('a zstd file over HTTP fails as compressed, naming zstd', async () => {
    const url = server.url('/exports/data.csv.zst');
    const summary = await engine.ingest(url);
    assertNamed(summary, url, 'SLUICE_ERR_FORMAT_UNSUPPORTED');
    assert.match(summary.error!.message, /zstd/);
    assert.equal(server.requests('/exports/data.csv.zst'), 0, 'refused by its name, before the download');
    const disguised = server.url('/exports/data.bin');
    const named = await engine.ingest(disguised);
    assertNamed(named, disguised, 'SLUICE_ERR_FORMAT_UNSUPPORTED');
    assert.match(named.error!.message, /zstd/);
    assert.equal(server.requests('/exports/data.bin'), 1, 'zstd bytes under another name are found after the download');
  });

  test('a message about a downloaded file names its URL', async () => {
    for (const path of ['/feed.json', '/feed.json.gz']) {
      const url = server.url(path);
      const summary = await engine.ingest(url);
      assertNamed(summary, url, 'SLUICE_ERR_FORMAT_UNSUPPORTED');
      assert.ok(summary.error!.message.startsWith(`${url}: `), summary.error!.message);
    }
  });

  test('a downloaded zip that is not a workbook names its URL', async () => {
    const url = server.url('/bundle.xlsx');
    const summary = await engine.ingest(url);
    assertNamed(summary, url, 'SLUICE_ERR_FORMAT_XLSX_NOT_WORKBOOK');
    assert.ok(summary.error!.message.startsWith(`${url} is a zip archive`), summary.error!.message);
  });

  test('a message about a decompressed .gz names the .gz as given', async () => {
    const path = join(dir, 'feed.json.gz');
    await writeFile(path, gzipSync(UTF16_JSON));
    const summary = await engine.ingest(path);
    assertNamed(summary, path, 'SLUICE_ERR_FORMAT_UNSUPPORTED');
    assert.ok(summary.error!.message.startsWith(`${path}: `), summary.error!.message);
  });

  test('a relative path is named as typed, also inside the file system\'s own message', async () => {
    const missing = relative(process.cwd(), join(dir, 'missing.csv'));
    const summary = await engine.ingest(missing);
    assertNamed(summary, missing, 'SLUICE_ERR_FILE_NOT_FOUND');
    // Node's message quotes the path it was given: the absolute one, rewritten.
    assert.ok(!summary.error!.message.includes(`'${join(dir, 'missing.csv')}'`), summary.error!.message);
    assert.ok(summary.error!.message.includes(`'${missing}'`), summary.error!.message);
  });
});
