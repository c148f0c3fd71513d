/**
 * `sluice watch` as a user runs it: the real CLI on a free port, files dropped into the watched
 * folder (one written slowly over seconds), an upload over HTTP with undici, then SIGTERM: the
 * process drains what it accepted and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { CLI, ROOT } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const TOKEN = 'daemon-test-token';
let db: TestDatabase;
let root = '';
let child: ChildProcess | undefined;
let stdout = '';
let stderr = '';

async function waitFor(what: () => boolean | Promise<boolean>, label: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    await sleep(50);
  }
}

async function rows(table: string): Promise<number> {
  const found = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'staging' AND tablename = $1`, [table]);
  if (found.rows[0].n === 0) return 0;
  return (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM staging.${table}`)).rows[0].n;
}

describe('sluice watch', { timeout: 120_000 }, () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sluice-daemon-'));
    db = await createTestDatabase();
  });

  after(async () => {
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
    await db?.drop();
    await rm(root, { recursive: true, force: true });
  });

  it('watches, takes uploads, and drains on SIGTERM', async () => {
    const inbox = join(root, 'inbox');
    child = spawn(process.execPath, [CLI, 'watch', inbox, '--port', '0', '--settle', '500ms', '--archive', '--workers', '1'], {
      cwd: ROOT, env: { ...process.env, DATABASE_URL: db.url, SLUICE_API_TOKEN: TOKEN, SLUICE_HOME: join(root, 'home'), SLUICE_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    await waitFor(() => /serving\s+(\S+)/.test(stdout), 'the daemon to serve');
    const base = /serving\s+(\S+)/.exec(stdout)![1];
    assert.match(stdout, new RegExp(`watching\\s+${inbox}`), 'the inbox is created and watched');

    await writeFile(join(inbox, 'quick.csv'), 'id,v\n1,a\n2,b\n');
    const handle = await open(join(inbox, 'slow.csv'), 'w');
    await handle.write('id,v\n');
    for (let i = 0; i < 10; i++) { await handle.write(`${i},slow\n`); await sleep(300); }
    await handle.close();

    const upload = await request(`${base}/api/ingest?name=uploaded.csv&wait=true`, { method: 'POST', body: 'id,v\n1,x\n2,y\n3,z\n', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(upload.statusCode, 200);
    assert.equal((await upload.body.json() as { rows: number }).rows, 3);
    const refused = await request(`${base}/api/ingest?name=x.csv`, { method: 'POST', body: 'id\n1\n' });
    assert.equal(refused.statusCode, 401);
    await refused.body.dump();

    await waitFor(async () => (await rows('slow')) === 10 && (await rows('quick')) === 2, 'the watched files to load');
    await waitFor(async () => (await readdir(join(inbox, 'done')).catch(() => [])).length === 2, 'the loaded files to move to done/');

    // Accepted but not loaded yet when the signal comes: the drain finishes it.
    let big = 'id,v\n';
    for (let i = 0; i < 200_000; i++) big += `${i},value ${i}\n`;
    const accepted = await request(`${base}/api/ingest?name=drained.csv`, { method: 'POST', body: big, headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(accepted.statusCode, 202);
    await accepted.body.dump();
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, stderr);
    assert.match(stderr, /draining/);
    assert.equal(await rows('drained'), 200_000);
    assert.match(stdout, /loaded\s+200000 rows/);
  });
});
