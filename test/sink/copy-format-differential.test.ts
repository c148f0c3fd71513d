/**
 * The same inputs loaded with --copy-format csv (the reference) and binary must give identical
 * tables. Each format loads into a database of its own, through an engine of its own, in the same
 * order — so the ledger ids, and with them every `_file`, agree; the binary tables are then copied
 * next to the CSV ones and compared whole, provenance included (EXCEPT ALL both ways). Inputs: the
 * fixture corpus, and generated files of values at the edges of every type.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { createEngine, type Engine } from '../../src/index.js';
import { CORPUS } from '../fixtures/corpus.js';
import { writeCorpus } from '../fixtures/generate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { floatText, pad, timestampText } from '../helpers/literals.js';

interface Side { db: TestDatabase; engine: Engine; log: string[] }

async function side(copyFormat: 'csv' | 'binary'): Promise<Side> {
  const db = await createTestDatabase();
  const log: string[] = [];
  const engine = createEngine({ databaseUrl: db.url, workers: 1, writers: 2, chunkSize: 4096, copyFormat, log: (line) => log.push(line) });
  return { db, engine, log };
}

/** Rows of staging.<table> that differ between the two sides (0 when identical), and whether the column types agree. */
async function differences(csv: Side, binary: Side, table: string): Promise<{ rows: number; types: [string[], string[]] }> {
  const name = pg.escapeIdentifier(table);
  const typesOf = async (db: TestDatabase): Promise<string[]> => (await db.query<{ t: string }>(
    `SELECT attname || ' ' || format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [`staging.${name}`])).rows.map((r) => r.t);
  const types: [string[], string[]] = [await typesOf(csv.db), await typesOf(binary.db)];
  const target = new pg.Client({ connectionString: csv.db.url });
  const source = new pg.Client({ connectionString: binary.db.url });
  await Promise.all([target.connect(), source.connect()]);
  try {
    await target.query(`CREATE SCHEMA IF NOT EXISTS by_binary; DROP TABLE IF EXISTS by_binary.${name}; CREATE TABLE by_binary.${name} (LIKE staging.${name})`);
    await pipeline(source.query(copyTo(`COPY staging.${name} TO STDOUT WITH (FORMAT binary)`)), target.query(copyFrom(`COPY by_binary.${name} FROM STDIN WITH (FORMAT binary)`)));
    const { rows } = await target.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM (SELECT * FROM staging.${name} EXCEPT ALL SELECT * FROM by_binary.${name}) a)::int
            + (SELECT count(*) FROM (SELECT * FROM by_binary.${name} EXCEPT ALL SELECT * FROM staging.${name}) b)::int AS n`);
    return { rows: rows[0].n, types };
  } finally {
    await Promise.all([target.end(), source.end()]);
  }
}

