import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { ROOT, run, sluice } from './helpers/cli.js';
import { startServer, type TestServer } from './helpers/http-server.js';

describe('sluice CLI', () => {
  let db: TestDatabase;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    env = { ...process.env, DATABASE_URL: db.url };
  });

  after(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('load --json prints one summary per file (NDJSON) and exits 0 when rows are rejected', async () => {
    await writeFile(join(dir, 'a.csv'), 'x,y\n1,2\n3\n');
    await writeFile(join(dir, 'b.tsv'), 'p\tq\nfoo\tbar\n');
    const outcome = await sluice(['load', dir, '--json'], env);
    assert.equal(outcome.code, 0, outcome.stderr);
    const summaries = outcome.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(summaries.map((s) => [s.dataset, s.status, s.rows, s.rejected, s.delimiter]), [['a', 'loaded', 1, 1, ','], ['b', 'loaded', 1, 0, '\t']]);
    for (const key of ['file', 'sha256', 'status', 'dataset', 'table', 'format', 'encoding', 'delimiter', 'header', 'rows', 'rejected', 'columns', 'quality', 'timeseries', 'duration_ms', 'error']) {
      assert.ok(key in summaries[0], `summary lacks ${key}`);
    }
  });

  test('a file that fails as a whole makes the exit code non-zero; the others still load', async () => {
    await writeFile(join(dir, 'good.csv'), 'k\n1\n');
    const outcome = await sluice(['load', join(dir, 'missing.csv'), join(dir, 'good.csv')], env);
    assert.equal(outcome.code, 1);
    assert.match(outcome.stdout, /failed.*missing\.csv.*SLUICE_ERR_FILE_NOT_FOUND/);
    assert.match(outcome.stdout, /loaded\s+1\s+0\s+staging\.good/);
  });

  test('the usage lists every command once', async () => {
    const outcome = await sluice(['--help'], env);
    assert.equal(outcome.code, 0, outcome.stderr);
    const commands = [...outcome.stdout.matchAll(/^  sluice (\w+(?: suggest)?)/gm)].map((m) => m[1]);
    assert.ok(commands.includes('anomalies') && commands.includes('load'), commands.join(' '));
    assert.deepEqual(commands, [...new Set(commands)]);
  });

  test('a load that names its file first takes the sniff started ahead, and one with overrides sniffs itself', async () => {
    // src/cli.ts sniffs `load FILE` while the commands load; an override after the file must still win.
    await writeFile(join(dir, 'ahead.csv'), 'a;b\n1;x\n2;y\n');
    const plain = await sluice(['load', join(dir, 'ahead.csv'), '--dataset', 'cli_ahead', '--json'], env);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal((JSON.parse(plain.stdout) as { delimiter: string }).delimiter, ';');
    const overridden = await sluice(['load', join(dir, 'ahead.csv'), '--dataset', 'cli_ahead_comma', '--delimiter', ',', '--json', '--force'], env);
    assert.equal(overridden.code, 0, overridden.stderr);
    const summary = JSON.parse(overridden.stdout) as { delimiter: string; columns: { name: string }[] };
    assert.equal(summary.delimiter, ',');
    assert.deepEqual(summary.columns.map((c) => c.name), ['a_b']);
  });

  test('bad options are usage errors (exit 2) that name the option', async () => {
    const outcome = await sluice(['load', dir, '--workers', 'many'], env);
    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, /--workers must be a positive integer/);
  });

  test('refusals at the command line are usage errors (exit 2) and end at once, though the pool was started ahead', async () => {
    // `load` starts the worker pool before it reads its arguments (src/cli.ts): whatever the
    // command then refuses, the process must still end promptly and say why.
    for (const args of [['load'], ['load', dir, '--copy-format', 'xml'], ['load', dir, '--timeseries', '--no-timeseries']]) {
      const started = performance.now();
      const outcome = await sluice(args, env);
      assert.equal(outcome.code, 2, `${args.join(' ')}: ${outcome.stderr}`);
      assert.ok(performance.now() - started < 20_000, `${args.join(' ')} took ${Math.round(performance.now() - started)} ms`);
    }
  });

  test('sniff prints the dialect, header, typed columns and the overrides that reproduce them', async () => {
    await writeFile(join(dir, 'sniffme.csv'), 'when;amount;label\n2024-01-01;1,5;a\n2024-01-02;2;b\n');
    const outcome = await sluice(['sniff', join(dir, 'sniffme.csv')], env);
    assert.equal(outcome.code, 0, outcome.stderr);
    const report = JSON.parse(outcome.stdout) as { delimiter: string; header: boolean; columns: { name: string; type: string }[]; overrides: string };
    assert.equal(report.delimiter, ';');
    assert.equal(report.header, true);
    // `1,5` in a `;` file is a decimal comma.
    assert.deepEqual(report.columns.map((c) => [c.name, c.type]), [['when', 'date'], ['amount', 'double precision'], ['label', 'text']]);
    assert.match(report.overrides, /--delimiter ";"/);
  });
});

