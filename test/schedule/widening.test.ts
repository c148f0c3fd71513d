import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { spotRanges } from '../../src/formats/csv/sniff-file.js';
import { createEngine, type Engine } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const HEAD_BYTES = 1024 * 1024;
const CLI = new URL('../../src/cli.js', import.meta.url).pathname;

/**
 * A file whose late values the sniffer cannot see: `count` rows of `id,v,note` with integer `v`,
 * except at the given rows, placed outside the head and every sampled stretch (the values go where
 * the sample does not look, as they do in a real export that only changes late).
 */
function lateMisfits(count: number, misfits: Map<number, string>): { text: string; placed: Map<number, string> } {
  const header = 'id,v,note\n';
  const row = (i: number, v: string) => `${i},${v},row ${String(i).padStart(7, '0')} of a file whose values change late\n`;
  let size = header.length;
  const starts: number[] = [];
  for (let i = 0; i < count; i++) { starts.push(size); size += row(i, String(i % 1000)).length; }
  // Misfit values are a few bytes longer than the ones they replace: room for that in the size.
  const spots = spotRanges(size + 1000, HEAD_BYTES);
  const sampled = (offset: number) => offset < HEAD_BYTES + 200 || spots.some((s) => offset >= s.position - 200 && offset < s.position + s.length + 200);
  const placed = new Map<number, string>();
  for (const [wanted, value] of misfits) {
    let i = wanted;
    while (i < count && sampled(starts[i])) i++;
    if (i === count) throw new RangeError(`no row after ${wanted} is outside the sniffed sample`);
    placed.set(i, value);
  }
  let text = header;
  for (let i = 0; i < count; i++) text += row(i, placed.get(i) ?? String(i % 1000));
  return { text, placed };
}

