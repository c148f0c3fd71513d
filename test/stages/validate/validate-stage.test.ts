import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ColumnBatch } from '../../../src/batch/column-batch.js';
import type { RuleConfig } from '../../../src/configuration/config-schema.js';
import { validateConfig } from '../../../src/configuration/read-config.js';
import { ByteSink } from '../../../src/formats/byte-sink.js';
import { ColumnType } from '../../../src/schema/column-type.js';
import type { StageColumn } from '../../../src/stages/stage.js';
import { validateOptions } from '../../../src/stages/validate/validate-options.js';
import { type ValidateReport, validateStage } from '../../../src/stages/validate/validate-stage.js';
import { batchOf } from '../../helpers/batch.js';

function rulesOf(rules: unknown[]): RuleConfig[] {
  return validateConfig({ datasets: { d: { rules } } }).datasets.d.rules!;
}

const columns: StageColumn[] = [
  { name: 'id', type: ColumnType.int },
  { name: 'amount', type: ColumnType.float },
  { name: 'email', type: ColumnType.text },
  { name: 'status', type: ColumnType.text },
  { name: 'start_at', type: ColumnType.timestamptz },
  { name: 'end_at', type: ColumnType.timestamptz },
  { name: 'paid', type: ColumnType.bool },
  { name: 'big', type: ColumnType.numeric },
];

interface Run { batch: ColumnBatch; rejects: { line: number; offset: number; reason: string; detail: string }[]; report: ValidateReport }

function run(rules: unknown[], rows: (string | null)[][], cols: StageColumn[] = columns): Run {
  const stage = validateStage.create(validateOptions.parse({ rules: rulesOf(rules) }), cols);
  const batch = batchOf(cols, rows);
  const sink = new ByteSink(new Uint8Array(0));
  stage.process(batch, { dataset: 'd', fileId: 3, chunkNo: 1, rejects: sink, anomalies: new ByteSink(new Uint8Array(0)) });
  const rejects = Buffer.from(sink.view()).toString('utf8').split('\n').filter((l) => l !== '').map((l) => {
    const [, , line, offset, reason, detail] = l.split('\t');
    return { line: Number(line), offset: Number(offset), reason, detail };
  });
  return { batch, rejects, report: stage.report() };
}

/** Rows with only the named column set (by position in `columns`). */
function rowsWith(name: string, values: (string | null)[]): (string | null)[][] {
  const at = columns.findIndex((c) => c.name === name);
  return values.map((v) => columns.map((_, i) => (i === at ? v : null)));
}

const kept = (batch: ColumnBatch): number[] => [...Array(batch.rowCount).keys()].filter((r) => batch.rejected[r] === 0);

