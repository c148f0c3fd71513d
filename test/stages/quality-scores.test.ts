/**
 * The quality formulas on their own (README.md, "Data quality"): the rule-driven branches the
 * PostgreSQL test does not take, and what "not assessed" means.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configSchema } from '../../src/configuration/config-schema.js';
import { ByteSink } from '../../src/formats/byte-sink.js';
import { ColumnType } from '../../src/schema/column-type.js';
import { profileStage, type ProfileReport } from '../../src/stages/profile/profile-stage.js';
import { qualityOf, scoreOf, type QualityInputs } from '../../src/stages/quality-scores.js';
import { batchOf } from '../helpers/batch.js';

function profileOfRows(columns: Array<{ name: string; type: (typeof ColumnType)[keyof typeof ColumnType] }>, rows: Array<Array<string | null>>): ProfileReport {
  const stage = profileStage.create(profileStage.options.parse({}), columns);
  stage.process(batchOf(columns, rows), { dataset: 'd', fileId: 1, chunkNo: 0, rejects: new ByteSink(new Uint8Array(0)), anomalies: new ByteSink(new Uint8Array(0)) });
  return stage.report();
}

const NONE: QualityInputs = { profile: undefined, detect: undefined, rows: 0, rejected: 0, rejectsByReason: {}, validation: undefined, datasetConfig: undefined, now: 0 };

describe('quality formulas', () => {
  test('uniqueness from unique rules: 1 − duplicates / (rows seen × unique rules), whatever the columns look like', () => {
    const datasetConfig = configSchema.parse({ datasets: { d: { rules: [{ name: 'id_unique', column: 'id', unique: true }, { name: 'code_unique', column: 'code', unique: { scope: 'load' } }] } } }).datasets.d;
    const { quality } = qualityOf({ ...NONE, rows: 95, rejected: 5, datasetConfig, validation: [
      { rule: 'id_unique', column: 'id', severity: 'error', failed: 5 }, { rule: 'code_unique', column: 'code', severity: 'warn', failed: 3 },
    ] });
    assert.equal(quality.uniqueness, 1 - 8 / 200);
    // The warn duplicates are row-rule failures too; the error ones are among the rejected rows.
    assert.equal(quality.validity, (100 - 5 - 3) / 100);
  });

  test('consistency judges shaped text columns only: free text is not assessed', () => {
    const columns = [{ name: 'code', type: ColumnType.text }, { name: 'remark', type: ColumnType.text }];
    const rows = Array.from({ length: 40 }, (_, i) => [i < 36 ? String(1000 + i) : 'n/a', i % 2 === 0 ? 'fine thanks' : 'Late'] as Array<string | null>);
    const { quality, detail } = qualityOf({ ...NONE, rows: 40, profile: profileOfRows(columns, rows) });
    assert.equal(quality.consistency, 36 / 40);
    assert.deepEqual((detail.consistency as { shaped_columns: Array<{ column: string }> }).shaped_columns.map((c) => c.column), ['code']);
    const free = qualityOf({ ...NONE, rows: 40, profile: profileOfRows([columns[1]], rows.map((r) => [r[1]])) });
    assert.equal(free.quality.consistency, null);
  });

  test('a PREAMBLE reject is not a row: validity leaves it out of both sides', () => {
    const { quality } = qualityOf({ ...NONE, rows: 10, rejected: 3, rejectsByReason: { PREAMBLE: 2, CAST: 1 } });
    assert.equal(quality.validity, 10 / 11);
  });

  test('score: weighted mean over the assessed dimensions; a weight of 0 leaves one out; none assessed gives null', () => {
    const dims = { completeness: 1, uniqueness: null, validity: 0.5, consistency: null, timeliness: null, accuracy: 0 };
    assert.equal(scoreOf(dims, undefined), 0.5);
    assert.equal(scoreOf(dims, { completeness: 3, accuracy: 0 }), (3 + 0.5) / 4);
    assert.equal(scoreOf({ completeness: null, uniqueness: null, validity: null, consistency: null, timeliness: null, accuracy: null }, undefined), null);
    assert.deepEqual(qualityOf(NONE).quality, { completeness: null, uniqueness: null, validity: null, consistency: null, timeliness: null, accuracy: null, score: null });
  });
});
