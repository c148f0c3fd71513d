/**
 * The quality finisher against PostgreSQL, on planted data run through the real profile and detect
 * stages: nulls, duplicate keys, values failing their type and rules, outliers and a stale time
 * column give the dimension values README.md ("Data quality") documents; the profile and scores
 * are stored per load (replaced, not duplicated, when completing runs again), and `sluice profile`
 * / `sluice anomalies` print them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { configSchema } from '../../src/configuration/config-schema.js';
import { migrate } from '../../src/database/migrate.js';
import { ByteSink } from '../../src/formats/byte-sink.js';
import { ColumnType } from '../../src/schema/column-type.js';
import { copyIn } from '../../src/sink/copy-writer.js';
import { ANOMALIES_COPY } from '../../src/stages/anomaly-row.js';
import type { ChunkReports } from '../../src/stages/chunk-stages.js';
import { detectStage, type DetectReport } from '../../src/stages/detect/detect-stage.js';
import type { FinishedLoad } from '../../src/stages/load-finish.js';
import { columnFigures } from '../../src/stages/profile/column-profile.js';
import { profileStage, type ProfileReport } from '../../src/stages/profile/profile-stage.js';
import { finishQuality } from '../../src/stages/quality-finish.js';
import type { RuleOutcome } from '../../src/stages/quality-scores.js';
import { batchOf } from '../helpers/batch.js';
import { sluice } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const COLUMNS = [
  { name: 'id', type: ColumnType.int },
  { name: 'email', type: ColumnType.text },
  { name: 'amount', type: ColumnType.float },
  { name: 'ordered_at', type: ColumnType.timestamptz },
  { name: 'note', type: ColumnType.text },
] as const;

const DAY = 86_400_000;
const NEWEST = Date.now() - 10 * DAY;

/**
 * 100 loaded rows: ids 0..99 with rows 98 and 99 repeating ids 0 and 1 (98 distinct); 97 emails
 * and 3 'n/a'; amounts 40..60 with outliers 500 (row 10) and -300 (row 70); ordered_at at most
 * 10 days old; note NULL in 10 rows. 8 more rows were rejected (5 CAST, 3 RULE:amount_positive).
 */
function plantedRows(): Array<Array<string | null>> {
  return Array.from({ length: 100 }, (_, i) => [
    String(i >= 98 ? i - 98 : i),
    i % 33 === 5 ? 'n/a' : `user${i % 20}@example.com`,
    i === 10 ? '500' : i === 70 ? '-300' : String(50 + ((i % 21) - 10)),
    new Date(NEWEST - (i % 7) * DAY).toISOString(),
    i % 10 === 3 ? null : `n${i % 5}`,
  ]);
}

const CONFIG = configSchema.parse({
  datasets: {
    sales: {
      rules: [
        { name: 'amount_positive', column: 'amount', range: { min: -1000 } },
        { name: 'email_format', column: 'email', regex: '^[^@]+@[^@]+$', severity: 'warn' },
        { name: 'ends_after_start', check: 'amount >= 0', severity: 'warn' },
        { name: 'fresh', column: 'ordered_at', freshness: '2d' },
      ],
      quality: { weights: { completeness: 2, accuracy: 0 } },
    },
  },
}).datasets.sales;

const VALIDATION: RuleOutcome[] = [
  { rule: 'amount_positive', column: 'amount', severity: 'error', failed: 3 },
  { rule: 'email_format', column: 'email', severity: 'warn', failed: 3 },
  { rule: 'ends_after_start', column: null, severity: 'warn', failed: 4 },
  { rule: 'fresh', column: 'ordered_at', severity: 'error', failed: 1 },
];

/** The stages over the rows in two chunks, as the workers run them; reports folded as the main thread folds them. */
function runStages(rows: Array<Array<string | null>>): { reports: ChunkReports; anomalies: Uint8Array } {
  const sample = COLUMNS.map((_, c) => rows.map((r) => r[c]));
  const load = { dataset: 'sales', datasetConfig: CONFIG, columns: COLUMNS, sampleValues: sample };
  const profile = profileStage.create(profileStage.options.parse(profileStage.planFor!(load)), COLUMNS);
  const detect = detectStage.create(detectStage.options.parse(detectStage.planFor!(load)), COLUMNS);
  const anomalies = new ByteSink(new Uint8Array(0));
  let profiled: ProfileReport | undefined;
  let detected: DetectReport | undefined;
  for (const [chunkNo, from, to] of [[0, 0, 60], [1, 60, 100]] as const) {
    const batch = batchOf(COLUMNS, rows.slice(from, to));
    for (let r = 0; r < batch.rowCount; r++) batch.rowOffset[r] = 100 * (from + r);
    const context = { dataset: 'sales', fileId: fileId, chunkNo, rejects: new ByteSink(new Uint8Array(0)), anomalies };
    profile.process(batch, context);
    detect.process(batch, context);
    const p = profile.report();
    const d = detect.report();
    profiled = profiled === undefined ? p : profileStage.merge(profiled, p);
    detected = detected === undefined ? d : detectStage.merge(detected, d);
  }
  return { reports: { profile: profiled, detect: detected }, anomalies: anomalies.view().slice() };
}

