import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/src/cli.js');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function sluice(args: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env, cwd: ROOT, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

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
    assert.deepEqual(summaries.map((s) => [s.dataset, s.status, s.rows, s.rejected, s.delimiter]), [['a', 'loaded', 1, 1, ','], ['b', 'loaded', 1, 0, '\\t']]);
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

  test('bad options are usage errors (exit 2) that name the option', async () => {
    const outcome = await sluice(['load', dir, '--workers', 'many'], env);
    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, /--workers must be a positive integer/);
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

describe('npm start with no DATABASE_URL', () => {
  let home: string;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'sluice-home-'));
  });

  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test('starts an embedded PostgreSQL, loads examples/, prints what it loaded, and stops it', { timeout: 180_000 }, async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, SLUICE_HOME: home };
    delete env.DATABASE_URL;
    const first = await run('npm', ['start', '--silent'], { env, cwd: ROOT, timeout: 150_000 });
    assert.match(first.stdout, /loaded\s+\d+\s+\d+\s+staging\.customers/);
    assert.match(first.stdout, /loaded\s+480\s+0\s+staging\.sensors/);
    const second = await run('npm', ['start', '--silent'], { env, cwd: ROOT, timeout: 150_000 });
    assert.match(second.stdout, /skipped\s+480\s+0\s+staging\.sensors/);
    // The server was stopped: nothing runs from this data directory any more.
    const { stdout } = await run('ps', ['-eo', 'args']);
    assert.ok(!stdout.includes(join(home, 'pg')), 'embedded postgres still running');
  });
});