describe('validate stage', () => {
  test('not_null rejects NULL rows with the column in the detail', () => {
    const { batch, rejects, report } = run([{ name: 'id_present', column: 'id', not_null: true }], rowsWith('id', ['1', null, '3']));
    assert.deepEqual(kept(batch), [0, 2]);
    assert.deepEqual(rejects, [{ line: 2, offset: 100, reason: 'RULE:id_present', detail: 'column id: NULL' }]);
    assert.deepEqual(report, [{ rule: 'id_present', column: 'id', severity: 'error', failed: 1 }]);
  });

  test('range is inclusive on typed numbers and numeric text (as its nearest double); NULL passes', () => {
    const { batch, rejects } = run([{ name: 'amount_ok', column: 'amount', range: { min: 0, max: 10 } }], rowsWith('amount', ['0', '10', '-0.5', '10.01', null, 'NaN']));
    assert.deepEqual(kept(batch), [0, 1, 4]);
    assert.deepEqual(rejects.map((r) => r.detail), ['column amount: "-0.5"', 'column amount: "10.01"', 'column amount: "NaN"']);
    const numeric = run([{ column: 'big', range: { max: 1e20 } }], rowsWith('big', ['99999999999999999999', '100000000000000000000000']));
    assert.deepEqual(kept(numeric.batch), [0]);
  });

  test('regex matches anywhere unless anchored, on the value as text', () => {
    const { batch } = run([{ column: 'email', regex: '^[^@]+@[^@]+$' }], rowsWith('email', ['a@b', 'ab', 'a@b@c', null, 'ü@ß']));
    assert.deepEqual(kept(batch), [0, 3, 4]);
    const loose = run([{ column: 'email', regex: '@' }], rowsWith('email', ['x@y', 'xy']));
    assert.deepEqual(kept(loose.batch), [0]);
  });

  test('in compares text exactly, numbers as numbers and booleans as truth values', () => {
    assert.deepEqual(kept(run([{ column: 'status', in: ['ok', 'late'] }], rowsWith('status', ['ok', 'OK', 'late', 'lost', null])).batch), [0, 2, 4]);
    assert.deepEqual(kept(run([{ column: 'id', in: [1, '2'] }], rowsWith('id', ['1', '2', '3'])).batch), [0, 1]);
    assert.deepEqual(kept(run([{ column: 'amount', in: [1.5] }], rowsWith('amount', ['1.50', '1.5', '2'])).batch), [0, 1]);
    assert.deepEqual(kept(run([{ column: 'paid', in: [true] }], rowsWith('paid', ['t', 'yes', 'false'])).batch), [0, 1]);
  });

  test('length counts characters, not bytes', () => {
    const { batch } = run([{ column: 'status', length: { min: 2, max: 3 } }], rowsWith('status', ['ab', 'äöü', 'äöüß', 'a', '']));
    assert.deepEqual(kept(batch), [0, 1]);
  });

  test('check is an expression over the row: false rejects, NULL passes; the detail shows the values it read', () => {
    const rows = columns.map(() => null);
    const at = (name: string): number => columns.findIndex((c) => c.name === name);
    const row = (start: string | null, end: string | null): (string | null)[] => rows.map((_, i) => (i === at('start_at') ? start : i === at('end_at') ? end : null));
    const { batch, rejects } = run([{ name: 'ends_after_start', check: 'end_at >= start_at' }],
      [row('2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'), row('2024-01-02T00:00:00Z', '2024-01-01T00:00:00Z'), row(null, '2024-01-01T00:00:00Z')]);
    assert.deepEqual(kept(batch), [0, 2]);
    assert.deepEqual(rejects.map((r) => [r.reason, r.detail]), [['RULE:ends_after_start', 'check end_at >= start_at: start_at: "2024-01-02T00:00:00Z", end_at: "2024-01-01T00:00:00Z"']]);
  });

  test('one reject per row: the first failing error rule; warn rules count the rows that load', () => {
    const rules = [
      { name: 'email_format', column: 'email', regex: '@', severity: 'warn' },
      { name: 'id_present', column: 'id', not_null: true },
      { name: 'id_small', column: 'id', range: { max: 10 } },
    ];
    const at = (name: string): number => columns.findIndex((c) => c.name === name);
    const row = (id: string | null, email: string): (string | null)[] => columns.map((_, i) => (i === at('id') ? id : i === at('email') ? email : null));
    const { batch, rejects, report } = run(rules, [row('1', 'a@b'), row(null, 'nope'), row('99', 'nope'), row('2', 'nope')]);
    assert.deepEqual(kept(batch), [0, 3]);
    assert.deepEqual(rejects.map((r) => r.reason), ['RULE:id_present', 'RULE:id_small']);
    assert.deepEqual(report.map((e) => [e.rule, e.severity, e.failed]), [['email_format', 'warn', 1], ['id_present', 'error', 1], ['id_small', 'error', 1]]);
  });

  test('rows a stage before rejected are not checked again', () => {
    const stage = validateStage.create(validateOptions.parse({ rules: rulesOf([{ column: 'id', not_null: true }]) }), columns);
    const batch = batchOf(columns, rowsWith('id', [null, null]));
    batch.reject(0);
    const sink = new ByteSink(new Uint8Array(0));
    stage.process(batch, { dataset: 'd', fileId: 3, chunkNo: 1, rejects: sink, anomalies: new ByteSink(new Uint8Array(0)) });
    assert.equal(stage.report()[0].failed, 1);
    assert.equal(Buffer.from(sink.view()).toString().split('\n').filter(Boolean).length, 1);
  });

  test('reports sum over chunks, and a report starts afresh after report()', () => {
    const stage = validateStage.create(validateOptions.parse({ rules: rulesOf([{ column: 'id', not_null: true }]) }), columns);
    const context = { dataset: 'd', fileId: 3, chunkNo: 1, rejects: new ByteSink(new Uint8Array(0)), anomalies: new ByteSink(new Uint8Array(0)) };
    stage.process(batchOf(columns, rowsWith('id', [null, '1'])), context);
    const first = stage.report();
    stage.process(batchOf(columns, rowsWith('id', [null, null])), context);
    const second = stage.report();
    assert.deepEqual([first[0].failed, second[0].failed], [1, 2]);
    assert.equal(validateStage.merge(first, second)[0].failed, 3);
  });

  test('a rule on a missing column, a range on text or a check that is not boolean fails as configuration', () => {
    for (const rule of [
      { column: 'nope', not_null: true },
      { column: 'email', range: { min: 0 } },
      { check: 'amount + 1' },
      { check: 'missing > 1' },
      { column: 'id', in: ['one'] },
      { column: 'email', freshness: '1d' },
      { column: 'nope', unique: true },
    ]) {
      assert.throws(() => validateStage.create(validateOptions.parse({ rules: rulesOf([rule]) }), columns), { code: 'SLUICE_ERR_CONFIG_INVALID' }, JSON.stringify(rule));
    }
  });

  test('a batch laid out otherwise than the columns the rules were bound to is refused, not misread', () => {
    const stage = validateStage.create(validateOptions.parse({ rules: rulesOf([{ column: 'b', not_null: true }]) }), [{ name: 'a', type: ColumnType.text }, { name: 'b', type: ColumnType.text }]);
    const batch = batchOf([{ name: 'b', type: ColumnType.text }, { name: 'a', type: ColumnType.text }], [['x', null]]);
    const context = { dataset: 'd', fileId: 3, chunkNo: 1, rejects: new ByteSink(new Uint8Array(0)), anomalies: new ByteSink(new Uint8Array(0)) };
    assert.throws(() => stage.process(batch, context), { code: 'ERR_ASSERTION' });
  });

  test('a dropped column is not a column rules can name', () => {
    const withDropped = [{ name: 'a', type: ColumnType.text, dropped: true }, { name: 'a', type: ColumnType.int }] as StageColumn[];
    const { batch } = run([{ column: 'a', range: { max: 1 } }], [['x', '2'], ['y', '1']], withDropped);
    assert.deepEqual(kept(batch), [1]);
  });
});