let db: TestDatabase;
let client: pg.Client;
let fileId: number;

describe('quality finisher: planted data gives the documented dimensions', () => {
  let stages: ReturnType<typeof runStages>;
  let finished: Awaited<ReturnType<typeof finishQuality>>;

  before(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    const file = await client.query<{ id: string }>(
      `INSERT INTO ingest.files (sha256, path, source, size_bytes, dataset, table_name, chunk_size, status, rows, rejected, finished_at)
       VALUES ($1, '/in/sales.csv', '/in/sales.csv', 1000, 'sales', 'staging.sales', 65536, 'loaded', 100, 8, now()) RETURNING id`, ['a'.repeat(64)]);
    fileId = Number(file.rows[0].id);
    for (let i = 0; i < 8; i++) {
      await client.query(`INSERT INTO ingest.rejects (file_id, chunk_no, chunk_line, byte_offset, reason, detail) VALUES ($1, 0, $2, $3, $4, 'x')`,
        [fileId, i + 1, 20_000 + i, i < 5 ? 'CAST' : 'RULE:amount_positive']);
    }
    stages = runStages(plantedRows());
    await copyIn(client, ANOMALIES_COPY, stages.anomalies);
    const load: FinishedLoad = {
      client, fileId, dataset: 'sales', table: 'staging.sales', columns: COLUMNS, sources: new Map(), reports: stages.reports, rows: 100, rejected: 8,
      datasetConfig: CONFIG, summary: { validation: VALIDATION } as FinishedLoad['summary'],
    };
    finished = await finishQuality(load);
    // Completing again (a retried transaction) replaces what the first run stored.
    finished = await finishQuality(load);
  });

  after(async () => {
    await client.end();
    await db.drop();
  });

  test('completeness = non-null cells / cells: 10 NULL notes in 5 × 100 cells', () => {
    assert.equal(finished.summary.quality!.completeness, 490 / 500);
  });

  test('validity = (rows seen − rejected − warn row-rule failures) / rows seen: (108 − 8 − 3 − 4) / 108', () => {
    assert.equal(finished.summary.quality!.validity, 93 / 108);
  });

  test('uniqueness from the key-like column id (98 distinct of 100); email (20 distinct) is not key-like', () => {
    assert.equal(finished.summary.quality!.uniqueness, 0.98);
  });

  test('consistency = (emails in shape + rows passing the check rule) / (email values + rows seen): (97 + 104) / (100 + 108)', () => {
    assert.equal(finished.summary.quality!.consistency, (97 + 104) / (100 + 108));
  });

  test('timeliness: newest ordered_at 10 days old against a 2-day freshness rule gives 2 / 10', () => {
    assert.ok(Math.abs(finished.summary.quality!.timeliness! - 0.2) < 1e-4, `${finished.summary.quality!.timeliness}`);
  });

  test('accuracy = 1 − anomalies / values checked: the two planted outliers among 200 values (id and amount), flagged with their rows', async () => {
    assert.equal(finished.summary.quality!.accuracy, 0.99);
    assert.deepEqual(finished.summary.anomalies, { id: 0, amount: 2 });
    const rows = await client.query('SELECT byte_offset::int AS offset, value, method FROM ingest.anomalies WHERE file_id = $1 ORDER BY byte_offset', [fileId]);
    assert.deepEqual(rows.rows, [{ offset: 1000, value: '500', method: 'robust_z' }, { offset: 7000, value: '-300', method: 'robust_z' }]);
  });

  test('score: the weighted mean of the assessed dimensions (completeness weight 2, accuracy 0)', () => {
    const q = finished.summary.quality!;
    const expected = (2 * q.completeness! + q.uniqueness! + q.validity! + q.consistency! + q.timeliness!) / 6;
    assert.ok(Math.abs(q.score! - expected) < 1e-12);
  });

  test('ingest.quality holds the scores and what they counted; ingest.profiles a row per column, in table order', async () => {
    const quality = await client.query('SELECT completeness, validity, score, detail FROM ingest.quality WHERE file_id = $1', [fileId]);
    assert.equal(quality.rows.length, 1);
    assert.equal(quality.rows[0].validity, 93 / 108);
    assert.deepEqual(quality.rows[0].detail.validity.rejects_by_reason, { CAST: 5, 'RULE:amount_positive': 3 });
    const profiles = await client.query('SELECT column_name, column_type, state, stats FROM ingest.profiles WHERE file_id = $1 ORDER BY column_no', [fileId]);
    assert.deepEqual(profiles.rows.map((r) => r.column_name), COLUMNS.map((c) => c.name));
    const profile = stages.reports.profile as ProfileReport;
    for (const row of profiles.rows) assert.deepEqual(row.stats, JSON.parse(JSON.stringify(columnFigures(row.column_name, profile[row.column_name]))));
    assert.equal(profiles.rows[3].column_type, 'timestamp with time zone');
  });

  test('a dimension nothing assessed is null, never 1, and stays out of the score', async () => {
    const bare = await finishQuality({
      client, fileId, dataset: 'sales', table: 'staging.sales', columns: COLUMNS, sources: new Map(), reports: {}, rows: 0, rejected: 0, datasetConfig: undefined, summary: {},
    });
    assert.deepEqual(bare.summary.quality, { completeness: null, uniqueness: null, validity: null, consistency: null, timeliness: null, accuracy: null, score: null });
    assert.equal(bare.summary.anomalies, null);
    // Put the planted load's rows back for the CLI tests (timeliness moves with the clock).
    finished = await finishQuality({
      client, fileId, dataset: 'sales', table: 'staging.sales', columns: COLUMNS, sources: new Map(), reports: stages.reports, rows: 100, rejected: 8,
      datasetConfig: CONFIG, summary: { validation: VALIDATION } as FinishedLoad['summary'],
    });
  });

  test('sluice profile --json: per column name, type, count, nulls, distinct, min, max, mean, stddev, quantiles, top, patterns, and quality', async () => {
    const outcome = await sluice(['profile', 'sales', '--json'], { ...process.env, DATABASE_URL: db.url });
    assert.equal(outcome.code, 0, outcome.stderr);
    const printed = JSON.parse(outcome.stdout);
    assert.equal(printed.file_id, fileId);
    assert.deepEqual(printed.quality, finished.summary.quality);
    const amount = printed.columns.find((c: { name: string }) => c.name === 'amount');
    const values = plantedRows().map((r) => Number(r[2]));
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const stddev = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
    assert.equal(amount.type, 'double precision');
    assert.equal(amount.count, 100);
    assert.equal(amount.min, -300);
    assert.equal(amount.max, 500);
    assert.ok(Math.abs(amount.mean - mean) < 1e-9);
    assert.ok(Math.abs(amount.stddev - stddev) < 1e-9);
    assert.deepEqual(Object.keys(amount.quantiles), ['0.01', '0.05', '0.25', '0.5', '0.75', '0.95', '0.99']);
    const email = printed.columns.find((c: { name: string }) => c.name === 'email');
    assert.deepEqual(email.patterns, { email: 97, other: 3 });
    assert.equal(email.distinct, 21);
    assert.ok(email.top.length > 0 && typeof email.top[0].count === 'number');
    // By file too (ledger id or path), and the table form names every score.
    const byFile = await sluice(['profile', 'sales', '--file', String(fileId)], { ...process.env, DATABASE_URL: db.url });
    assert.equal(byFile.code, 0, byFile.stderr);
    for (const word of ['amount', 'completeness', 'timeliness', 'score']) assert.match(byFile.stdout, new RegExp(word));
  });

  test('sluice profile of a dataset never profiled exits 1 and says so', async () => {
    const outcome = await sluice(['profile', 'nothing_here'], { ...process.env, DATABASE_URL: db.url });
    assert.equal(outcome.code, 1);
    assert.match(outcome.stderr, /no profiled load/);
  });

  test('sluice anomalies --json lists the anomaly rows with file, offset, column, value, score and method', async () => {
    const outcome = await sluice(['anomalies', 'sales', '--json'], { ...process.env, DATABASE_URL: db.url });
    assert.equal(outcome.code, 0, outcome.stderr);
    const rows = outcome.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((r) => [r.file_id, r.byte_offset, r.column, r.value, r.method]), [[fileId, 1000, 'amount', '500', 'robust_z'], [fileId, 7000, 'amount', '-300', 'robust_z']]);
    assert.ok(rows[0].score > 3.5);
    const table = await sluice(['anomalies', 'sales'], { ...process.env, DATABASE_URL: db.url });
    assert.match(table.stdout, /robust_z/);
  });
});
