/**
 * The detect stage on column batches, with baselines built from a sample as the loader builds them:
 * planted outliers are flagged with their rows; clean Gaussian data is flagged no more often than
 * the stated false-positive rate; a flat or stepped column does not flag its ordinary changes;
 * IQR fences and rare categories; chunking does not change what is found.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ColumnType, type ColumnTypeCode } from '../../src/schema/column-type.js';
import { ByteSink } from '../../src/formats/byte-sink.js';
import { detectStage, type DetectOptions, type DetectReport } from '../../src/stages/detect/detect-stage.js';
import { detectOptionsFromSample, RARE_SHARE } from '../../src/stages/detect/detect-baseline.js';
import type { StageContext } from '../../src/stages/stage.js';
import { batchOf } from '../helpers/batch.js';
import { mulberry32 } from '../helpers/random.js';

interface Found {
  offset: number;
  column: string;
  value: string | null;
  score: number;
  method: string;
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Runs the stage over the rows in chunks of `chunkRows`, as a worker does; the anomaly rows parsed back from COPY text. */
function detect(columns: ReadonlyArray<{ name: string; type: ColumnTypeCode }>, rows: ReadonlyArray<Array<string | null>>, options: DetectOptions, chunkRows = rows.length): { found: Found[]; report: DetectReport } {
  const stage = detectStage.create(detectStage.options.parse(options), columns);
  const anomalies = new ByteSink(new Uint8Array(0));
  let report: DetectReport = {};
  for (let from = 0, chunk = 0; from < rows.length || chunk === 0; from += chunkRows, chunk++) {
    const batch = batchOf(columns, rows.slice(from, from + chunkRows));
    // batchOf numbers offsets from 0 in each batch: make them the file's.
    for (let r = 0; r < batch.rowCount; r++) batch.rowOffset[r] = 100 * (from + r);
    const context: StageContext = { dataset: 'sales', fileId: 7, chunkNo: chunk, rejects: new ByteSink(new Uint8Array(0)), anomalies };
    stage.process(batch, context);
    report = detectStage.merge(report, stage.report());
  }
  const text = Buffer.from(anomalies.view()).toString('utf8');
  const found = text.split('\n').filter((l) => l !== '').map((line) => {
    const [kind, dataset, fileId, , offset, column, value, score, method] = line.split('\t');
    assert.equal(kind, 'value');
    assert.equal(dataset, 'sales');
    assert.equal(fileId, '7');
    return { offset: Number(offset), column, value: value === '\\N' ? null : value, score: Number(score), method };
  });
  return { found, report };
}

const NUMERIC = [{ name: 'amount', type: ColumnType.float }] as const;

function sampleOf(rows: ReadonlyArray<Array<string | null>>, every: number): Array<Array<string | null>> {
  const sample: Array<Array<string | null>> = [[]];
  for (let r = 0; r < rows.length; r += every) sample[0].push(rows[r][0]);
  return sample;
}

