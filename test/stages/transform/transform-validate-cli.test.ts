import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sluice } from '../../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';

/**
 * Transforms and rules end to end: `sluice load --config` of an NDJSON file (its chunks run the
 * worker stages), then the table, the rejects and the summary.
 */
describe('transforms and rules through sluice load --config', () => {
  let db: TestDatabase;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-transform-validate-'));
    const { SLUICE_CONFIG: _ignored, ...rest } = process.env;
    env = { ...rest, DATABASE_URL: db.url };
    await writeFile(join(dir, 'sluice.yaml'), [
      'datasets:',
      '  customers:',
      '    match: "**/customers*.ndjson"',
      '    transforms:',
      '      - { column: name, trim: true, case: lower }',
      '      - { column: status, map: { LATE: late, "?": null } }',
      '    rules:',
      '      - { name: status_known, column: status, in: [ok, late] }',
      '      - { name: email_format, column: email, regex: "^[^@]+@[^@]+$", severity: warn }',
      '      - { name: name_short, column: name, length: { max: 8 } }',
      '      - { name: id_unique, column: id, unique: { scope: load } }',
      '  tickets:',
      '    match: "**/tickets*.csv"',
      '    transforms:',
      '      - { column: priority, trim: true, case: upper, map: { URGENT: P1 } }',
      '    rules:',
      '      - { name: priority_known, column: priority, in: [P1, P2, P3] }',
      '  payments:',
      '    match: "**/payments*.csv"',
      '    rules:',
      '      - { name: amount_positive, column: amount, range: { min: 0 } }',
      '      - { name: paid_after_due, check: "paid_at >= due_at", severity: warn }',
      '',
    ].join('\n'));
    const rows = [
      { id: 1, name: '  Ada ', status: 'ok', email: 'ada@example.com' },
      { id: 2, name: 'GRACE', status: 'LATE', email: 'grace' },
      { id: 3, name: 'Edsger', status: 'lost', email: 'e@x' },
      { id: 4, name: 'Barbara Liskov', status: 'ok', email: 'b@x' },
      { id: 1, name: 'Alan', status: 'ok', email: 'a@x' },
      { id: 5, name: 'Ken', status: '?', email: 'k@x' },
    ];
    await writeFile(join(dir, 'customers.ndjson'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    await writeFile(join(dir, 'payments.csv'), 'id,amount,due_at,paid_at\n1,10.5,2024-01-01T00:00:00Z,2024-01-02T00:00:00Z\n2,-3,2024-01-01T00:00:00Z,2024-01-02T00:00:00Z\n3,0,2024-01-05T00:00:00Z,2024-01-02T00:00:00Z\n');
    await writeFile(join(dir, 'tickets.csv'), 'ticket,priority\n1, p2 \n2,urgent\n3,p9\n4,P3\n');
  });

  after(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('values are transformed, rows failing an error rule rejected as RULE:<name>, warn counted, the summary lists every rule', async () => {
    const outcome = await sluice(['load', '--config', join(dir, 'sluice.yaml'), join(dir, 'customers.ndjson'), '--json'], env);
    assert.equal(outcome.code, 0, outcome.stderr);
    const summary = JSON.parse(outcome.stdout.trim().split('\n').at(-1)!);
    assert.equal(summary.status, 'loaded');
    assert.deepEqual([summary.rows, summary.rejected], [3, 3]);
    assert.deepEqual(summary.validation, [
      { rule: 'status_known', column: 'status', severity: 'error', failed: 1 },
      { rule: 'email_format', column: 'email', severity: 'warn', failed: 1 },
      { rule: 'name_short', column: 'name', severity: 'error', failed: 1 },
      { rule: 'id_unique', column: 'id', severity: 'error', failed: 1 },
    ]);
    const staged = await db.query<{ id: number; name: string; status: string | null }>('SELECT id, name, status FROM staging.customers ORDER BY _offset');
    assert.deepEqual(staged.rows.map((r) => [r.id, r.name, r.status]), [[1, 'ada', 'ok'], [2, 'grace', 'late'], [5, 'ken', null]]);
    const rejects = await db.query<{ line: string | null; reason: string; detail: string }>('SELECT line, reason, detail FROM ingest.rejects ORDER BY byte_offset');
    assert.deepEqual(rejects.rows.map((r) => [r.line === null ? null : Number(r.line), r.reason, r.detail]), [
      [3, 'RULE:status_known', 'column status: "lost"'],
      [4, 'RULE:name_short', 'column name: "barbara liskov"'],
      [null, 'RULE:id_unique', rejects.rows[2].detail],
    ]);
    assert.match(rejects.rows[2].detail, /^column id: "1" \(first at byte 0\)$/);
  });

  test('a CSV file: transformed values load, a row failing the rule is rejected with its line', async () => {
    const outcome = await sluice(['load', '--config', join(dir, 'sluice.yaml'), join(dir, 'tickets.csv'), '--json'], env);
    assert.equal(outcome.code, 0, outcome.stderr);
    const summary = JSON.parse(outcome.stdout.trim().split('\n').at(-1)!);
    assert.deepEqual([summary.status, summary.rows, summary.rejected], ['loaded', 3, 1]);
    assert.deepEqual(summary.validation, [{ rule: 'priority_known', column: 'priority', severity: 'error', failed: 1 }]);
    const staged = await db.query<{ priority: string }>('SELECT priority FROM staging.tickets ORDER BY _offset');
    assert.deepEqual(staged.rows.map((r) => r.priority), ['P2', 'P1', 'P3']);
    const rejects = await db.query<{ line: string; reason: string; detail: string; raw: string }>(
      "SELECT r.line, r.reason, r.detail, r.raw FROM ingest.rejects r JOIN ingest.files f ON f.id = r.file_id WHERE f.dataset = 'tickets'");
    assert.deepEqual(rejects.rows.map((r) => [Number(r.line), r.reason, r.detail, r.raw]), [[4, 'RULE:priority_known', 'column priority: "P9"', '3,p9']]);
  });

  test('rules on typed values: a range on a double precision column, a check over timestamps', async () => {
    const outcome = await sluice(['load', '--config', join(dir, 'sluice.yaml'), join(dir, 'payments.csv'), '--json'], env);
    assert.equal(outcome.code, 0, outcome.stderr);
    const summary = JSON.parse(outcome.stdout.trim().split('\n').at(-1)!);
    assert.deepEqual([summary.status, summary.rows, summary.rejected], ['loaded', 2, 1]);
    assert.deepEqual(summary.validation.map((e: { rule: string; failed: number }) => [e.rule, e.failed]), [['amount_positive', 1], ['paid_after_due', 1]]);
    const staged = await db.query<{ id: number }>('SELECT id FROM staging.payments ORDER BY _offset');
    assert.deepEqual(staged.rows.map((r) => r.id), [1, 3]);
  });
});
