import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { quoteText } from '../../../src/formats/xlsx/cell-field.js';
import { CsvReshaper, reshapeCsv } from '../../../src/formats/xlsx/reshape-csv.js';
import { SpoolWriter } from '../../../src/formats/xlsx/spool-writer.js';

/**
 * The reshaper against a model: rows of fields as the first pass writes them (ragged, strings
 * quoted with quotes, commas and newlines inside), reshaped in random pieces, must come out as
 * the model says — every row as wide as the widest, dropped columns gone, midnight dates widened
 * in the widened columns — byte for byte.
 */

type Kind = 'text' | 'number' | 'date';

const fieldOf: Record<Kind, fc.Arbitrary<string>> = {
  text: fc.string({ unit: fc.constantFrom('a', 'Z', ' ', ',', '"', '\n', 'é', '7'), maxLength: 8 }).map(quoteText),
  number: fc.oneof(fc.integer().map(String), fc.constant('0.125'), fc.constant('1234567890')),
  date: fc.oneof(fc.constant('2024-02-29'), fc.constant('1999-12-31'), fc.constant('2024-02-29T10:11:12.000')),
};

const table = fc.array(fc.constantFrom<Kind>('text', 'number', 'date'), { minLength: 1, maxLength: 6 }).chain((kinds) => fc.record({
  kinds: fc.constant(kinds),
  rows: fc.array(fc.array(fc.oneof(fc.constant(''), fc.integer({ min: 0, max: kinds.length - 1 })), { minLength: 1, maxLength: kinds.length }), { minLength: 1, maxLength: 30 })
    .chain((shapes) => fc.tuple(...shapes.map((shape) => fc.tuple(...shape.map((_, c) => fc.option(fieldOf[kinds[c]], { nil: '' })))))),
  keep: fc.array(fc.boolean(), { minLength: kinds.length, maxLength: kinds.length }),
  widen: fc.array(fc.boolean(), { minLength: kinds.length, maxLength: kinds.length }),
  cuts: fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 50 }),
}));

function model(rows: readonly (readonly string[])[], keep: readonly boolean[], widen: readonly boolean[]): string {
  return rows.map((row) => keep.flatMap((kept, c) => {
    if (!kept) return [];
    const field = row[c] ?? '';
    return [widen[c] && field.length === 10 && !field.startsWith('"') ? `${field}T00:00:00.000` : field];
  }).join(',') + '\n').join('');
}

describe('CsvReshaper', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'sluice-reshape-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  test('pads, drops and widens exactly as the model, however the input is cut', async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(table, async ({ kinds, rows, keep, widen }) => {
      const widenDates = widen.map((w, c) => w && kinds[c] === 'date');
      // A row that keeps no column would be blank: the first pass never writes one, it always keeps one.
      const keepSome = keep.includes(true) ? keep : keep.map((_, c) => c === 0);
      const input = Buffer.from(rows.map((row) => `${row.join(',')}\n`).join(''));
      const path = join(dir, `out-${n++}.csv`);
      const out = await SpoolWriter.create(path);
      const reshaper = new CsvReshaper({ keep: keepSome, widen: widenDates }, out);
      // Random pieces: a quote pair, a field or a row may straddle two pushes.
      for (let at = 0, step = 1; at < input.length; at += step, step = 1 + ((at * 7) % 13)) {
        const piece = input.subarray(at, Math.min(input.length, at + step));
        reshaper.push(piece, piece.length);
      }
      reshaper.end();
      await out.close();
      assert.equal(await readFile(path, 'utf8'), model(rows, keepSome, widenDates));
      await rm(path);
    }), { numRuns: 300 });
  });

  test('reshapeCsv rewrites a file into another one', async () => {
    const from = join(dir, 'in.csv');
    const to = join(dir, 'shaped.csv');
    await writeFile(from, '"a","","c"\n1,,2024-01-02\n"x, ""y""\nz",7,2024-01-02T03:04:05.000,9\n');
    const bytes = await reshapeCsv(from, to, { keep: [true, false, true, true], widen: [false, false, true, false] });
    const text = await readFile(to, 'utf8');
    assert.equal(text, '"a","c",\n1,2024-01-02T00:00:00.000,\n"x, ""y""\nz",2024-01-02T03:04:05.000,9\n');
    assert.equal(bytes, Buffer.byteLength(text));
  });
});