async function stagingTables(db: TestDatabase): Promise<string[]> {
  return (await db.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'staging' ORDER BY 1`)).rows.map((r) => r.t);
}

/** One CSV field, quoted when it must be. */
const csvField = (value: string | null): string => (value === null ? '' : /[",\r\n]/.test(value) || value === '' ? `"${value.replaceAll('"', '""')}"` : value);

const date = fc.tuple(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }))
  .map(([y, m, d]) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`);
const nullable = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { freq: 8, nil: null });
const edgeRow = fc.record({
  i: nullable(fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(2 ** 31 - 1, -(2 ** 31), 0)).map(String)),
  g: nullable(fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.constantFrom(2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, 2n ** 31n)).map(String)),
  // A long integer alone would make the column numeric (inference keeps its digits): it has its own.
  f: nullable(floatText.map((t) => t.trim()).filter((t) => /[.eE]/.test(t))),
  n: nullable(fc.bigInt({ min: 10n ** 19n, max: 10n ** 30n }).chain((v) => fc.constantFrom(String(v), `-${v}`))),
  d: nullable(fc.oneof(date, fc.constantFrom('0001-01-01', '9999-12-31', '2000-02-29', '2024-02-29', '1900-02-28'))),
  t: nullable(timestampText),
  s: nullable(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ minLength: 1000, maxLength: 3000 }),
    fc.constantFrom('NaN', 'Infinity', '-Infinity', '-0', 'ünïcødé 日本 😀', 'a,"b"', 'x\ny')).map((s) => s.replaceAll('\0', '').replaceAll('\r', ''))),
  special: fc.constantFrom('NaN', 'Infinity', '-Infinity', '-0', '1.5'),
});

function edgeCsv(seed: number): string {
  const sample = fc.sample(edgeRow, { numRuns: 400, seed });
  const lines = sample.map((r) => [r.i, r.g, r.f, r.n, r.d, r.t, r.s, r.special].map(csvField).join(','));
  return `i,g,f,n,d,t,s,special\n${lines.join('\n')}\n`;
}

function edgeNdjson(seed: number): string {
  const sample = fc.sample(fc.record({ row: edgeRow, doc: fc.jsonValue({ maxDepth: 2 }) }), { numRuns: 300, seed });
  return sample.map(({ row, doc }) => JSON.stringify({
    i: row.i === null ? null : Number(row.i), d: row.d, t: row.t, s: row.s, nested: { doc, list: [row.i, row.special] },
  }).replaceAll('\\u0000', '')).join('\n') + '\n';
}

describe('binary and CSV COPY load identical tables', () => {
  let csv: Side;
  let binary: Side;
  let dir: string;

  before(async () => {
    [csv, binary] = [await side('csv'), await side('binary')];
    dir = await mkdtemp(join(tmpdir(), 'sluice-copy-format-'));
    await writeCorpus(dir);
    for (const seed of [1, 2, 3]) {
      await writeFile(join(dir, `edges_${seed}.csv`), edgeCsv(seed));
      await writeFile(join(dir, `json_edges_${seed}.ndjson`), edgeNdjson(seed));
    }
  });

  after(async () => {
    await Promise.all([csv?.engine.close(), binary?.engine.close()]);
    await Promise.all([csv?.db.drop(), binary?.db.drop()]);
    await rm(dir, { recursive: true, force: true });
  });

  test('the fixture corpus and the edge files: the same summaries and the same rows', { timeout: 300_000 }, async () => {
    const files = [...CORPUS.map((f) => ({ file: f.file, overrides: f.overrides, keepPreamble: f.keepPreamble })),
      ...[1, 2, 3].flatMap((seed) => [{ file: `edges_${seed}.csv` }, { file: `json_edges_${seed}.ndjson` }])];
    for (const { file, ...request } of files) {
      const [a, b] = [await csv.engine.ingestAll(join(dir, file), request), await binary.engine.ingestAll(join(dir, file), request)];
      // A column widened during the load is profiled, per chunk, under the type the chunk was first
      // encoded under — which depends on how far ahead the workers were when it widened (README,
      // Widening) — so quality and anomaly counts are compared only for loads that widened nothing.
      const strip = (s: (typeof a)[number]) => ({
        ...s, duration_ms: 0, timeseries: s.timeseries === null ? null : { ...s.timeseries, duration_ms: 0 }, ...((s.widened?.length ?? 0) > 0 ? { quality: null, anomalies: null } : {}),
      });
      assert.deepEqual(b.map(strip), a.map(strip), file);
    }
    const tables = await stagingTables(csv.db);
    assert.deepEqual(await stagingTables(binary.db), tables);
    assert.ok(tables.length > 50, `${tables.length} tables`);
    for (const table of tables) {
      const { rows, types } = await differences(csv, binary, table);
      assert.deepEqual(types[1], types[0], table);
      assert.equal(rows, 0, `staging.${table}: ${rows} rows differ`);
    }
    const rejects = 'SELECT file_id, chunk_no, chunk_line, byte_offset, reason, raw FROM ingest.rejects ORDER BY 1, 2, 3, 4, 5';
    assert.deepEqual((await binary.db.query(rejects)).rows, (await csv.db.query(rejects)).rows);
    // The binary side really wrote binary COPY (the CSV side never does).
    assert.ok(binary.log.some((line) => line.includes('(binary COPY)')), 'binary COPY was used');
    assert.ok(!csv.log.some((line) => line.includes('(binary COPY)')));
    const edgeTypes = (await differences(csv, binary, 'edges_1')).types[0];
    assert.deepEqual(edgeTypes.slice(2), ['i integer', 'g bigint', 'f double precision', 'n numeric', 'd date', 't timestamp with time zone', 's text', 'special text']);
    const jsonTypes = (await differences(csv, binary, 'json_edges_1')).types[0];
    assert.ok(jsonTypes.includes('nested_doc jsonb') && jsonTypes.includes('t timestamp with time zone'), jsonTypes.join(', '));
  });
});
