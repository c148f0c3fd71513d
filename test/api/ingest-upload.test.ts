import { createHash } from 'node:crypto';
import { readdir, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { request } from 'undici';
import { ingestRoutes } from '../../src/api/ingest-routes.js';
import { createEngine, type Engine } from '../../src/engine.js';
import type { FileSummary } from '../../src/summary.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const TOKEN = 'upload-test-token';
const MAX_BYTES = 300 * 1024 * 1024;
let db: TestDatabase;
let engine: Engine;
let server: ServerType;
let base = '';
let root = '';
let spoolDir = '';
const auth = { authorization: `Bearer ${TOKEN}` };

function csv(rows: number, tag: string): string {
  let text = 'id,tag\n';
  for (let i = 0; i < rows; i++) text += `${i},${tag}\n`;
  return text;
}

function multipart(boundary: string, parts: { name: string; filename?: string; body: string }[]): string {
  return parts.map((p) => `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}\r\n`
    + `${p.filename !== undefined ? 'Content-Type: text/csv\r\n' : ''}\r\n${p.body}\r\n`).join('') + `--${boundary}--\r\n`;
}

async function post(path: string, body: string | Buffer | Readable, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; json: any }> {
  const response = await request(`${base}${path}`, { method: 'POST', body, headers: { ...auth, ...headers } });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, json: text === '' ? null : JSON.parse(text) };
}

async function spoolEntries(): Promise<string[]> {
  return readdir(spoolDir).catch(() => []);
}

