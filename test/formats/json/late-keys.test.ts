/**
 * Keys first seen past the sniffed sample are loaded: the table gets their columns (older rows
 * NULL), the summary and the schema registry name them, and no value is lost — mid-file, after
 * committed chunks, across a resume, and under a frozen schema (where their records are SCHEMA
 * rejects instead).
 */
import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Piscina } from 'piscina';
import { prepareFile } from '../../../src/schedule/file-loader.js';
import { createWorkerPool } from '../../../src/worker-pool.js';
import { engineFixture } from '../../helpers/engine-fixture.js';
import { killWhen, loadOutcome, startLoad } from '../../helpers/killed-load.js';

/** Every record is this many bytes, so where the sniffer's sample reaches is known by record number. */
const RECORD_BYTES = 440;
const RECORDS = 6000;

/** Records that carry the late keys: coupon and user.phone around record 3,000, discount, since and geo around 4,500. */
interface LateRanges {
  coupon: [number, number];
  discount: [number, number];
}

/**
 * Between the head the sniffer reads (1 MiB: records below ~2,380) and the stretches it reads
 * through an NDJSON file (at a fifth, two fifths, … of it: records 2,400–2,700, 3,600–3,900,
 * 4,800–5,100 and the last 300), so neither layout's sample sees them.
 */
const NDJSON_RANGES: LateRanges = { coupon: [3000, 3500], discount: [4500, 4700] };
/** An array is sampled from its head only: the keys go on to the last record. */
const ARRAY_RANGES: LateRanges = { coupon: [3000, RECORDS], discount: [4500, RECORDS] };

const within = (i: number, [from, to]: [number, number]) => i >= from && i < to;

interface Expected {
  id: number;
  coupon: string | null;
  user_phone: string | null;
  discount: number | null;
  since: string | null;
  geo_lat: number | null;
  geo_lon: number | null;
}

function expectedRow(i: number, ranges: LateRanges): Expected {
  const a = within(i, ranges.coupon);
  const b = within(i, ranges.discount);
  return {
    id: i, coupon: a ? `C${i}` : null, user_phone: a ? `+47 ${1000 + i}` : null,
    discount: b ? (i % 20) / 4 : null, since: b ? new Date(Date.UTC(2024, 0, 1) + (i - ranges.discount[0]) * 86_400_000).toISOString().slice(0, 10) : null, geo_lat: b ? 59 + i / 10_000 : null, geo_lon: b ? 10.5 : null,
  };
}

/** `padding`: the pad's character, so files of the same records differ in content (the ledger dedupes on it). */
function recordText(i: number, ranges: LateRanges, padding = 'p'): string {
  const e = expectedRow(i, ranges);
  const record: Record<string, unknown> = {
    id: i, user: { name: `u${i % 50}`, ...(e.user_phone === null ? {} : { phone: e.user_phone }) }, amount: i * 3,
    ...(e.coupon === null ? {} : { coupon: e.coupon }),
    ...(e.discount === null ? {} : { discount: e.discount, since: e.since, geo: { lat: e.geo_lat, lon: e.geo_lon } }),
  };
  const bare = JSON.stringify({ ...record, pad: '' });
  return JSON.stringify({ ...record, pad: padding.repeat(RECORD_BYTES - bare.length) });
}

function ndjson(ranges: LateRanges, padding?: string): string {
  return Array.from({ length: RECORDS }, (_, i) => `${recordText(i, ranges, padding)}\n`).join('');
}

function jsonArray(ranges: LateRanges): string {
  return `[\n${Array.from({ length: RECORDS }, (_, i) => recordText(i, ranges)).join(',\n')}\n]\n`;
}

