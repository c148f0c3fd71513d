import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEngine, type Engine } from '../../src/index.js';
import { LINE_TOO_LONG_RAW_BYTES } from '../../src/schedule/line-too-long.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';


const MAX_ROW_BYTES = 1024;

/**
 * A file with every kind of row: good ones, each reject reason a CSV can have, blank lines, quoted
 * newlines, an over-long line, an unclosed quote; and the number of records it holds, by construction.
 */
function mixedFile(): { bytes: Buffer; records: number } {
  const parts: (string | Buffer)[] = ['id,amount,day,note\n'];
  let records = 0;
  for (let i = 1; i <= 400; i++) {
    if (i % 25 !== 15) records++;
    switch (i % 25) {
      case 3: parts.push(`${i},${i}\n`); break;
      case 5: parts.push(`${i},${i},2024-01-01,a,extra\n`); break;
      case 7: parts.push(`${i},not-a-number,2024-01-01,a\n`); break;
      case 9: parts.push(`${i},${i},2024-02-30,a\n`); break;
      case 11: parts.push(Buffer.concat([Buffer.from(`${i},${i},2024-01-01,`), Buffer.from([0xff, 0xfe]), Buffer.from('\n')])); break;
      // A NUL near the start would make the whole file binary; later it is one bad row.
      case 13: parts.push(i > 300 ? `${i},${i},2024-01-01,nul\u0000here\n` : `${i},${i},2024-01-01,a\n`); break;
      case 15: parts.push('\n\r\n\n'); break;
      case 17: parts.push(`${i},${i},2024-01-01,"spans\nthree\nlines"\n`); break;
      // Longer than maxRowBytes as the largest chunk size below raises it (4096).
      case 19: parts.push(`${i},${i},2024-01-01,${'L'.repeat(5 * MAX_ROW_BYTES)}\n`); break;
      default: parts.push(`${i},${i},2024-01-${String(1 + (i % 28)).padStart(2, '0')},"ok, ${i}"\n`);
    }
  }
  // The quote never closes: its line is one (rejected) record, and the line after it another.
  parts.push('401,1,2024-01-01,"never closed\n402,2,2024-01-02,x\n');
  records += 2;
  return { bytes: Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))), records };
}