describe('detect stage: numeric columns', () => {
  test('planted outliers are flagged with their rows; the rest of the column is left alone', () => {
    const random = mulberry32(17);
    const rows = Array.from({ length: 5000 }, () => [(50 + 5 * gaussian(random)).toFixed(2)] as Array<string | null>);
    const planted = new Map([[123, '500'], [2048, '-80'], [3999, '91.5'], [4500, '1e6']]);
    for (const [r, v] of planted) rows[r] = [v];
    rows[10] = [null];
    // The sample holds some of the outliers: the median and MAD do not move for them.
    const options = detectOptionsFromSample(NUMERIC, sampleOf(rows, 3))!;
    const { found, report } = detect(NUMERIC, rows, options, 700);
    for (const [r, v] of planted) {
      const hit = found.find((f) => f.offset === 100 * r);
      assert.ok(hit !== undefined, `row ${r} (${v}) not flagged`);
      assert.equal(hit.value, v);
      assert.equal(hit.method, 'robust_z');
      assert.ok(hit.score > options.threshold);
    }
    // 4,995 clean values at 0.047 %: 2.3 expected; far fewer than 15.
    assert.ok(found.length - planted.size <= 15, `${found.length - planted.size} clean values flagged`);
    assert.deepEqual(report, { amount: { checked: 4999, anomalies: found.length } });
  });

  test('clean Gaussian data: no more flags than the stated rate 2 · (1 − Φ(3.5)) = 0.047 %, nor than 0.27 % at threshold 3', () => {
    for (const [threshold, rate, seed] of [[3.5, 4.653e-4, 1], [3.5, 4.653e-4, 2], [3, 2.700e-3, 3]] as const) {
      const random = mulberry32(seed);
      const n = 50_000;
      const rows = Array.from({ length: n }, () => [String(1000 + 20 * gaussian(random))] as Array<string | null>);
      const options = detectOptionsFromSample(NUMERIC, sampleOf(rows, 10), { enabled: true, threshold })!;
      const { found } = detect(NUMERIC, rows, options, 8192);
      const expected = n * rate;
      // Binomial: mean n·p, sd √(n·p); the 5,000-value sample's scale is within a few % of σ.
      assert.ok(found.length <= expected * 1.3 + 4 * Math.sqrt(expected), `threshold ${threshold}: ${found.length} flags, ${expected.toFixed(1)} expected`);
      assert.ok(found.length >= 1, 'the test could not tell a stage that flags nothing');
    }
  });

  test('a flat integer column does not flag a one-step change, and does flag a change of more than threshold steps', () => {
    const columns = [{ name: 'qty', type: ColumnType.int }] as const;
    const sample = [Array.from({ length: 200 }, () => '5')];
    const options = detectOptionsFromSample(columns, sample)!;
    assert.equal(options.numeric[0].scale, 1);
    const { found } = detect(columns, [['5'], ['6'], ['4'], ['8'], ['9'], ['5']], options);
    assert.deepEqual(found.map((f) => f.value), ['9']);
  });

  test('a stepped column (MAD 0: over half the values equal) does not flag its other level', () => {
    const sample = [Array.from({ length: 300 }, (_, i) => (i % 5 < 3 ? '0' : '100'))];
    const options = detectOptionsFromSample(NUMERIC, sample)!;
    assert.equal(options.numeric[0].mad, 0);
    const { found } = detect(NUMERIC, [['0'], ['100'], ['100'], ['0'], ['1000']], options);
    assert.deepEqual(found.map((f) => f.value), ['1000']);
  });

  test('IQR fences (anomalies.iqr) flag what the z-score lets pass, as method iqr', () => {
    const random = mulberry32(5);
    const sample = [Array.from({ length: 2000 }, () => String(gaussian(random)))];
    const options = detectOptionsFromSample(NUMERIC, sample, { enabled: true, threshold: 3.5, iqr: 1.5 })!;
    const { found } = detect(NUMERIC, [['0'], ['3'], ['-3'], ['10'], ['NaN']], options);
    assert.deepEqual(found.map((f) => [f.value, f.method]), [['3', 'iqr'], ['-3', 'iqr'], ['10', 'robust_z']]);
    const without = detect(NUMERIC, [['3'], ['-3']], detectOptionsFromSample(NUMERIC, sample)!);
    assert.equal(without.found.length, 0);
  });

  test('the same anomalies whatever the chunking (the baseline travels in the options)', () => {
    const random = mulberry32(8);
    const rows = Array.from({ length: 3000 }, () => [(gaussian(random) * (random() < 0.01 ? 20 : 1)).toFixed(4)] as Array<string | null>);
    const options = detectOptionsFromSample(NUMERIC, sampleOf(rows, 2))!;
    const whole = detect(NUMERIC, rows, options);
    assert.ok(whole.found.length > 5);
    for (const size of [1, 97, 1000]) assert.deepEqual(detect(NUMERIC, rows, options, size), whole);
  });

  test('below the minimum sample there is no baseline and nothing is checked', () => {
    const options = detectOptionsFromSample(NUMERIC, [['1', '2', '3', null, 'x']])!;
    assert.deepEqual(options.numeric, []);
    assert.deepEqual(detect(NUMERIC, [['1e9']], options).found, []);
  });
});

describe('detect stage: rare categories', () => {
  const columns = [{ name: 'status', type: ColumnType.text }] as const;

  test('values unseen in the sample, or below the rare share, are flagged with their share; common ones are not', () => {
    const sample = [[...Array(600).fill('ok'), ...Array(399).fill('late'), 'lost', null]];
    const options = detectOptionsFromSample(columns, sample)!;
    assert.equal(options.categories.length, 1);
    assert.ok(1 / 1000 < RARE_SHARE);
    const { found, report } = detect(columns, [['ok'], ['lost'], ['late'], [null], ['unknown'], ['OK']], options);
    assert.deepEqual(found.map((f) => [f.offset, f.value, f.method, f.score]), [[100, 'lost', 'rare_category', 0.001], [400, 'unknown', 'rare_category', 0], [500, 'OK', 'rare_category', 0]]);
    assert.deepEqual(report, { status: { checked: 5, anomalies: 3 } });
  });

  test('a high-cardinality text column, or one sampled too thinly, gets no category baseline', () => {
    assert.deepEqual(detectOptionsFromSample(columns, [Array.from({ length: 500 }, (_, i) => `v${i % 21}`)])!.categories, []);
    assert.deepEqual(detectOptionsFromSample(columns, [Array(99).fill('ok')])!.categories, []);
  });
});

describe('detectOptionsFromSample and the configuration', () => {
  test('anomalies.enabled false gives no options; anomalies.columns limits the columns checked', () => {
    const columns = [{ name: 'a', type: ColumnType.int }, { name: 'b', type: ColumnType.int }] as const;
    const sample = [Array.from({ length: 50 }, (_, i) => String(i)), Array.from({ length: 50 }, (_, i) => String(i))];
    assert.equal(detectOptionsFromSample(columns, sample, { enabled: false, threshold: 3.5 }), undefined);
    const only = detectOptionsFromSample(columns, sample, { enabled: true, threshold: 6, columns: ['b'] })!;
    assert.deepEqual(only.numeric.map((n) => n.column), ['b']);
    assert.equal(only.threshold, 6);
    assert.deepEqual(detectStage.options.parse(only), only);
  });
});