const SAMPLED = [['id', 'id', 'integer'], ['user_name', 'user.name', 'text'], ['amount', 'amount', 'integer'], ['pad', 'pad', 'text']];
const LATE = [
  ['user_phone', 'user.phone', 'text'], ['coupon', 'coupon', 'text'],
  ['discount', 'discount', 'double precision'], ['since', 'since', 'date'], ['geo_lat', 'geo.lat', 'double precision'], ['geo_lon', 'geo.lon', 'double precision'],
];

describe('JSON keys first seen past the sample', () => {
  const logged: string[] = [];
  // Chunks of 64 KiB: about 150 records each, 40 chunks a file.
  const fixture = engineFixture('late-keys', {
    workers: 2, writers: 2, chunkSize: 64 * 1024, log: (line) => logged.push(line),
    config: { datasets: { frozen_late: { match: '**/frozen_late_*', schema: { policy: 'freeze' } } } },
  });
  let piscina: Piscina;

  before(() => { piscina = createWorkerPool(1); });
  after(async () => { await piscina.destroy(); });

  async function write(name: string, text: string): Promise<string> {
    const path = join(fixture.dir, name);
    await writeFile(path, text);
    // The test is about keys the sample misses: make sure it does.
    const prepared = await prepareFile(piscina, path, (await stat(path)).size);
    assert.deepEqual(prepared.columns.map((c) => c.name), SAMPLED.map(([name]) => name), 'the sniffer\'s sample holds none of the late keys');
    return path;
  }

  async function stagedRows(dataset: string): Promise<Expected[]> {
    return (await fixture.client.query<Expected>(
      `SELECT id, coupon, user_phone, discount, since::text, geo_lat, geo_lon FROM staging.${dataset} ORDER BY _offset`)).rows;
  }

  /** What the loader logged of its restarts for the file: the committed chunks each went on after. */
  function restartsOf(name: string): number[] {
    return logged.filter((line) => line.startsWith(name) && line.includes('keys first seen past the sample'))
      .map((line) => Number(/after (\d+) committed chunk/.exec(line)![1]));
  }

  for (const layout of ['ndjson', 'array'] as const) {
    test(`${layout}: late flat, nested and numeric keys become columns, older rows NULL, every value loaded`, async () => {
      const ranges = layout === 'ndjson' ? NDJSON_RANGES : ARRAY_RANGES;
      const name = `late_${layout}.${layout === 'ndjson' ? 'ndjson' : 'json'}`;
      const path = await write(name, layout === 'ndjson' ? ndjson(ranges) : jsonArray(ranges));
      const summary = await fixture.engine.ingest(path);
      assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
      assert.deepEqual([summary.rows, summary.rejected], [RECORDS, 0]);
      assert.equal(summary.ignored_keys, 0, 'no key is reported as ignored');
      assert.deepEqual(summary.columns.map((c) => [c.name, c.source, c.type]), [...SAMPLED, ...LATE]);
      const chunks = summary.chunks!;
      assert.ok(chunks.total > 30, `expected many chunks, got ${chunks.total}`);
      assert.deepEqual([chunks.loaded, chunks.skipped], [chunks.total, 0], 'chunks committed before a restart count as loaded by this load');

      // Two restarts, each mid-file after the chunks before it had committed.
      const restarts = restartsOf(path);
      assert.equal(restarts.length, 2, logged.join('\n'));
      assert.ok(restarts[0] >= 15 && restarts[1] > restarts[0], `restarts after ${restarts.join(', ')} committed chunks`);

      const rows = await stagedRows(`late_${layout}`);
      assert.equal(rows.length, RECORDS);
      rows.forEach((row, i) => assert.deepEqual(row, expectedRow(i, ranges), `record ${i}`));
      const counts = await fixture.client.query<Record<string, number>>(
        `SELECT count(coupon)::int AS coupon, count(user_phone)::int AS phone, count(discount)::int AS discount, count(geo_lat)::int AS lat,
                count(*) FILTER (WHERE id < 3000 AND (coupon IS NOT NULL OR user_phone IS NOT NULL OR discount IS NOT NULL))::int AS before
           FROM staging.late_${layout}`);
      const a = ranges.coupon[1] - ranges.coupon[0];
      const b = ranges.discount[1] - ranges.discount[0];
      assert.deepEqual(counts.rows[0], { coupon: a, phone: a, discount: b, lat: b, before: 0 });

      // The profile counts the rows before a column was added as its NULLs, as the table holds them.
      const profile = await fixture.client.query<{ column_name: string; count: number; nulls: number }>(
        `SELECT column_name, (stats->>'count')::int AS count, (stats->>'nulls')::int AS nulls FROM ingest.profiles
          WHERE dataset = $1 AND column_name IN ('coupon', 'discount') ORDER BY column_name`, [`late_${layout}`]);
      assert.deepEqual(profile.rows, [
        { column_name: 'coupon', count: RECORDS, nulls: RECORDS - a }, { column_name: 'discount', count: RECORDS, nulls: RECORDS - b },
      ]);

      // The schema registry's version is the table the load left, with each late column's JSON path.
      const version = await fixture.client.query<{ version: number; columns: { name: string; type: string; source: string | null }[] }>(
        'SELECT version, columns FROM ingest.schema_versions WHERE dataset = $1 ORDER BY version DESC LIMIT 1', [`late_${layout}`]);
      assert.equal(summary.schema_version, version.rows[0].version);
      assert.deepEqual(version.rows[0].columns.map((c) => [c.name, c.source, c.type]), [...SAMPLED, ...LATE]);
    });
  }

  test('a load that stopped after a restart resumes with the columns the ledger kept: no row twice, the same profile', async () => {
    const path = await write('late_resumed.ndjson', ndjson(NDJSON_RANGES, 'r'));
    const first = await fixture.engine.ingest(path);
    assert.equal(first.status, 'loaded', JSON.stringify(first.error));
    // As a crash would leave it: both restarts done, the chunks after the one holding record 4,600 not committed.
    const file = (await fixture.client.query<{ id: number }>(`SELECT id::int FROM ingest.files WHERE dataset = 'late_resumed'`)).rows[0].id;
    const cutAt = 4600 * (RECORD_BYTES + 1);
    const kept = (await fixture.client.query<{ chunk_no: number; byte_end: number }>(
      'SELECT chunk_no, byte_end::int FROM ingest.chunks WHERE file_id = $1 AND byte_start <= $2 AND byte_end > $2', [file, cutAt])).rows[0];
    await fixture.client.query('DELETE FROM staging.late_resumed WHERE _file = $1 AND _offset >= $2', [file, kept.byte_end]);
    await fixture.client.query('DELETE FROM ingest.chunks WHERE file_id = $1 AND chunk_no > $2', [file, kept.chunk_no]);
    await fixture.client.query(`UPDATE ingest.files SET status = 'failed' WHERE id = $1`, [file]);

    const resumed = await fixture.engine.ingest(path);
    assert.equal(resumed.status, 'loaded', JSON.stringify(resumed.error));
    assert.deepEqual([resumed.rows, resumed.rejected, resumed.ignored_keys], [RECORDS, 0, 0]);
    // coupon and user.phone are not in the chunks it read, yet it names them with their sources: the ledger kept them.
    assert.deepEqual(resumed.columns.map((c) => [c.name, c.source, c.type]), [...SAMPLED, ...LATE]);
    assert.equal(resumed.schema_version, first.schema_version, 'the same schema as the whole load');
    assert.equal(restartsOf(path).length, 2, 'the resume met no key it did not know');
    const chunks = resumed.chunks!;
    assert.equal(chunks.skipped, kept.chunk_no + 1, 'the chunks committed before the stop are skipped');
    assert.equal(chunks.loaded + chunks.skipped, chunks.total);
    const distinct = await fixture.client.query<{ rows: number; offsets: number }>(
      'SELECT count(*)::int AS rows, count(DISTINCT _offset)::int AS offsets FROM staging.late_resumed');
    assert.deepEqual(distinct.rows[0], { rows: RECORDS, offsets: RECORDS });
    const rows = await stagedRows('late_resumed');
    rows.forEach((row, i) => assert.deepEqual(row, expectedRow(i, NDJSON_RANGES), `record ${i}`));
    // The late columns' profile is that of the same file loaded in one go.
    const clean = await fixture.engine.ingest(path, { dataset: 'late_clean', force: true });
    assert.equal(clean.status, 'loaded', JSON.stringify(clean.error));
    const profileOf = async (dataset: string) => (await fixture.client.query(
      `SELECT column_name, stats FROM ingest.profiles WHERE dataset = $1 AND column_name IN ('coupon', 'discount', 'since', 'geo_lat') ORDER BY column_name`, [dataset])).rows;
    const profile = await profileOf('late_resumed');
    assert.equal(profile.length, 4);
    assert.deepEqual(profile, await profileOf('late_clean'));
  });

  test('a load killed after its first restart, run again: every record exactly once, every late value loaded', { timeout: 120_000 }, async () => {
    const path = await write('late_killed.ndjson', ndjson(NDJSON_RANGES, 'k'));
    const couponAt = NDJSON_RANGES.coupon[0] * (RECORD_BYTES + 1);
    // Small chunks (16 KiB, 160 of them), so the rest of the load after the first restart outlasts the polling below.
    const load = () => startLoad(fixture.db.url, [path, '--json', '--chunk-size', '16384', '--workers', '1', '--writers', '1']);
    // Past the first restart: the coupon column is there and a chunk holding coupons committed.
    const pastRestart = async (): Promise<boolean> => (await fixture.client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ingest.chunks c JOIN ingest.files f ON f.id = c.file_id WHERE f.path = $1 AND c.byte_end > $2`, [path, couponAt])
      .catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n > 0;
    // The backends of this suite's own engine, so the killed process's can be waited for.
    const backends = async (): Promise<number> => (await fixture.client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'sluice%'")).rows[0].n;
    const own = await backends();
    assert.equal(await killWhen(load(), pastRestart, backends, own), true, 'the load ended before its first restart was seen');
    const status = await fixture.client.query<{ status: string }>('SELECT status FROM ingest.files WHERE path = $1', [path]);
    assert.equal(status.rows[0].status, 'loading', 'the kill landed mid-load');

    const { code, summary } = await loadOutcome(load());
    assert.equal(code, 0);
    assert.deepEqual([summary.status, summary.rows, summary.rejected, summary.ignored_keys], ['loaded', RECORDS, 0, 0]);
    assert.ok((summary.chunks?.skipped ?? 0) > 0, 'the run again skipped the chunks committed before the kill');
    assert.deepEqual(summary.columns.map((c) => [c.name, c.source, c.type]), [...SAMPLED, ...LATE]);
    const distinct = await fixture.client.query<{ rows: number; offsets: number }>(
      'SELECT count(*)::int AS rows, count(DISTINCT _offset)::int AS offsets FROM staging.late_killed');
    assert.deepEqual(distinct.rows[0], { rows: RECORDS, offsets: RECORDS });
    const rows = await stagedRows('late_killed');
    rows.forEach((row, i) => assert.deepEqual(row, expectedRow(i, NDJSON_RANGES), `record ${i}`));
  });

  test('under a frozen schema the table keeps its columns: records holding a late key are SCHEMA rejects, the rest load', async () => {
    const first = join(fixture.dir, 'frozen_late_1.ndjson');
    await writeFile(first, `${[0, 1, 2].map((i) => recordText(i, NDJSON_RANGES, 'f')).join('\n')}\n`);
    assert.equal((await fixture.engine.ingest(first)).status, 'loaded');
    const columnsOf = async () => (await fixture.client.query<{ c: string }>(
      `SELECT attname || ' ' || format_type(atttypid, atttypmod) AS c FROM pg_attribute
        WHERE attrelid = 'staging.frozen_late'::regclass AND attnum > 2 AND NOT attisdropped ORDER BY attnum`)).rows.map((r) => r.c);
    const frozen = await columnsOf();
    assert.deepEqual(frozen, SAMPLED.map(([name, , type]) => `${name} ${type}`));

    const path = await write('frozen_late_2.ndjson', ndjson(NDJSON_RANGES, 'f'));
    const summary = await fixture.engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    const holding = (NDJSON_RANGES.coupon[1] - NDJSON_RANGES.coupon[0]) + (NDJSON_RANGES.discount[1] - NDJSON_RANGES.discount[0]);
    assert.deepEqual([summary.rows, summary.rejected, summary.ignored_keys], [RECORDS - holding, holding, 0]);
    assert.deepEqual(await columnsOf(), frozen, 'nothing added');
    assert.deepEqual(summary.columns.map((c) => c.name), SAMPLED.map(([name]) => name));
    const rejects = await fixture.client.query<{ reason: string; n: number; first: number; detail: string }>(
      `SELECT reason, count(*)::int AS n, min(line)::int AS first, min(detail) AS detail FROM ingest.rejects r JOIN ingest.files f ON f.id = r.file_id
        WHERE f.path = $1 GROUP BY reason`, [path]);
    assert.deepEqual(rejects.rows.map((r) => [r.reason, r.n, r.first]), [['SCHEMA', holding, NDJSON_RANGES.coupon[0] + 1]]);
    assert.match(rejects.rows[0].detail, /column \w+ is not in the frozen schema of dataset frozen_late/);
    const ids = await fixture.client.query<{ n: number; late: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE id BETWEEN $1 AND $2 OR id BETWEEN $3 AND $4)::int AS late FROM staging.frozen_late WHERE _file = (SELECT id FROM ingest.files WHERE path = $5)`,
      [NDJSON_RANGES.coupon[0], NDJSON_RANGES.coupon[1] - 1, NDJSON_RANGES.discount[0], NDJSON_RANGES.discount[1] - 1, path]);
    assert.deepEqual(ids.rows[0], { n: RECORDS - holding, late: 0 });
  });
});