describe('sluice CLI: remote and compressed inputs, rejects', () => {
  let db: TestDatabase;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let server: TestServer;

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-cli-inputs-'));
    env = { ...process.env, DATABASE_URL: db.url, SLUICE_HOME: join(dir, 'home') };
    server = await startServer({ '/remote_cli.csv': (_req, res) => { res.writeHead(200).end('k,v\n1,a\n2,b\n3,c\n'); } });
  });

  after(async () => {
    await server.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('load takes an http(s) URL as it is, and the .gz files of a directory', async () => {
    const inbox = join(dir, 'inbox');
    await mkdir(inbox);
    await writeFile(join(inbox, 'zipped.csv.gz'), gzipSync('x,y\n1,2\n'));
    await writeFile(join(inbox, 'notes.bin.gz'), gzipSync('not loadable'));
    const url = server.url('/remote_cli.csv');
    const outcome = await sluice(['load', url, inbox, '--json'], env);
    assert.equal(outcome.code, 0, outcome.stderr);
    const summaries = outcome.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(summaries.map((s) => [s.file, s.dataset, s.rows, s.compression]),
      [[url, 'remote_cli', 3, null], [join(inbox, 'zipped.csv.gz'), 'zipped', 1, 'gzip']]);
  });

  test('rejects prints a file\'s rejected rows (line, offset, reason, detail, raw), by path, sha256 or dataset', async () => {
    const first = join(dir, 'orders_1.csv');
    const second = join(dir, 'orders_2.csv');
    const long = `4,${'w'.repeat(200)},9,extra`;
    const text = `id,name,qty\n1,a,1\n2,b\n3,c,3,extra\n${long}\n5,e,5\n6,f,6\n7,g,7\n8,h,8\n`;
    const [o3, o4, o5] = ['2,b', '3,c', '4,w'].map((row) => text.indexOf(row));
    await writeFile(first, text);
    await writeFile(second, 'id,name,qty\n5,e\n6,f,6\n');
    const loaded = await sluice(['load', first, second, '--dataset', 'orders', '--json'], env);
    assert.equal(loaded.code, 0, loaded.stderr);
    const [sha1] = loaded.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { sha256: string }).sha256);

    const table = await sluice(['rejects', first], env);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^line\s+offset\s+reason\s+detail\s+raw$/m);
    assert.match(table.stdout, new RegExp(`^3\\s+${o3}\\s+TOO_FEW_FIELDS\\s+expected 3 fields, found 2\\s+2,b$`, 'm'));
    assert.match(table.stdout, new RegExp(`^4\\s+${o4}\\s+TOO_MANY_FIELDS`, 'm'));
    assert.match(table.stdout, new RegExp(`^5\\s+${o5}\\s+TOO_MANY_FIELDS\\s.*4,w+…$`, 'm'), 'raw text is truncated in the table');

    const json = await sluice(['rejects', sha1, '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    const rows = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(rows.map((r) => [r.file, r.sha256, r.line, r.byte_offset, r.reason]),
      [[first, sha1, 3, o3, 'TOO_FEW_FIELDS'], [first, sha1, 4, o4, 'TOO_MANY_FIELDS'], [first, sha1, 5, o5, 'TOO_MANY_FIELDS']]);
    assert.equal(rows[2].raw, long, 'raw text is whole in JSON');

    const dataset = await sluice(['rejects', 'orders', '--json', '--limit', '2'], env);
    const newestFirst = dataset.stdout.trim().split('\n').map((line) => JSON.parse(line) as { file: string; line: number });
    assert.deepEqual(newestFirst.map((r) => [r.file, r.line]), [[second, 2], [first, 3]]);
    const limited = await sluice(['rejects', 'orders', '--limit', '2'], env);
    assert.match(limited.stdout, /2 of 4 rejected rows shown/);
  });

  test('rejects of something the ledger does not know exits 1 and says so', async () => {
    const outcome = await sluice(['rejects', join(dir, 'never-loaded.csv')], env);
    assert.equal(outcome.code, 1);
    assert.match(outcome.stderr, /no load of .*never-loaded\.csv/);
  });
});