describe('a value that does not fit its column widens the column before COPY, instead of a CAST reject', () => {
  let db: TestDatabase;
  let engine: Engine;
  let dir: string;

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-widen-'));
    engine = createEngine({ databaseUrl: db.url, workers: 2, writers: 2, chunkSize: 64 * 1024 });
  });

  after(async () => {
    await engine.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('late values force int → bigint → double → text across later chunks; every row loads with its value', async () => {
    const { text, placed } = lateMisfits(60_000, new Map([[25_000, '3000000000'], [35_000, '2.5'], [50_000, 'hello']]));
    const path = join(dir, 'late.csv');
    await writeFile(path, text);
    const summary = await engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.deepEqual([summary.rows, summary.rejected], [60_000, 0]);
    assert.equal(summary.columns[1].type, 'text');
    assert.equal(summary.widened?.length, 1);
    const [widening] = summary.widened!;
    assert.equal(widening.column, 'v');
    assert.equal(widening.from, 'integer');
    assert.equal(widening.to, 'text');
    assert.ok([...placed.keys()].some((i) => widening.line === i + 2), `line ${widening.line} is one of the misfits' lines`);
    const values = await db.query<{ id: number; v: string }>(`SELECT id, v FROM staging.late WHERE id = ANY($1) ORDER BY id`, [[...placed.keys(), 1, 59_999]]);
    const expected = new Map([[1, '1'], [59_999, String(59_999 % 1000)], ...placed]);
    for (const row of values.rows) {
      // A value loaded as a number before the column became text was converted by the cast (2.5 stays 2.5).
      assert.equal(row.v, expected.get(row.id), `row ${row.id}`);
    }
    assert.equal(values.rowCount, expected.size);
  });

  test('the same file widened under other worker, writer and chunk settings loads the same rows, values and rejects', async () => {
    // Values whose text PostgreSQL's casts give back as written: which chunks commit before a
    // widening varies, and a number loaded before the column became text reads as PostgreSQL prints it.
    const { text } = lateMisfits(50_000, new Map([[22_000, '3000000000'], [30_000, '-2.75'], [41_000, 'x7'], [45_000, '2.5']]));
    const path = join(dir, 'deterministic.csv');
    await writeFile(path, text.replace('\n9,9,', '\n9,9,extra,'));
    const other = createEngine({ databaseUrl: db.url, workers: 1, writers: 1, chunkSize: 16 * 1024 });
    try {
      const a = await engine.ingest(path, { dataset: 'deterministic_a' });
      const b = await other.ingest(path, { dataset: 'deterministic_b', force: true });
      for (const summary of [a, b]) {
        assert.deepEqual([summary.status, summary.rows + summary.rejected, summary.rejected, summary.columns[1].type], ['loaded', 50_000, 1, 'text']);
      }
      const digest = async (table: string) => (await db.query<{ md5: string }>(
        `SELECT md5(string_agg(_offset || '|' || coalesce(v, '∅'), ',' ORDER BY _offset)) AS md5 FROM staging.${table}`)).rows[0].md5;
      assert.equal(await digest('deterministic_a'), await digest('deterministic_b'));
    } finally {
      await other.close();
    }
  });

  test('a 20-digit integer late in the file widens a bigint-sized column to numeric, keeping every digit', async () => {
    const { text, placed } = lateMisfits(40_000, new Map([[30_000, '12345678901234567890']]));
    const path = join(dir, 'long_ids.csv');
    await writeFile(path, text);
    const summary = await engine.ingest(path);
    assert.deepEqual([summary.status, summary.rows, summary.rejected, summary.columns[1].type], ['loaded', 40_000, 0, 'numeric']);
    const [id] = [...placed.keys()];
    const row = await db.query<{ v: string }>('SELECT v::text AS v FROM staging.long_ids WHERE id = $1', [id]);
    assert.equal(row.rows[0].v, '12345678901234567890');
  });

  test('a zip code with a leading zero late in the file makes the column text and keeps the zero', async () => {
    const { text, placed } = lateMisfits(40_000, new Map([[33_000, '02215']]));
    const path = join(dir, 'zips.csv');
    await writeFile(path, text);
    const summary = await engine.ingest(path);
    assert.deepEqual([summary.status, summary.rows, summary.rejected, summary.columns[1].type], ['loaded', 40_000, 0, 'text']);
    const row = await db.query<{ v: string }>('SELECT v FROM staging.zips WHERE id = $1', [[...placed.keys()][0]]);
    assert.equal(row.rows[0].v, '02215');
  });

  test('a null token late in a column whose sample had none loads as NULL: the column keeps its type', async () => {
    const { text, placed } = lateMisfits(40_000, new Map([[31_000, 'N/A'], [36_000, 'NULL']]));
    const path = join(dir, 'late_nulls.csv');
    await writeFile(path, text);
    const summary = await engine.ingest(path);
    assert.deepEqual([summary.status, summary.rows, summary.rejected, summary.columns[1].type], ['loaded', 40_000, 0, 'integer']);
    assert.deepEqual(summary.widened, []);
    const nulls = await db.query<{ id: number }>('SELECT id FROM staging.late_nulls WHERE v IS NULL ORDER BY id');
    assert.deepEqual(nulls.rows.map((r) => r.id), [...placed.keys()]);
  });

  test('a column with null tokens widened to text keeps long values with delimiters and quotes whole', async () => {
    const long = `${'long text, with a comma and a ""quote"" '.repeat(6)}end`;
    const { text, placed } = lateMisfits(40_000, new Map([[32_000, `"${long}"`]]));
    const path = join(dir, 'late_long.csv');
    // A null token in the head: the sniffed column reads NA as NULL.
    await writeFile(path, text.replace('\n5,5,', '\n5,NA,'));
    const summary = await engine.ingest(path);
    assert.deepEqual([summary.status, summary.rows, summary.rejected, summary.columns[1].type], ['loaded', 40_000, 0, 'text']);
    const rows = await db.query<{ id: number; v: string | null }>('SELECT id, v FROM staging.late_long WHERE id = ANY($1) ORDER BY id', [[5, ...placed.keys()]]);
    assert.deepEqual(rows.rows.map((r) => r.v), [null, long.replaceAll('""', '"')]);
  });

  test('two engines loading two files into one dataset at once both widen it: no deadlock, no lost row', { timeout: 120_000 }, async () => {
    const a = lateMisfits(40_000, new Map([[25_000, '3000000000'], [33_000, '4.5']]));
    const b = lateMisfits(40_000, new Map([[22_000, 'text in b'], [30_000, '7000000000']]));
    await writeFile(join(dir, 'together_a.csv'), a.text);
    await writeFile(join(dir, 'together_b.csv'), b.text.replaceAll(' of a file whose', ' of file b whose'));
    const engines = [0, 1].map(() => createEngine({ databaseUrl: db.url, workers: 1, writers: 2, chunkSize: 32 * 1024 }));
    try {
      const summaries = await Promise.all([
        engines[0].ingest(join(dir, 'together_a.csv'), { dataset: 'together' }),
        engines[1].ingest(join(dir, 'together_b.csv'), { dataset: 'together' }),
      ]);
      for (const summary of summaries) assert.deepEqual([summary.status, summary.rows, summary.rejected], ['loaded', 40_000, 0], JSON.stringify(summary.error));
      const counts = await db.query<{ n: number; type: string }>(
        `SELECT count(*)::int AS n, (SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'staging.together'::regclass AND attname = 'v') AS type
           FROM staging.together`);
      assert.deepEqual(counts.rows[0], { n: 80_000, type: 'text' });
      const late = await db.query<{ v: string }>(
        `SELECT v FROM staging.together WHERE (note LIKE '%file b %') = $1 AND id = ANY($2) ORDER BY id`, [false, [...a.placed.keys()]]);
      assert.deepEqual(late.rows.map((r) => r.v), [...a.placed.values()]);
    } finally {
      await Promise.all(engines.map((e) => e.close()));
    }
  });

  test('a later file of the same dataset widens the table its first file made; rows already loaded are converted', async () => {
    await writeFile(join(dir, 'first.csv'), 'id,amount\n1,10\n2,20\n');
    const first = await engine.ingest(join(dir, 'first.csv'), { dataset: 'evolving' });
    assert.equal(first.columns[1].type, 'integer');
    await writeFile(join(dir, 'second.csv'), 'id,amount\n3,30.5\n4,40\n');
    const second = await engine.ingest(join(dir, 'second.csv'), { dataset: 'evolving' });
    assert.deepEqual([second.status, second.rows, second.rejected, second.columns[1].type], ['loaded', 2, 0, 'double precision']);
    assert.deepEqual(second.widened?.map((w) => [w.column, w.from, w.to, w.line]), [['amount', 'integer', 'double precision', 2]]);
    const rows = await db.query<{ amount: number }>('SELECT amount FROM staging.evolving ORDER BY id');
    assert.deepEqual(rows.rows.map((r) => r.amount), [10, 20, 30.5, 40]);
  });

  test('a column the user typed (--types) keeps its type: values that do not fit are CAST rejects', async () => {
    await writeFile(join(dir, 'forced.csv'), 'id,amount\n1,10\n2,x\n3,30\n');
    const summary = await engine.ingest(join(dir, 'forced.csv'), { overrides: { types: { amount: 'int' } } });
    assert.deepEqual([summary.status, summary.rows, summary.rejected, summary.columns[1].type], ['loaded', 2, 1, 'integer']);
    assert.deepEqual(summary.widened, []);
    assert.equal(summary.reject_samples[0].reason, 'CAST');
  });

  test('a table the user created keeps its types: values that do not fit are CAST rejects', async () => {
    await db.query('CREATE TABLE staging.users_table (_file bigint NOT NULL, _offset bigint NOT NULL, id integer, amount integer)');
    await writeFile(join(dir, 'users_table.csv'), 'id,amount\n1,10\n2,2.5\n3,30\n');
    const summary = await engine.ingest(join(dir, 'users_table.csv'));
    assert.deepEqual([summary.status, summary.rows, summary.rejected, summary.columns[1].type], ['loaded', 2, 1, 'integer']);
    assert.deepEqual(summary.widened, []);
  });

  test('a load killed after a widening resumes under the widened table, and its summary still reports the widening', { timeout: 120_000 }, async () => {
    const { text, placed } = lateMisfits(60_000, new Map([[20_000, 'late text']]));
    const path = join(dir, 'resumed.csv');
    await writeFile(path, text);
    const [misfitRow] = [...placed.keys()];
    const args = [CLI, 'load', path, '--json', '--chunk-size', '65536', '--workers', '1', '--writers', '1'];
    const env = { ...process.env, DATABASE_URL: db.url };
    const committedPast = async (): Promise<boolean> => {
      const found = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ingest.chunks c JOIN ingest.files f ON f.id = c.file_id WHERE f.dataset = 'resumed' AND c.widened IS NOT NULL`).catch(() => ({ rows: [{ n: 0 }] }));
      return found.rows[0].n > 0;
    };
    const first = spawn(process.execPath, args, { env, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => first.on('exit', () => resolve()));
    let done = false;
    void exited.then(() => { done = true; });
    while (!done && !(await committedPast())) await sleep(5);
    first.kill('SIGKILL');
    await exited;
    const table = await db.query<{ type: string }>(`SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'staging.resumed'::regclass AND attname = 'v'`);
    assert.equal(table.rows[0].type, 'text', 'the first attempt widened the table before it was killed');

    const second = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    second.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    const code = await new Promise<number | null>((resolve) => second.on('exit', resolve));
    assert.equal(code, 0);
    const summary = JSON.parse(stdout.trim().split('\n').pop()!) as import('../../src/summary.js').FileSummary;
    assert.deepEqual([summary.status, summary.rows, summary.rejected, summary.columns[1].type], ['loaded', 60_000, 0, 'text']);
    assert.deepEqual(summary.widened?.map((w) => [w.column, w.from, w.to, w.line]), [['v', 'integer', 'text', misfitRow + 2]]);
    const counts = await db.query<{ rows: number; offsets: number; late: string }>(
      `SELECT count(*)::int AS rows, count(DISTINCT _offset)::int AS offsets, max(v) FILTER (WHERE id = $1) AS late FROM staging.resumed`, [misfitRow]);
    assert.deepEqual(counts.rows[0], { rows: 60_000, offsets: 60_000, late: 'late text' });
  });
});