describe('accounting: every record of a file is either loaded or rejected', () => {
  let db: TestDatabase;
  let dir: string;
  const engines: Engine[] = [];

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-accounting-'));
  });

  after(async () => {
    await Promise.all(engines.map((e) => e.close()));
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  function engine(chunkSize: number, maxRowBytes = MAX_ROW_BYTES): Engine {
    const created = createEngine({ databaseUrl: db.url, workers: 2, writers: 2, chunkSize, maxRowBytes });
    engines.push(created);
    return created;
  }

  for (const chunkSize of [64, 256, 4096]) {
    test(`rows loaded + rows rejected = records in the file (chunk size ${chunkSize})`, async () => {
      const { bytes, records } = mixedFile();
      const path = join(dir, `mixed_${chunkSize}.csv`);
      await writeFile(path, bytes);
      // Types and encoding as a user would force them: sniffed, the bad values would make the
      // columns text and the file Windows-1252, and there would be no CAST or ENCODING rejects.
      const overrides = { encoding: 'utf-8', types: { amount: 'int', day: 'date' } } as const;
      const summary = await engine(chunkSize).ingest(path, { force: true, overrides });
      assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
      assert.equal(summary.rows + summary.rejected, records, `${summary.rows} loaded + ${summary.rejected} rejected`);
      const table = `staging.${summary.dataset}`;
      const ledger = await db.query<{ id: number; rows: number; rejected: number; loaded: number; rejects: number }>(
        `SELECT f.id::int, f.rows::int, f.rejected::int,
                (SELECT count(*)::int FROM ${table} s WHERE s._file = f.id) AS loaded,
                (SELECT count(*)::int FROM ingest.rejects r WHERE r.file_id = f.id) AS rejects
           FROM ingest.files f WHERE f.dataset = $1`, [summary.dataset]);
      const row = ledger.rows[0];
      assert.deepEqual([row.rows, row.rejected, row.loaded, row.rejects], [summary.rows, summary.rejected, summary.rows, summary.rejected]);
      const reasons = await db.query<{ reason: string; n: number }>(
        'SELECT reason, count(*)::int AS n FROM ingest.rejects WHERE file_id = $1 GROUP BY reason ORDER BY reason', [row.id]);
      assert.deepEqual(reasons.rows.map((r) => r.reason),
        ['CAST', 'ENCODING', 'LINE_TOO_LONG', 'NUL_BYTE', 'TOO_FEW_FIELDS', 'TOO_MANY_FIELDS', 'UNCLOSED_QUOTE']);
    });
  }

  test('files of blank lines only (LF, CRLF, CR, and larger than the sniffing sample) load with 0 rows', async () => {
    const loader = engine(256);
    const cases: Record<string, string> = {
      blank_lf: '\n\n\n', blank_crlf: '\r\n\r\n\r\n', blank_cr: '\r\r\r', blank_big: '\n'.repeat(3 * 1024 * 1024), header_then_blank: 'a,b\n\n\n\n',
    };
    for (const [name, text] of Object.entries(cases)) {
      const path = join(dir, `${name}.csv`);
      await writeFile(path, text);
      const summary = await loader.ingest(path);
      assert.deepEqual([summary.status, summary.rows, summary.rejected, summary.error], ['loaded', 0, 0, null], name);
    }
  });

  test('a line longer than maxRowBytes is rejected as LINE_TOO_LONG with its start as raw text; the lines after it load', async () => {
    const long = `4,${'x'.repeat(5000)},z`;
    const text = `id,value,tag\n1,a,p\n2,b,q\n3,c,r\n${long}\n5,e,s\n6,f,t\n`;
    const path = join(dir, 'long_line.csv');
    await writeFile(path, text);
    const summary = await engine(256).ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.deepEqual([summary.rows, summary.rejected], [5, 1]);
    assert.deepEqual(summary.reject_samples.map((r) => [r.reason, r.line, r.byte_offset]), [['LINE_TOO_LONG', 5, text.indexOf(long)]]);
    const reject = await db.query<{ raw: string; detail: string }>(
      `SELECT r.raw, r.detail FROM ingest.rejects r JOIN ingest.files f ON f.id = r.file_id WHERE f.dataset = 'long_line'`);
    assert.equal(reject.rows[0].raw, long.slice(0, LINE_TOO_LONG_RAW_BYTES));
    assert.match(reject.rows[0].detail, new RegExp(`line of ${long.length + 1} bytes`));
    const loaded = await db.query<{ id: number; _offset: number }>('SELECT id, _offset::int FROM staging.long_line ORDER BY _offset');
    assert.deepEqual(loaded.rows.map((r) => [r.id, r._offset]), [1, 2, 3, 5, 6].map((id) => [id, text.indexOf(`\n${id},`) + 1]));
  });

  test('an unclosed quote does not swallow the rest of the file: its line is rejected, the lines after it load', async () => {
    const path = join(dir, 'swallowed.csv');
    const text = `id,note\n1,ok\n2,"never closed\n${'3,x\n'.repeat(2000)}`;
    await writeFile(path, text);
    const summary = await engine(256).ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.deepEqual([summary.rows, summary.rejected], [2001, 1]);
    assert.deepEqual(summary.reject_samples.map((r) => [r.reason, r.line, r.byte_offset]), [['UNCLOSED_QUOTE', 3, text.indexOf('2,"')]]);
  });

  test('an unclosed quote whose allowed lines run past maxRowBytes: broken at maxRowBytes instead, the same reject', async () => {
    // Lines of 30 bytes: the hundred lines a quoted field may hold here are more than maxRowBytes.
    const path = join(dir, 'swallowed_long.csv');
    const text = `id,note\n1,ok\n2,"never closed\n${`3,${'x'.repeat(27)}\n`.repeat(2000)}`;
    await writeFile(path, text);
    const summary = await engine(256).ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.deepEqual([summary.rows, summary.rejected], [2001, 1]);
    assert.deepEqual(summary.reject_samples.map((r) => [r.reason, r.line, r.byte_offset]), [['UNCLOSED_QUOTE', 3, text.indexOf('2,"')]]);
  });

  test('a resumed load re-plans with the maxRowBytes it began with, even when the engine now has another', async () => {
    const lines = ['id,value'];
    for (let i = 1; i <= 300; i++) lines.push(i % 50 === 0 ? `${i},${'y'.repeat(3000)}` : `${i},v${i}`);
    const path = join(dir, 'resumed.csv');
    await writeFile(path, `${lines.join('\n')}\n`);
    const first = await engine(256).ingest(path);
    assert.deepEqual([first.status, first.rows, first.rejected], ['loaded', 294, 6]);
    // A crash part way, as it would look: chunks around an over-long line were never committed,
    // later ones were.
    const file = (await db.query<{ id: number }>(`SELECT id::int FROM ingest.files WHERE dataset = 'resumed'`)).rows[0].id;
    const gap = (await db.query<{ chunk_no: number; byte_start: number; byte_end: number }>(
      `SELECT c.chunk_no, c.byte_start::int, c.byte_end::int FROM ingest.chunks c
        WHERE c.file_id = $1 AND c.chunk_no BETWEEN
              (SELECT chunk_no - 2 FROM ingest.rejects WHERE file_id = $1 AND reason = 'LINE_TOO_LONG' ORDER BY byte_offset OFFSET 2 LIMIT 1)
          AND (SELECT chunk_no + 2 FROM ingest.rejects WHERE file_id = $1 AND reason = 'LINE_TOO_LONG' ORDER BY byte_offset OFFSET 2 LIMIT 1)
        ORDER BY c.chunk_no`, [file])).rows;
    assert.equal(gap.length, 5);
    const [from, to] = [gap[0], gap.at(-1)!];
    await db.query('DELETE FROM staging.resumed WHERE _file = $1 AND _offset >= $2 AND _offset < $3', [file, from.byte_start, to.byte_end]);
    await db.query('DELETE FROM ingest.rejects WHERE file_id = $1 AND chunk_no BETWEEN $2 AND $3', [file, from.chunk_no, to.chunk_no]);
    await db.query('DELETE FROM ingest.chunks WHERE file_id = $1 AND chunk_no BETWEEN $2 AND $3', [file, from.chunk_no, to.chunk_no]);
    await db.query(`UPDATE ingest.files SET status = 'failed' WHERE id = $1`, [file]);

    // With 64 KiB, these lines would be ordinary rows in other chunks — unless the ledger's value is used.
    const resumed = await engine(256, 64 * 1024).ingest(path);
    assert.equal(resumed.status, 'loaded', JSON.stringify(resumed.error));
    assert.deepEqual([resumed.rows, resumed.rejected, resumed.chunks?.loaded], [294, 6, 5]);
    const rows = await db.query<{ n: number; offsets: number }>('SELECT count(*)::int AS n, count(DISTINCT _offset)::int AS offsets FROM staging.resumed');
    assert.deepEqual(rows.rows[0], { n: 294, offsets: 294 });
  });
});