describe('POST /api/ingest', { timeout: 240_000 }, () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sluice-upload-'));
    spoolDir = join(root, 'spool');
    db = await createTestDatabase();
    engine = createEngine({ databaseUrl: db.url, home: join(root, 'home'), workers: 1, writers: 2, config: { datasets: {} } });
    await engine.start();
    const app = new Hono();
    app.route('/api', ingestRoutes({ engine, spoolDir, maxBytes: MAX_BYTES, token: TOKEN }));
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await engine?.close();
    await db?.drop();
    await rm(root, { recursive: true, force: true });
  });

  it('takes a raw body with ?name= and answers 200 with the summary when asked to wait', async () => {
    const text = csv(25, 'raw');
    const res = await post('/api/ingest?name=raw_wait.csv&wait=true', text, { 'content-type': 'text/csv' });
    assert.equal(res.status, 200);
    const summary = res.json as FileSummary;
    assert.equal(summary.status, 'loaded');
    assert.equal(summary.rows, 25);
    assert.equal(summary.dataset, 'raw_wait');
    assert.equal(summary.sha256, createHash('sha256').update(text).digest('hex'));
    assert.equal((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM staging.raw_wait')).rows[0].n, 25);
    assert.deepEqual(await spoolEntries(), [], 'the spooled copy is removed after the load');
  });

  it('takes PUT as POST (curl -T)', async () => {
    const response = await request(`${base}/api/ingest?name=put_upload.csv&wait=true`, { method: 'PUT', body: csv(7, 'put'), headers: auth });
    assert.equal(response.statusCode, 200);
    assert.equal((await response.body.json() as FileSummary).rows, 7);
  });

  it('answers 202 with the sha256 as id and a Location, and loads in the background', async () => {
    const text = csv(10, 'accepted');
    const sha256 = createHash('sha256').update(text).digest('hex');
    const loaded = new Promise<FileSummary>((resolve) => {
      const stop = engine.events.subscribe((event) => {
        if (event.type === 'file.loaded' && event.data.summary.sha256 === sha256) { stop(); resolve(event.data.summary); }
      });
    });
    const discovered: string[] = [];
    engine.events.subscribe((event) => { if (event.type === 'file.discovered' && event.data.source === 'upload') discovered.push(event.data.path); });
    const res = await post('/api/ingest?name=raw_async.csv', text);
    assert.equal(res.status, 202);
    assert.deepEqual(res.json, { id: sha256, name: 'raw_async.csv', bytes: Buffer.byteLength(text), status: 'accepted', location: `/api/files/${sha256}` });
    assert.equal(res.headers.location, `/api/files/${sha256}`);
    assert.equal((await loaded).rows, 10);
    assert.equal(discovered.length, 1);
  });

  it('takes the one file part of a multipart body, skipping form fields', async () => {
    const text = csv(40, 'multi');
    const boundary = '----sluice-boundary-x7';
    const body = multipart(boundary, [{ name: 'note', body: 'a field\r\nwith a line break' }, { name: 'file', filename: 'multi_part.csv', body: text }]);
    const res = await post('/api/ingest?wait=true', body, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.dataset, 'multi_part');
    assert.equal(res.json.rows, 40);
    assert.equal(res.json.sha256, createHash('sha256').update(text).digest('hex'), 'the part content, byte for byte');
  });

  it('parses a multipart body whatever its chunking (the boundary split across chunks)', async () => {
    const text = csv(300, 'chunked-multi');
    const boundary = 'b0undary';
    const body = Buffer.from(multipart(boundary, [{ name: 'file', filename: 'multi_chunked.csv', body: text }]));
    // Seven-byte chunks: every delimiter and header spans chunks.
    const pieces: Buffer[] = [];
    for (let i = 0; i < body.length; i += 7) pieces.push(body.subarray(i, i + 7));
    const res = await post('/api/ingest?wait=true', Readable.from(pieces), { 'content-type': `multipart/form-data; boundary=${boundary}` });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.sha256, createHash('sha256').update(text).digest('hex'));
  });

  it('refuses a multipart body with no file part, two file parts, or no closing boundary (400)', async () => {
    const boundary = 'bnd';
    const type = { 'content-type': `multipart/form-data; boundary=${boundary}` };
    const none = await post('/api/ingest', multipart(boundary, [{ name: 'a', body: 'x' }]), type);
    assert.equal(none.status, 400);
    assert.equal(none.json.error.code, 'SLUICE_ERR_UPLOAD_MULTIPART');
    const two = await post('/api/ingest', multipart(boundary, [{ name: 'f', filename: 'one.csv', body: 'a\n1\n' }, { name: 'g', filename: 'two.csv', body: 'a\n2\n' }]), type);
    assert.equal(two.status, 400);
    const cut = await post('/api/ingest', `--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="cut.csv"\r\n\r\na\n1\n`, type);
    assert.equal(cut.status, 400);
    assert.deepEqual(await spoolEntries(), []);
  });

  it('refuses names with a path separator, "..", a NUL or an absolute path (400)', async () => {
    for (const name of ['../escape.csv', 'a/b.csv', '..', 'a\\b.csv', 'nul\u0000.csv', '/etc/passwd', 'C:\\x.csv', '']) {
      const res = await post(`/api/ingest?name=${encodeURIComponent(name)}`, 'a\n1\n');
      assert.equal(res.status, 400, name);
      assert.equal(res.json.error.code, name === '' ? 'SLUICE_ERR_UPLOAD_NAME' : 'SLUICE_ERR_UPLOAD_NAME', name);
    }
    const noName = await post('/api/ingest', 'a\n1\n');
    assert.equal(noName.status, 400);
    const boundary = 'bnd2';
    const evil = await post('/api/ingest', multipart(boundary, [{ name: 'f', filename: '../../evil.csv', body: 'a\n1\n' }]), { 'content-type': `multipart/form-data; boundary=${boundary}` });
    assert.equal(evil.status, 400);
    assert.equal(evil.json.error.code, 'SLUICE_ERR_UPLOAD_NAME');
    assert.deepEqual(await spoolEntries(), []);
  });

  it('needs the token: 401 without a header, 400 malformed, 401 wrong', async () => {
    const none = await request(`${base}/api/ingest?name=x.csv`, { method: 'POST', body: 'a\n1\n' });
    assert.equal(none.statusCode, 401);
    assert.equal((await none.body.json() as { error: { code: string } }).error.code, 'SLUICE_ERR_UNAUTHORIZED');
    const malformed = await request(`${base}/api/ingest?name=x.csv`, { method: 'POST', body: 'a\n1\n', headers: { authorization: 'Token abc' } });
    assert.equal(malformed.statusCode, 400);
    await malformed.body.dump();
    const wrong = await request(`${base}/api/ingest?name=x.csv`, { method: 'POST', body: 'a\n1\n', headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.statusCode, 401);
    await wrong.body.dump();
  });

  it('refuses an oversize upload with 413: by Content-Length at once, and a chunked body once past the limit (temp file removed)', async () => {
    const small = new Hono();
    small.route('/api', ingestRoutes({ engine, spoolDir, maxBytes: 1024 * 1024, token: undefined }));
    const limited = serve({ fetch: small.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => limited.once('listening', resolve));
    const url = `http://127.0.0.1:${(limited.address() as AddressInfo).port}/api/ingest?name=big.csv`;
    try {
      const declared = await request(url, { method: 'POST', body: Buffer.alloc(2 * 1024 * 1024, 0x41) });
      assert.equal(declared.statusCode, 413);
      assert.equal((await declared.body.json() as { error: { code: string } }).error.code, 'SLUICE_ERR_UPLOAD_TOO_LARGE');
      // No Content-Length: chunked transfer, cut off while streaming.
      let sent = 0;
      const endless = new Readable({
        read() {
          if (sent >= 8 * 1024 * 1024) { this.push(null); return; }
          sent += 64 * 1024;
          this.push(Buffer.alloc(64 * 1024, 0x42));
        },
      });
      const chunked = await request(url, { method: 'POST', body: endless }).catch((error: Error) => error);
      if (chunked instanceof Error) assert.fail(`the client saw ${chunked.message} instead of a 413`);
      assert.equal(chunked.statusCode, 413);
      await chunked.body.dump();
      assert.ok(sent < 8 * 1024 * 1024, 'the server stopped reading');
      await sleep(200);
      assert.deepEqual(await spoolEntries(), [], 'no partial file is left in the spool');
    } finally {
      await new Promise((resolve) => limited.close(resolve));
    }
  });

  it('streams a 200 MB upload to the spool with flat memory', { timeout: 180_000 }, async () => {
    const note = 'x'.repeat(1000);
    const line = (i: number): string => `${i},${note}\n`;
    const total = 200 * 1024 * 1024;
    let produced = 0;
    let i = 0;
    const hash = createHash('sha256');
    const body = new Readable({
      read() {
        if (produced >= total) { this.push(null); return; }
        let chunk = produced === 0 ? 'id,note\n' : '';
        while (chunk.length < 256 * 1024) chunk += line(i++);
        produced += chunk.length;
        hash.update(chunk);
        this.push(chunk);
      },
    });
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
    let res;
    try {
      res = await post('/api/ingest?name=upload_200mb.csv', body, { 'content-type': 'text/csv' });
    } finally {
      clearInterval(sampler);
    }
    assert.equal(res.status, 202, JSON.stringify(res.json));
    assert.ok(res.json.bytes >= total);
    assert.equal(res.json.id, hash.digest('hex'));
    const growth = (peak - baseline) / 1024 / 1024;
    assert.ok(growth < 60, `RSS grew ${growth.toFixed(1)} MB while 200 MB streamed through`);
    // The load it started finishes before the suite closes the engine.
    const summary = await new Promise<FileSummary>((resolve) => {
      const stop = engine.events.subscribe((event) => {
        if ((event.type === 'file.loaded' || event.type === 'file.failed') && event.data.summary.sha256 === res.json.id) { stop(); resolve(event.data.summary); }
      });
    });
    assert.equal(summary.status, 'loaded');
    assert.equal(summary.rows, i);
  });
});