describe('validate stage planFor', () => {
  const load = (rules: unknown[], transforms?: unknown[]) => ({
    dataset: 'orders', datasetConfig: validateConfig({ datasets: { orders: { rules, ...(transforms === undefined ? {} : { transforms }) } } }).datasets.orders,
    columns: [{ name: 'id', type: ColumnType.int }, { name: 'name', type: ColumnType.text }], sampleValues: undefined,
  });

  test('runs when the dataset has row rules; whole-load rules alone are for the finisher', () => {
    assert.equal(validateStage.planFor!(load([])), undefined);
    assert.equal(validateStage.planFor!(load([{ column: 'id', unique: true }, { rows: { min: 1 } }])), undefined);
    assert.equal(validateStage.planFor!(load([{ column: 'id', not_null: true }]))?.rules.length, 1);
  });

  test('rules name the columns the transforms leave', () => {
    assert.equal(validateStage.planFor!(load([{ column: 'full_name', not_null: true }], [{ rename: { name: 'full_name' } }]))?.rules.length, 1);
    assert.throws(() => validateStage.planFor!(load([{ column: 'name', not_null: true }], [{ drop: ['name'] }])), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'SLUICE_ERR_CONFIG_INVALID');
      assert.match(error.message, /^datasets\.orders\.rules: rule name_not_null \(not_null\): no column "name"/);
      return true;
    });
  });
});

