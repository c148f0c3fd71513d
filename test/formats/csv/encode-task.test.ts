/**
 * The CSV encode task without a pool: a chunk in a ring slot is parsed into the worker's batch,
 * the plan's stages run on it, and the kept rows reach the output slot as COPY CSV — with the
 * stats counting what was encoded and what the parser and the stages refused.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import type { ColumnBatch } from '../../../src/batch/column-batch.js';
import { csvDialect, NONE } from '../../../src/formats/csv/dialect.js';
import { type EncodeResult, type EncodeTask, runEncodeTask } from '../../../src/formats/csv/encode-task.js';
import type { EncodePlan } from '../../../src/formats/csv/parse-chunk.js';
import { rejectRow } from '../../../src/formats/reject-row.js';
import { SlotRing, SlotState, transition } from '../../../src/ring/slot-ring.js';
import { ColumnType } from '../../../src/schema/column-type.js';
import { registerStage } from '../../../src/stages/chunk-stages.js';
import type { StageContext } from '../../../src/stages/stage.js';
import type { WideningBase } from '../../../src/schema/type-widening.js';
import { ValueFormat } from '../../../src/schema/value-format.js';
import { encodeLines } from '../encoding/encoded-text.js';

/**
 * A validate stage for this test: refuses rows whose first column is `2` (as a rule with severity
 * error would) and reports how many rows it saw.
 */
registerStage({
  name: 'validate',
  description: 'test rule: c1 <> 2',
  options: z.object({}),
  create: () => {
    let seen = 0;
    return {
      name: 'validate',
      process(batch: ColumnBatch, context: StageContext) {
        for (let r = 0; r < batch.rowCount; r++) {
          seen++;
          if (batch.text(batch.columns[0], r) !== '2') continue;
          batch.reject(r);
          context.rejects.pushString(rejectRow({
            fileId: context.fileId, chunkNo: context.chunkNo, chunkLine: batch.rowLine[r], byteOffset: batch.rowOffset[r], reason: 'RULE:not_two', detail: '', raw: batch.rawText(r),
          }));
        }
      },
      report() { const report = { seen }; seen = 0; return report; },
    };
  },
  merge: (a: { seen: number }, b: { seen: number }) => ({ seen: a.seen + b.seen }),
});

const ring = new SlotRing({ slots: 1, inputCapacity: 4096 });

function run(input: Buffer, plan: Partial<EncodeTask['plan']>): { result: EncodeResult; data: string; rejects: string[] } {
  const slot = ring.acquire() as number;
  ring.views(slot).input.set(input);
  transition(ring.shared, slot, SlotState.filling, SlotState.encoding);
  const full: EncodePlan = {
    dialect: csvDialect({}), columnTypes: [ColumnType.int, ColumnType.text], columnNames: ['c1', 'c2'],
    fileId: 9, chunkNo: 4, baseOffset: 100, invalidUtf8: 'reject', ...plan,
  };
  const result = runEncodeTask({ ring: ring.shared, slot, length: input.length, plan: full });
  assert.equal(ring.state(slot), SlotState.encoded);
  const views = ring.views(slot);
  const data = views.output.subarray(0, result.dataLength).toString('utf8');
  const rejects = views.rejects.subarray(0, result.rejectsLength).toString('utf8').split('\n').filter((l) => l !== '');
  ring.release(slot);
  return { result, data, rejects };
}

describe('runEncodeTask (CSV)', () => {
  test('without stages: the parsed rows as COPY CSV in the file\'s dialect, parser rejects in the rejects slot', () => {
    const { result, data, rejects } = run(Buffer.from('1,"a,b"\nx,c\n3,\n4,""\n'), {});
    assert.equal(data, '9,100,1,"a,b"\n9,112,3,\n9,115,4,""\n');
    assert.deepEqual([result.stats.rows, result.stats.rejected, result.stats.lines], [3, 1, 4]);
    assert.deepEqual(rejects.map((l) => l.split('\t').slice(0, 5)), [['9', '4', '2', '108', 'CAST']]);
    assert.deepEqual(result.reports, {});
    assert.equal(result.anomalies.length, 0);
  });

  test('a file without quoting gets `"` as the COPY quote, and semicolons stay its delimiter', () => {
    const { data } = run(Buffer.from('1;say "hi"\n2;x\n'), { dialect: csvDialect({ delimiter: 0x3b, quote: NONE }), stages: undefined });
    assert.equal(data, '9;100;1;"say ""hi"""\n9;111;2;x\n');
  });

  test('stages run on the batch: rows they refuse are not encoded, and the stats count them as rejected', () => {
    const { result, data, rejects } = run(Buffer.from('1,a\n2,b\n3,c\nx,d\n'), { stages: { validate: {} }, stagesKey: 'test-1' });
    assert.equal(data, '9,100,1,a\n9,108,3,c\n');
    assert.deepEqual([result.stats.rows, result.stats.rejected], [2, 2]);
    assert.deepEqual(rejects.map((l) => l.split('\t')[4]).sort(), ['CAST', 'RULE:not_two']);
    assert.deepEqual(result.reports, { validate: { seen: 3 } });
  });

  test('a transcoded chunk: decoded values, the original file offsets', () => {
    const { bytes, lineOffsets } = encodeLines(['1,Zürich', '2,€'], 'windows-1252');
    const { data } = run(bytes, { encoding: 'windows-1252' });
    assert.equal(data, `9,${100 + lineOffsets[0]},1,Zürich\n9,${100 + lineOffsets[1]},2,€\n`);
  });

  test('a chunk that asks to widen a column writes nothing and runs no stage', () => {
    const plain: WideningBase = { format: { format: ValueFormat.plain, nullTokens: false }, formatsByType: {} };
    const { result, data } = run(Buffer.from('1,a\n2.5,b\n'), { widening: [plain, null], stages: { validate: {} }, stagesKey: 'test-2' });
    assert.deepEqual(result.stats.widen?.map((w) => [w.column, w.type]), [[0, ColumnType.float]]);
    assert.equal(data, '');
    assert.deepEqual(result.reports, {});
  });
});