describe('npm start with no DATABASE_URL', () => {
  let home: string;
  let madeInbox = false;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'sluice-home-'));
    madeInbox = !existsSync(join(ROOT, 'inbox'));
  });

  after(async () => {
    await rm(home, { recursive: true, force: true });
    // npm start watches ./inbox of the checkout (created): leave it as it was found.
    if (madeInbox) await rm(join(ROOT, 'inbox'), { recursive: true, force: true });
  });

  /** Runs `npm start` until it has loaded examples/ and printed its URLs, then stops it as Ctrl-C does. */
  async function npmStart(env: NodeJS.ProcessEnv, expectLoaded: RegExp): Promise<string> {
    const child = spawn('npm', ['start', '--silent'], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const closed = once(child, 'close');
    const deadline = Date.now() + 120_000;
    while (!(expectLoaded.test(out) && /database\s/.test(out) && (out.match(/^(loaded|skipped)\s/gm) ?? []).length >= 4)) {
      if (Date.now() > deadline || child.exitCode !== null) assert.fail(`npm start did not get going\nstdout:\n${out}\nstderr:\n${err}`);
      await sleep(100);
    }
    // Ctrl-C in a terminal: SIGINT to the whole process group (npm and the service under it).
    process.kill(-child.pid!, 'SIGINT');
    // 'close': every process holding the output pipes has ended — the service too, not only npm.
    await closed;
    assert.match(err, /draining/);
    return out;
  }

  test('starts an embedded PostgreSQL, loads examples/, watches ./inbox, serves, prints its URLs, and stops it all on Ctrl-C', { timeout: 300_000 }, async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, SLUICE_HOME: home, SLUICE_PORT: '0' };
    delete env.DATABASE_URL;
    delete env.SLUICE_API_TOKEN;
    const first = await npmStart(env, /loaded\s+480 rows\s+0 rejected\s+staging\.sensors/);
    assert.match(first, /loaded\s+\d+ rows\s+\d+ rejected\s+staging\.customers/);
    assert.match(first, /^serving\s+http:\/\/127\.0\.0\.1:\d+/m);
    assert.match(first, new RegExp(`^watching\\s+${join(ROOT, 'inbox')}`, 'm'));
    assert.match(first, /^database\s+postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres\s+\(embedded/m);
    const second = await npmStart(env, /skipped\s+480 rows\s+0 rejected\s+staging\.sensors/);
    assert.match(second, /skipped/);
    // The server was stopped: nothing runs from this data directory any more.
    const { stdout } = await run('ps', ['-eo', 'args']);
    assert.ok(!stdout.includes(join(home, 'pg')), 'embedded postgres still running');
  });
});
