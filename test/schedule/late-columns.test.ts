import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LateColumn } from '../../src/formats/prepared-file.js';
import { mergeLateColumns } from '../../src/schedule/late-columns.js';
import { ColumnType, type ColumnTypeCode } from '../../src/schema/column-type.js';
import { ValueFormat } from '../../src/schema/value-format.js';

const T = ColumnType;

function late(path: string, type: ColumnTypeCode, confidence = 0.5): LateColumn {
  return { path: path.split('.'), type, format: null, confidence };
}

const shown = (columns: LateColumn[]) => columns.map((c) => [c.path.join('.'), c.type]);

test('one path seen in two chunks takes a type that holds both chunks\' values', () => {
  const merged = mergeLateColumns([late('n', T.int, 0.1), late('flag', T.bool)], [late('n', T.float, 0.3), late('flag', T.int), late('s', T.text)]);
  assert.deepEqual(shown(merged), [['n', T.float], ['flag', T.text], ['s', T.text]]);
  assert.equal(merged[0].confidence, 0.3);
});

test('a key that is a scalar in one chunk and an object in another is one jsonb column at the key', () => {
  assert.deepEqual(shown(mergeLateColumns([late('geo.lat', T.float), late('geo.lon', T.float)], [late('geo', T.text)])), [['geo', T.json]]);
  assert.deepEqual(shown(mergeLateColumns([late('geo', T.int)], [late('geo.lat', T.float)])), [['geo', T.json]]);
});

test('a written format holds only values written that way: two different ones make the column text', () => {
  const dmy = { ...late('d', T.date), format: { format: ValueFormat.dmy, nullTokens: false } };
  const plain = late('d', T.date);
  assert.deepEqual(shown(mergeLateColumns([dmy], [dmy])), [['d', T.date]]);
  assert.deepEqual(mergeLateColumns([dmy], [dmy])[0].format, dmy.format);
  assert.deepEqual(shown(mergeLateColumns([dmy], [plain])), [['d', T.text]]);
});
