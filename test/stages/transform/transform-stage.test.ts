import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ColumnBatch } from '../../../src/batch/column-batch.js';
import { validateConfig } from '../../../src/configuration/read-config.js';
import type { TransformStepConfig } from '../../../src/configuration/config-schema.js';
import { ByteSink } from '../../../src/formats/byte-sink.js';
import { ColumnType, type ColumnTypeCode } from '../../../src/schema/column-type.js';
import { encodeCsvCopy } from '../../../src/sink/csv-copy-encoder.js';
import type { StageColumn } from '../../../src/stages/stage.js';
import { planTransforms } from '../../../src/stages/transform/plan-transforms.js';
import { transformOptions } from '../../../src/stages/transform/transform-options.js';
import { transformStage } from '../../../src/stages/transform/transform-stage.js';
import { batchOf } from '../../helpers/batch.js';

/** Steps as the configuration schema gives them (the shape the stage receives). */
function stepsOf(transforms: unknown[]): TransformStepConfig[] {
  return validateConfig({ datasets: { d: { transforms } } }).datasets.d.transforms!;
}

const text = (name: string): StageColumn => ({ name, type: ColumnType.text });

interface Run { batch: ColumnBatch; rejects: string[]; report: { rejected: number } }

/** Runs the stage on rows of the given columns; types: final types as planTransforms would decide them. */
function run(columns: StageColumn[], rows: (string | null)[][], transforms: unknown[], types: Record<string, string> = {}): Run {
  const options = transformOptions.parse({ steps: stepsOf(transforms), types });
  const stage = transformStage.create(options, columns);
  const batch = batchOf(columns, rows);
  const rejects = new ByteSink(new Uint8Array(0));
  stage.process(batch, { dataset: 'd', fileId: 7, chunkNo: 2, rejects, anomalies: new ByteSink(new Uint8Array(0)) });
  const lines = Buffer.from(rejects.view()).toString('utf8').split('\n').filter((l) => l !== '');
  return { batch, rejects: lines, report: stage.report() };
}

/** The kept rows' values of the columns not dropped, by name. */
function table(batch: ColumnBatch): Record<string, string | null>[] {
  const rows: Record<string, string | null>[] = [];
  for (let r = 0; r < batch.rowCount; r++) {
    if (batch.rejected[r] === 1) continue;
    rows.push(Object.fromEntries(batch.columns.filter((c) => !c.dropped).map((c) => [c.name, batch.text(c, r)])));
  }
  return rows;
}

const values = (batch: ColumnBatch, name: string): (string | null)[] => table(batch).map((row) => row[name]);

