import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { fetch } from 'undici';
import { startApiServer } from '../../src/api/serve.js';
import type { ServiceStatus } from '../../src/api/status-routes.js';
import { type ApiFixture, startApiFixture } from '../helpers/api.js';
import { CLI, ROOT, sluice } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('startApiServer', () => {
  let fx: ApiFixture;

  before(async () => {
    fx = await startApiFixture();
  });

  after(async () => {
    await fx.close();
  });

  test('without a token it listens on 127.0.0.1 only, whatever host was asked for, and says so', async () => {
    const server = await startApiServer({ app: fx.service.app, port: 0, host: '0.0.0.0' });
    try {
      assert.equal(server.host, '127.0.0.1');
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(server.notice ?? '', /no SLUICE_API_TOKEN: listening on 127\.0\.0\.1 only, not 0\.0\.0\.0/);
      assert.equal((await fetch(`${server.url}/api/status`)).status, 200);
    } finally {
      await server.close();
    }
  });

  test('with a token it listens where asked, with no notice', async () => {
    const server = await startApiServer({ app: fx.service.app, port: 0, host: '127.0.0.1', token: 't0ken' });
    try {
      assert.equal(server.notice, null);
      assert.ok(server.port > 0);
    } finally {
      await server.close();
    }
  });

  test('close() ends open event streams instead of waiting for them', async () => {
    const server = await startApiServer({ app: fx.service.app, port: 0 });
    const response = await fetch(`${server.url}/api/events`);
    const reader = response.body!.getReader();
    await reader.read();
    const started = Date.now();
    await server.close();
    assert.ok(Date.now() - started < 2000);
    await assert.rejects(async () => { for (;;) if ((await reader.read()).done) throw new Error('ended'); });
  });

  test('a port in use is an error, not a crash', async () => {
    const first = await startApiServer({ app: fx.service.app, port: 0 });
    try {
      await assert.rejects(startApiServer({ app: fx.service.app, port: first.port }), { code: 'EADDRINUSE' });
    } finally {
      await first.close();
    }
  });
});

describe('sluice serve', () => {
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase();
  });

  after(async () => {
    await db.drop();
  });

  test('prints its URL and the database\'s, serves the API and the status page, and stops cleanly on SIGINT', async () => {
    const env = { ...process.env, DATABASE_URL: db.url, SLUICE_API_TOKEN: '', REDIS_URL: '', SLUICE_LOG_LEVEL: 'info' };
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--workers', '1'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const exited = once(child, 'exit');
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    try {
      const deadline = Date.now() + 30_000;
      while (!/database /.test(stdout) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      const url = /sluice API on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      assert.ok(url !== undefined, `${stdout}\n${stderr}`);
      assert.ok(stdout.includes(`database ${db.url}`), stdout);
      assert.match(stderr, /no SLUICE_API_TOKEN: listening on 127\.0\.0\.1 only/);
      const status = await (await fetch(`${url}/api/status`)).json() as ServiceStatus;
      assert.equal(status.state, 'idle');
      assert.equal(status.redis.status, 'not_configured');
      const page = await fetch(`${url}/`);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(await page.text(), /<title>Sluice status<\/title>/);
      child.kill('SIGINT');
      const [code] = await exited as [number | null];
      assert.equal(code, 0, stderr);
      assert.match(stderr, /stopping/);
    } finally {
      clearTimeout(killer);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('a bad --port is a usage error (exit 2)', async () => {
    const outcome = await sluice(['serve', '--port', 'eighty'], { ...process.env, DATABASE_URL: db.url });
    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, /--port must be a port number/);
  });
});
