import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColumnType } from '../../../src/schema/column-type.js';
import { spotRanges } from '../../../src/formats/csv/sniff-file.js';
import { sniffCsv } from '../../../src/formats/csv/sniffer.js';

const MiB = 1024 * 1024;

function lines(count: number, make: (i: number) => string): string {
  let text = '';
  for (let i = 0; i < count; i++) text += make(i);
  return text;
}

test('every record the head holds is typed: a word at record 13,000 of a 150 KB file makes the column text', () => {
  const text = `id,code,n\n${lines(15_000, (i) => `${i},${i === 13_000 ? 'hello' : i % 97},${i % 10}\n`)}`;
  assert.ok(text.length > 140_000 && text.length < 200_000);
  const sniff = sniffCsv({ head: Buffer.from(text), headIsWholeFile: true, spots: [] });
  assert.deepEqual(sniff.columns.map((c) => c.type), [ColumnType.int, ColumnType.text, ColumnType.int]);
  assert.equal(sniff.sampledRecords, 15_001);
});

test('a zip code with a leading zero late in the file keeps the column text', () => {
  const text = `id,zip\n${lines(5_300, (i) => `${i},${i === 5_200 ? '02215' : 10_000 + i}\n`)}`;
  const sniff = sniffCsv({ head: Buffer.from(text), headIsWholeFile: true, spots: [] });
  assert.equal(sniff.columns[1].type, ColumnType.text);
});

test('the last record of the tail stretch counts even without a final newline', () => {
  const head = Buffer.from(`id,n\n${lines(200, (i) => `${i},${i}\n`)}`);
  const tail = Buffer.from('partial line\n9998,1\n9999,12345678901234567890');
  const withEnd = sniffCsv({ head, headIsWholeFile: false, spots: [tail], lastSpotEndsFile: true });
  assert.equal(withEnd.columns[1].type, ColumnType.numeric);
  // A stretch from the middle of the file: its last line may be cut, so it is not read.
  const middle = sniffCsv({ head, headIsWholeFile: false, spots: [tail] });
  assert.equal(middle.columns[1].type, ColumnType.int);
});

test('the rest of a file after the head is always sampled, and read whole when short', () => {
  assert.deepEqual(spotRanges(100_000, 100_000), []);
  assert.deepEqual(spotRanges(MiB + 300_000, MiB), [{ position: MiB, length: 300_000 }]);
  const size = 60 * MiB;
  const ranges = spotRanges(size, MiB);
  assert.equal(ranges.length, 5);
  assert.deepEqual(ranges.at(-1), { position: size - 128 * 1024, length: 128 * 1024 });
  for (const { position, length } of ranges) assert.ok(position >= MiB && position + length <= size);
  for (let k = 1; k < ranges.length; k++) assert.ok(ranges[k].position >= ranges[k - 1].position + ranges[k - 1].length, 'stretches do not overlap');
});