describe('transform stage', () => {
  test('with no steps nothing changes', () => {
    const { batch, rejects } = run([text('a'), { name: 'n', type: ColumnType.int }], [[' x ', '1'], [null, '2']], []);
    assert.deepEqual(table(batch), [{ a: ' x ', n: '1' }, { a: null, n: '2' }]);
    assert.equal(batch.columns[1].type, ColumnType.int);
    assert.deepEqual(rejects, []);
  });

  test('trim strips white space at both ends, inside stays', () => {
    const { batch } = run([text('a')], [['  a b \t'], ['x'], [''], [null]], [{ column: 'a', trim: true }]);
    assert.deepEqual(values(batch, 'a'), ['a b', 'x', '', null]);
  });

  test('null_tokens make exact matches NULL, after trim', () => {
    const { batch } = run([text('a')], [[' - '], ['n/a'], ['N/A'], ['ok']], [{ column: 'a', trim: true, null_tokens: ['-', 'n/a'] }]);
    assert.deepEqual(values(batch, 'a'), [null, null, 'N/A', 'ok']);
  });

  test('case folds ASCII and other letters, and leaves the input bytes as read', () => {
    const { batch } = run([text('a'), text('b')], [['MiXed', 'straße'], ['ÉCOLE', 'abc']], [{ column: 'a', case: 'lower' }, { column: 'b', case: 'upper' }]);
    assert.deepEqual(table(batch), [{ a: 'mixed', b: 'STRASSE' }, { a: 'école', b: 'ABC' }]);
  });

  test('map replaces whole values; a null value makes NULL; others stay', () => {
    const { batch } = run([text('country')], [['UK'], ['GB'], ['UKR'], ['unknown']], [{ column: 'country', map: { UK: 'GB', unknown: null } }]);
    assert.deepEqual(values(batch, 'country'), ['GB', 'GB', 'UKR', null]);
  });

  test('booleans: words (any case) become a boolean column; a value that is no boolean is a CAST reject', () => {
    const { batch, rejects, report } = run([text('active')], [['yes'], ['N'], ['Y'], ['maybe'], ['true'], [null]],
      [{ column: 'active', booleans: { true: ['yes', 'Y'], false: ['no', 'N'] } }], { active: 'bool' });
    assert.equal(batch.columns[0].type, ColumnType.bool);
    assert.deepEqual(values(batch, 'active'), ['t', 'f', 't', 'true', null]);
    assert.equal(rejects.length, 1);
    const [fileId, chunkNo, line, offset, reason, detail] = rejects[0].split('\t');
    assert.deepEqual([fileId, chunkNo, line, offset, reason], ['7', '2', '4', '300', 'CAST']);
    assert.equal(detail, 'column active (bool): "maybe"');
    assert.equal(report.rejected, 1);
  });

  test('scale and offset convert units into a double precision column; a non-number is a CAST reject', () => {
    const { batch, rejects } = run([text('temp_f')], [['212'], ['32'], [' 50 '], ['hot'], [null]], [{ column: 'temp_f', offset: -32, scale: 1 }, { column: 'temp_f', scale: 5 / 9 }]);
    assert.equal(batch.columns[0].type, ColumnType.float);
    assert.deepEqual(values(batch, 'temp_f').map((v) => (v === null ? null : Number(v))), [180 * 5 / 9, 0, 18 * 5 / 9, null]);
    assert.equal(rejects.length, 1);
    assert.match(rejects[0], /\tCAST\tcolumn temp_f \(float\): "hot"\t/);
  });

  test('a changed column takes its decided type: misfits are CAST rejects, empty values and null tokens NULL', () => {
    const { batch, rejects } = run([text('n')], [[' 42 '], ['x1'], ['  '], ['NA'], ['-7']], [{ column: 'n', trim: true }], { n: 'int' });
    assert.equal(batch.columns[0].type, ColumnType.int);
    assert.deepEqual(values(batch, 'n'), ['42', null, null, '-7']);
    assert.equal(rejects.length, 1);
    assert.match(rejects[0], /\tCAST\tcolumn n \(int\): "x1"\t/);
  });

  test('rename changes names (a swap too), drop keeps the column in the batch but out of the table', () => {
    const { batch } = run([text('a'), text('b'), text('c')], [['1', '2', '3']], [{ rename: { a: 'b', b: 'a' } }, { drop: ['c'] }]);
    assert.deepEqual(batch.columns.map((c) => [c.name, c.dropped]), [['b', false], ['a', false], ['c', true]]);
    assert.deepEqual(table(batch), [{ b: '1', a: '2' }]);
  });

  test('derive adds a column typed by its expression, reading the columns as the steps before left them', () => {
    const columns: StageColumn[] = [{ name: 'price', type: ColumnType.float }, { name: 'qty', type: ColumnType.int }, text('first'), text('last'),
      { name: 'start_at', type: ColumnType.timestamptz }, { name: 'day', type: ColumnType.date }];
    const { batch, rejects } = run(columns, [
      ['2.5', '4', 'Ada', 'Lovelace', '2024-03-01 10:00:00+01', '2024-02-29'],
      [null, '4', null, 'Hopper', '2024-03-01T09:00:00Z', '2024-03-01'],
    ], [
      { column: 'first', trim: true },
      { derive: 'total', expr: 'price * qty' },
      { derive: 'name', expr: "coalesce(first || ' ', '') || last" },
      { derive: 'big', expr: 'qty > 3' },
      { derive: 'later', expr: 'start_at + 3600000' },
      { derive: 'gap_ms', expr: 'start_at - day' },
    ]);
    assert.deepEqual(rejects, []);
    const types = Object.fromEntries(batch.columns.map((c) => [c.name, c.type]));
    assert.deepEqual([types.total, types.name, types.big, types.later, types.gap_ms], [ColumnType.float, ColumnType.text, ColumnType.bool, ColumnType.timestamptz, ColumnType.float]);
    const rows = table(batch);
    assert.deepEqual(rows.map((r) => [r.total, r.name, r.big, r.later, r.gap_ms]), [
      ['10', 'Ada Lovelace', 't', '2024-03-01T10:00:00.000Z', String(86_400_000 + 9 * 3_600_000)],
      [null, 'Hopper', 't', '2024-03-01T10:00:00.000Z', String(9 * 3_600_000)],
    ]);
  });

  test('a derived time out of range is a CAST reject, not a lost value', () => {
    const { batch, rejects } = run([{ name: 't', type: ColumnType.timestamptz }], [['9999-12-31T23:00:00Z'], ['2024-01-01T00:00:00Z']],
      [{ derive: 'next_day', expr: 't + 86400000' }]);
    assert.equal(rejects.length, 1);
    assert.match(rejects[0], /\tCAST\tcolumn next_day \(timestamptz\)/);
    assert.deepEqual(values(batch, 'next_day'), ['2024-01-02T00:00:00.000Z']);
  });

  test('a step naming a column the file does not have fails as a configuration error naming the step', () => {
    for (const [transforms, path] of [
      [[{ column: 'nope', trim: true }], 'transforms[0].column'],
      [[{ rename: { a: 'z' } }, { column: 'a', trim: true }], 'transforms[1].column'],
      [[{ rename: { a: 'b' } }], 'transforms[0].rename.a'],
      [[{ drop: ['a'] }, { derive: 'x', expr: 'a || b' }], 'transforms[1].expr'],
      [[{ derive: 'b', expr: 'a' }], 'transforms[0].derive'],
      [[{ derive: 'x', expr: 'a * 2' }], 'transforms[0].expr'],
    ] as const) {
      assert.throws(() => planTransforms([text('a'), text('b')], stepsOf([...transforms])), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'SLUICE_ERR_CONFIG_INVALID');
        assert.ok(error.message.startsWith(path), error.message);
        return true;
      });
    }
  });

  test('a derived number is kept as a number; its text is written only when something reads it', () => {
    const columns: StageColumn[] = [{ name: 'value', type: ColumnType.float }];
    const rows = [['25.853'], ['-0.5'], [null], ['1e3']];
    const { batch } = run(columns, rows, [{ derive: 'value_f', expr: 'value * 1.8 + 32' }, { derive: 'hot', expr: 'value > 20' }]);
    const [, derived, hot] = batch.columns;
    const expected = [25.853 * 1.8 + 32, -0.5 * 1.8 + 32, null, 1e3 * 1.8 + 32];
    assert.deepEqual([derived.textPending, derived.numbersType, hot.textPending, hot.numbersType], [true, ColumnType.float, true, ColumnType.bool]);
    assert.deepEqual([0, 1, 3].map((r) => derived.numbers[r]), expected.filter((x) => x !== null));
    // Read as text (a reject detail, CSV COPY): the canonical text, as an eagerly written one would be.
    assert.deepEqual(values(batch, 'value_f'), expected.map((x) => (x === null ? null : String(x))));
    assert.deepEqual(values(batch, 'hot'), ['t', 'f', null, 't']);
    const sink = new ByteSink(new Uint8Array(0));
    encodeCsvCopy(batch, 7, 0x2c, 0x22, sink);
    assert.deepEqual(Buffer.from(sink.view()).toString('utf8').split('\n').slice(0, 4),
      [`7,0,25.853,${expected[0]},t`, '7,100,-0.5,31.1,f', '7,200,,,', '7,300,1e3,1832,t']);
    assert.equal(derived.textPending, false);
    assert.equal(derived.numbersType, ColumnType.float);
  });

  test('a derived number from columns holding their numbers (as the parser leaves them) is what reading their text gives', () => {
    const columns: StageColumn[] = [{ name: 'price', type: ColumnType.float }, { name: 'qty', type: ColumnType.int }];
    const rows = [['2.5', '4'], ['-0', '3'], [null, '2'], ['7', '0'], ['1e3', '-2'], ['9', '9']];
    const transforms = [{ derive: 'unit', expr: 'price / qty' }, { derive: 'back', expr: 'round(unit * qty, 1) - 0' }];
    const derived = (parsed: boolean) => {
      const stage = transformStage.create(transformOptions.parse({ steps: stepsOf(transforms) }), columns);
      const batch = batchOf(columns, rows);
      batch.reject(5);
      if (parsed) for (const column of batch.columns) column.numbersType = column.type;
      stage.process(batch, { dataset: 'd', fileId: 1, chunkNo: 0, rejects: new ByteSink(new Uint8Array(0)), anomalies: new ByteSink(new Uint8Array(0)) });
      return { table: table(batch), numbers: batch.columns.slice(2).map((c) => [...c.numbers.subarray(0, 5)].map((x, r) => (c.nulls[r] === 1 ? null : x))) };
    };
    const fromNumbers = derived(true);
    assert.deepEqual(fromNumbers, derived(false));
    assert.deepEqual(fromNumbers.table.map((row) => row.unit), ['0.625', '0', null, null, '-500']);
  });

  test('a step on a derived number reads the text it would have had', () => {
    const { batch } = run([{ name: 'n', type: ColumnType.int }], [['2'], ['3']], [{ derive: 'half', expr: 'n / 4' }, { column: 'half', map: { '0.5': 'half' } }]);
    assert.deepEqual(values(batch, 'half'), ['half', '0.75']);
  });

  test('a derived NaN or infinity leaves its column to be read from its text', () => {
    const { batch } = run([{ name: 'x', type: ColumnType.float }], [['NaN'], ['Infinity'], ['2']], [{ derive: 'y', expr: 'x * 2' }]);
    const derived = batch.columns[1];
    assert.deepEqual([derived.textPending, derived.numbersType], [false, 0]);
    assert.deepEqual(values(batch, 'y'), ['NaN', 'Infinity', '4']);
  });

  test('chunks reuse the batch: constants and derived columns start afresh each chunk, reports sum', () => {
    const columns = [text('a')];
    const options = transformOptions.parse({ steps: stepsOf([{ column: 'a', map: { x: 'mapped' } }, { derive: 'b', expr: "a || '!'" }]) });
    const stage = transformStage.create(options, columns);
    const context = { dataset: 'd', fileId: 1, chunkNo: 0, rejects: new ByteSink(new Uint8Array(0)), anomalies: new ByteSink(new Uint8Array(0)) };
    const batch = batchOf(columns, [['x'], ['y']]);
    stage.process(batch, context);
    assert.deepEqual(table(batch), [{ a: 'mapped', b: 'mapped!' }, { a: 'y', b: 'y!' }]);
    const input = Buffer.from('x');
    batch.reset(input, 0, 1, columns);
    batch.setSpan(batch.columns[0], batch.addRow(0, 1, 0, 1), 0, 1);
    stage.process(batch, context);
    assert.deepEqual(table(batch), [{ a: 'mapped', b: 'mapped!' }]);
    assert.equal(input.toString(), 'x');
    assert.deepEqual(transformStage.merge({ rejected: 2 }, { rejected: 3 }), { rejected: 5 });
  });
});

