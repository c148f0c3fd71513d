/**
 * Format detection from the first bytes: JSON or CSV for a text file that starts with a bracket,
 * and the files Sluice recognises but does not read (compressions, archives, images, executables).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { detectFormat, formatFromBytes } from '../../src/formats/detect-format.js';

const text = (value: string): Buffer => Buffer.from(value, 'utf8');
const whole = (value: string, name = 'data.txt'): string => formatFromBytes(text(value), name, true);

describe('formatFromBytes: a text file that starts with a bracket', () => {
  test('lists of bracketed values, one per line, are CSV (not valid JSON)', () => {
    assert.equal(whole('[1.2.3.4]\n[5.6.7.8]\n[9.10.11.12]\n'), 'csv');
    assert.equal(whole('[a],[b]\n[c],[d]\n'), 'csv');
    assert.equal(whole('[1],[2]\n[3],[4]\n'), 'csv');
    assert.equal(whole('[10]\n[20]\n'), 'csv', 'each line a JSON array, the file not one JSON text');
    assert.equal(whole('[INFO] started\n[WARN] slow\n'), 'csv');
    assert.equal(whole('{3F2504E0-4F89-11D3-9A0C-0305E82C3301},x\n{8D6B1C2E-0000-11D3-9A0C-0305E82C3301},y\n'), 'csv');
  });

  test('a well-formed JSON array or object is JSON', () => {
    assert.equal(whole('[{"a": 1}, {"a": 2}]'), 'json');
    assert.equal(whole('\ufeff  [\n  {"a": 1}\n]\n'), 'json', 'after a BOM and whitespace');
    assert.equal(whole('[]'), 'json');
    assert.equal(whole('[1, 2, 3]'), 'json');
    assert.equal(whole('{"a": 1}\n{"a": 2}\n'), 'ndjson');
    assert.equal(whole('{}'), 'ndjson');
  });

  test('a genuine JSON array or NDJSON file that is broken further on stays JSON (its broken records are JSON_SYNTAX rejects)', () => {
    assert.equal(whole('[{"a": 1}, {"a": 2,, }, {"a": 3}]'), 'json', 'a broken element');
    assert.equal(whole('[{"a": "oops}, {"a": 2}]'), 'json', 'a broken first record still starts as a record');
    assert.equal(whole('[{"a": 1}, {"a": 2}'), 'json', 'no closing bracket');
    assert.equal(whole('[1, 2, x]'), 'json', 'a well-formed first element followed by a comma');
    assert.equal(whole('[{"a": 1}][{"a": 2}]'), 'json', 'arrays of records one after another');
    assert.equal(whole('{"id": 1, "name": "oops\n{"id": 2}\n'), 'ndjson', 'a broken first line');
    assert.equal(whole(`[${'['.repeat(5000)}${']'.repeat(5000)}]`), 'json', 'nested past the depth limit: JSON_DEPTH, as JSON');
  });

  test('a head cut inside the deciding value asks for more; at the limit it is taken for JSON', () => {
    const long = `[{"a": "${'x'.repeat(10_000)}"}]`;
    assert.equal(formatFromBytes(text(long).subarray(0, 4096), 'data.txt', false), 'json', 'a record: JSON whatever follows');
    const string = `["${'x'.repeat(10_000)}", "y"]`;
    assert.equal(formatFromBytes(text(string).subarray(0, 4096), 'data.txt', false), 'json');
    assert.equal(formatFromBytes(text(string), 'data.txt', true), 'json');
  });

  test('the name still decides for .json, .ndjson and .jsonl', () => {
    assert.equal(whole('[1.2.3.4]\n', 'list.json'), 'json');
    assert.equal(whole('[1.2.3.4]\n', 'list.jsonl'), 'ndjson');
    assert.equal(whole('a,b\n', 'x.csv'), 'csv');
  });
});

describe('formatFromBytes: files Sluice recognises and does not read', () => {
  const cases: [string, number[] | string, string, RegExp][] = [
    ['zstd', [0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x04, 0x21, 0x00, 0x00, 0x61, 0x62], 'SLUICE_ERR_FORMAT_UNSUPPORTED', /zstd/],
    ['zstd skippable frame', [0x50, 0x2a, 0x4d, 0x18, 0x04, 0x00, 0x00, 0x00], 'SLUICE_ERR_FORMAT_UNSUPPORTED', /zstd/],
    ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04], 'SLUICE_ERR_FORMAT_UNSUPPORTED', /xz/],
    ['bzip2', [0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59, 0x01], 'SLUICE_ERR_FORMAT_UNSUPPORTED', /bzip2/],
    ['7z', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0x00, 0x04], 'SLUICE_ERR_FORMAT_UNSUPPORTED', /7z/],
    ['SQLite', 'SQLite format 3\0\x10\x00', 'SLUICE_ERR_FORMAT_UNSUPPORTED', /SQLite/],
    ['Parquet', 'PAR1\x15\x04\x15', 'SLUICE_ERR_FORMAT_UNSUPPORTED', /Parquet/],
    ['xls', [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0x00], 'SLUICE_ERR_FORMAT_UNSUPPORTED', /\.xls/],
    ['PNG', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d], 'SLUICE_ERR_FORMAT_BINARY', /PNG/],
    ['PDF', '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n', 'SLUICE_ERR_FORMAT_BINARY', /PDF/],
    ['ELF', [0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00], 'SLUICE_ERR_FORMAT_BINARY', /ELF/],
  ];
  for (const [name, bytes, code, message] of cases) {
    test(`${name} fails with ${code}, naming what it is`, () => {
      const head = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
      assert.throws(() => formatFromBytes(head, 'data.csv', true), (error: Error & { code?: string }) => {
        assert.equal(error.code, code);
        assert.match(error.message, message);
        return true;
      });
    });
  }

  test('a compression is believed by its name (.zst, .xz, .bz2, .br), whatever the bytes', () => {
    for (const name of ['data.csv.zst', 'data.csv.xz', 'data.csv.bz2', 'data.csv.br']) {
      assert.throws(() => formatFromBytes(text('a,b\n1,2\n'), name, true), { code: 'SLUICE_ERR_FORMAT_UNSUPPORTED' }, name);
    }
  });

  test('text that merely starts like a signature is text', () => {
    assert.equal(whole('BZh,x\n1,2\n'), 'csv');
    assert.equal(whole('MZ,code\n1,2\n'), 'csv');
    assert.equal(whole('PK,name\n1,x\n'), 'csv');
  });
});

describe('detectFormat reads as much of the head as it needs', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'sluice-detect-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  test('a first JSON element longer than the first probe is read to its end', async () => {
    const path = join(dir, 'long_element.txt');
    await writeFile(path, `[[${'1,'.repeat(20_000)}1]],[2]\n`);
    assert.equal(await detectFormat(path), 'csv', 'well-formed for 40 KB, then not one JSON text');
    const json = join(dir, 'long_json.txt');
    await writeFile(json, `[[${'1,'.repeat(20_000)}1], [2]]\n`);
    assert.equal(await detectFormat(json), 'json');
  });

  test('a bracketed list file of many lines is CSV', async () => {
    const path = join(dir, 'addresses.txt');
    await writeFile(path, Array.from({ length: 5000 }, (_, i) => `[10.0.${i >> 8}.${i & 255}]\n`).join(''));
    assert.equal(await detectFormat(path), 'csv');
  });
});