describe('JSON keys first seen past the sample: bounded restarts', () => {
  // One worker and one queued chunk: two chunks in flight at most, so each key below is found alone.
  const fixture = engineFixture('late-bound', { workers: 1, writers: 1, queueBound: 1, chunkSize: 64 * 1024 });

  test('past eight restarts, the keys still unseen are skipped and counted in ignored_keys', async () => {
    // Twelve keys past the head, each in 50 records of its own, 500 records (3 chunks) apart.
    const keyAt = (i: number) => (i >= 2600 && (i - 2600) % 500 < 50 ? Math.floor((i - 2600) / 500) + 1 : 0);
    const count = 2600 + 12 * 500;
    const lines = Array.from({ length: count }, (_, i) => {
      const key = keyAt(i);
      const record = { id: i, ...(key === 0 ? {} : { [`k${key}`]: i }) };
      return JSON.stringify({ ...record, pad: 'p'.repeat(RECORD_BYTES - JSON.stringify({ ...record, pad: '' }).length) });
    });
    const path = join(fixture.dir, 'many_late.json');
    await writeFile(path, `[${lines.join(',\n')}]`);
    const summary = await fixture.engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.rows, count);
    assert.deepEqual(summary.columns.map((c) => c.name), ['id', 'pad', ...Array.from({ length: 8 }, (_, k) => `k${k + 1}`)]);
    assert.equal(summary.ignored_keys, 4 * 50, 'keys 9 to 12 are counted');
    const loaded = await fixture.client.query<{ n: number }>('SELECT count(*)::int AS n FROM staging.many_late WHERE k8 = id');
    assert.equal(loaded.rows[0].n, 50);
  });
});