describe('planTransforms', () => {
  const sniffed: StageColumn[] = [{ name: 'id', type: ColumnType.int }, text('active'), text('amount'), text('note'), { name: 'qty', type: ColumnType.int }];
  /** Per column, rows aligned (as the CSV sniffer keeps its sample). */
  const sample = [['1', '2', '3'], ['yes', 'no', 'yes'], [' 12 ', '7', null], ['x', 'y', 'z'], ['3', '4', '5']];
  const steps = stepsOf([
    { column: 'active', booleans: { true: ['yes'], false: ['no'] } },
    { column: 'amount', trim: true },
    { rename: { amount: 'amount_eur' } },
    { derive: 'total', expr: 'amount_eur * qty' },
    { drop: ['note'] },
  ]);

  test('changed and dropped columns are read as text; the others keep their sniffed types', () => {
    const plan = planTransforms(sniffed, steps, sample);
    assert.deepEqual(plan.readAsText, [false, true, true, true, false]);
    assert.deepEqual(plan.parserColumns.map((c) => c.type), [ColumnType.int, ColumnType.text, ColumnType.text, ColumnType.text, ColumnType.int]);
  });

  test('final columns: names after rename and derive, dropped left out, types inferred from transformed values', () => {
    const plan = planTransforms(sniffed, steps, sample);
    const named = (columns: readonly StageColumn[]): [string, ColumnTypeCode][] => columns.map((c) => [c.name, c.type]);
    assert.deepEqual(named(plan.tableColumns), [['id', ColumnType.int], ['active', ColumnType.bool], ['amount_eur', ColumnType.int], ['qty', ColumnType.int], ['total', ColumnType.float]]);
    assert.deepEqual(plan.options.types, { active: 'bool', amount_eur: 'int' });
  });

  test('the plan\'s options give the workers the same columns', () => {
    const plan = planTransforms(sniffed, steps, sample);
    const after = transformStage.columnsAfter!(transformOptions.parse(plan.options), plan.parserColumns);
    assert.deepEqual(after, plan.batchColumns);
  });

  test('a changed column with no value in the sample keeps its sniffed type', () => {
    const plan = planTransforms([{ name: 'n', type: ColumnType.int }, text('t')], stepsOf([{ column: ['n', 't'], trim: true }]), [[null], [null]]);
    assert.deepEqual(plan.tableColumns.map((c) => c.type), [ColumnType.int, ColumnType.text]);
  });

  test('a value a trim makes fit is typed; one that fits no type keeps the column text', () => {
    const plan = planTransforms([text('d'), text('e')], stepsOf([{ column: ['d', 'e'], trim: true }]), [[' 2024-01-02 ', '2024-02-29'], [' a ', ' 1 ']]);
    assert.deepEqual(plan.tableColumns.map((c) => c.type), [ColumnType.date, ColumnType.text]);
  });

  test('asked again for the same sample, columns and steps, the plan is the same, as a copy; other steps give their own', () => {
    const columns = [text('d'), text('e')];
    const sample = [[' 1 ', '2'], ['x', 'y']];
    const first = planTransforms(columns, stepsOf([{ column: 'd', trim: true }]), sample);
    first.tableColumns[0].type = ColumnType.bool;
    const again = planTransforms(columns, stepsOf([{ column: 'd', trim: true }]), sample);
    assert.deepEqual(again.tableColumns.map((c) => c.type), [ColumnType.int, ColumnType.text]);
    const other = planTransforms(columns, stepsOf([{ column: 'd', trim: true }, { derive: 'n', expr: 'd * 2' }]), sample);
    assert.deepEqual(other.tableColumns.map((c) => c.name), ['d', 'e', 'n']);
    const otherSample = planTransforms(columns, stepsOf([{ column: 'd', trim: true }]), [[' 1 ', 'z'], ['x', 'y']]);
    assert.deepEqual(otherSample.tableColumns.map((c) => c.type), [ColumnType.text, ColumnType.text]);
  });
});

describe('transform stage planFor', () => {
  const load = (transforms: unknown[] | undefined) => ({
    dataset: 'orders', datasetConfig: validateConfig({ datasets: { orders: transforms === undefined ? {} : { transforms } } }).datasets.orders,
    columns: [text('a'), { name: 'n', type: ColumnType.int }], sampleValues: [[' x ', 'Y'], ['1', '2']],
  });

  test('runs only when the dataset has transforms, with the types its sample gives', () => {
    assert.equal(transformStage.planFor!(load(undefined)), undefined);
    assert.equal(transformStage.planFor!(load([])), undefined);
    const options = transformStage.planFor!(load([{ column: 'n', scale: 2 }, { column: 'a', trim: true }]));
    assert.deepEqual(options?.types, { n: 'float', a: 'text' });
  });

  test('a step on a column the file does not have is a configuration error from the dataset\'s key', () => {
    assert.throws(() => transformStage.planFor!(load([{ column: 'missing', trim: true }])), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'SLUICE_ERR_CONFIG_INVALID');
      assert.match(error.message, /^datasets\.orders\.transforms\[0\]\.column: no column "missing" \(columns: a, n\)$/);
      return true;
    });
  });
});

