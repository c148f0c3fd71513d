import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import type { ColumnBatch } from '../../../src/batch/column-batch.js';
import { type JsonEncodePlan, type JsonEncodeResult, runJsonEncodeTask } from '../../../src/formats/json/encode-task.js';
import { rejectRow } from '../../../src/formats/reject-row.js';
import { SlotRing, SlotState } from '../../../src/ring/slot-ring.js';
import { ColumnType, type ColumnTypeCode } from '../../../src/schema/column-type.js';
import { anomalyRow } from '../../../src/stages/anomaly-row.js';
import { registerStage } from '../../../src/stages/chunk-stages.js';
import type { StageColumn, StageContext } from '../../../src/stages/stage.js';
import { readRejects } from './support.js';

const T = ColumnType;

/** Runs the encode task on NDJSON lines in a real ring slot, as a worker does; returns its result and output text. */
function runTask(lines: string[], columns: [string, ColumnTypeCode][], extra: Partial<JsonEncodePlan> = {}) {
  const input = Buffer.from(lines.map((l) => `${l}\n`).join(''));
  const ring = new SlotRing({ slots: 1, inputCapacity: input.length + 16 });
  const slot = ring.acquire() as number;
  ring.views(slot).input.set(input);
  Atomics.store(new Int32Array(ring.shared.control), slot, SlotState.encoding);
  const plan: JsonEncodePlan = {
    layout: 'ndjson', schemaKey: `task-${columns.join(';')}`, paths: columns.map(([p]) => [p]), columnTypes: columns.map(([, t]) => t),
    columnNames: columns.map(([p]) => p), fileId: 3, chunkNo: 2, baseOffset: 1000, dataEnd: 1000 + input.length, invalidUtf8: 'reject', ...extra,
  };
  const result: JsonEncodeResult = runJsonEncodeTask({ ring: ring.shared, slot, length: input.length, plan });
  assert.equal(ring.state(slot), SlotState.encoded);
  const views = ring.views(slot);
  return {
    result,
    data: views.output.toString('utf8', 0, result.dataLength),
    rejects: readRejects(views.rejects.toString('utf8', 0, result.rejectsLength)),
  };
}

describe('JSON encode task', () => {
  test('writes the parsed batch as COPY CSV (delimiter `,`, quote `"`): NULL empty, "" an empty string, specials quoted', () => {
    const { result, data, rejects } = runTask([
      '{"a": "x, y", "b": "say \\"hi\\"\\nbye", "c": "", "d": null, "n": 7}',
      '{"n": "seven"}',
      '{"a": "plain", "j": {"k": [1, "q\\"x"]}, "n": " 8 "}',
    ], [['a', T.text], ['b', T.text], ['c', T.text], ['d', T.text], ['n', T.int], ['j', T.json]]);
    assert.equal(data, '3,1000,"x, y","say ""hi""\nbye","",,7,\n3,1081,plain,,,,8,"{""k"":[1,""q\\""x""]}"\n');
    assert.deepEqual(rejects.map((r) => [r.reason, r.chunkNo, r.chunkLine, r.offset]), [['CAST', 2, 2, 1066]]);
    assert.deepEqual({ ...result.stats, samples: result.stats.samples.length }, { rows: 2, rejected: 1, lines: 3, slowRows: 0, samples: 1, ignoredKeys: 0 });
    assert.deepEqual(result.reports, {});
    assert.equal(result.anomalies.length, 0);
  });

  test('runs the plan\'s stages on the batch: their rejects, reports and anomalies come back with the chunk', () => {
    const built: { columns: readonly StageColumn[] }[] = [];
    // A validate stage of this test: refuses the rows whose `a` is "drop", flags those whose `a` is "odd".
    registerStage<{ word: string }, { refused: number }>({
      name: 'validate', description: 'test stage', options: z.object({ word: z.string().default('drop') }),
      merge: (x, y) => ({ refused: x.refused + y.refused }),
      create: (options, columns) => {
        built.push({ columns });
        let refused = 0;
        return {
          name: 'validate',
          process(batch: ColumnBatch, context: StageContext) {
            const a = batch.columns[0];
            for (let r = 0; r < batch.rowCount; r++) {
              const value = batch.text(a, r);
              if (value === options.word) {
                refused++;
                batch.reject(r);
                context.rejects.pushString(rejectRow({ fileId: context.fileId, chunkNo: context.chunkNo, chunkLine: batch.rowLine[r], byteOffset: batch.rowOffset[r], reason: 'RULE:test', detail: 'a', raw: batch.rawText(r) }));
              } else if (value === 'odd') {
                context.anomalies.pushString(anomalyRow({ kind: 'value', dataset: context.dataset, fileId: context.fileId, chunkNo: context.chunkNo, byteOffset: batch.rowOffset[r], column: a.name, value, score: 9, method: 'test', detail: null }));
              }
            }
          },
          report: () => { const report = { refused }; refused = 0; return report; },
        };
      },
    });
    const { result, data, rejects } = runTask(['{"a": "keep"}', '{"a": "drop"}', '{"a": 5}', '{"a": "odd"}'], [['a', T.text], ['b', T.int]], {
      dataset: 'orders', stagesKey: 'orders/1', stages: { validate: { word: 'drop' } },
    });
    assert.equal(data, '3,1000,keep,\n3,1028,5,\n3,1037,odd,\n');
    assert.deepEqual(rejects.map((r) => [r.reason, r.chunkLine, r.offset, r.raw]), [['RULE:test', 2, 1014, '{"a": "drop"}']]);
    assert.equal(result.stats.rows, 3);
    assert.equal(result.stats.rejected, 1);
    assert.deepEqual(result.reports, { validate: { refused: 1 } });
    assert.match(Buffer.from(result.anomalies).toString(), /^value\torders\t3\t2\t1037\ta\todd\t9\ttest\t/);
    assert.deepEqual(built.map((b) => b.columns), [[{ name: 'a', type: T.text }, { name: 'b', type: T.int }]], 'built once, for the parsed columns');
  });
});
