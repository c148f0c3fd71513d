import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { ZipArchive } from '../../../src/formats/xlsx/zip-archive.js';
import { writeSalesWorkbook, zipArchive } from './workbook-fixtures.js';

async function readAll(stream: Readable | null): Promise<string> {
  assert.ok(stream !== null, 'entry missing');
  let text = '';
  for await (const chunk of stream) {
    assert.equal(typeof chunk, 'string');
    text += chunk as string;
  }
  return text;
}

/** A deflated, single-entry zip: the classic fixture with its data swapped for compressed bytes. */
function deflatedZip(name: string, text: string): Buffer {
  const stored = zipArchive({ [name]: text });
  const data = Buffer.from(text, 'utf8');
  const compressed = deflateRawSync(data);
  const nameLength = Buffer.byteLength(name);
  const local = Buffer.from(stored.subarray(0, 30));
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(compressed.length, 18);
  const central = Buffer.from(stored.subarray(30 + nameLength + data.length, 30 + nameLength + data.length + 46 + nameLength));
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(compressed.length, 20);
  const end = Buffer.from(stored.subarray(stored.length - 22));
  end.writeUInt32LE(30 + nameLength + compressed.length, 16);
  return Buffer.concat([local, Buffer.from(name), compressed, central, end]);
}

describe('ZipArchive', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'sluice-zip-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  test('entries of a stored archive, by name, in any order; part names match whatever their case', async () => {
    const path = join(dir, 'stored.zip');
    await writeFile(path, zipArchive({ 'b.txt': 'second', 'dir/A.xml': '<a>ä</a>', 'empty.txt': '' }));
    const zip = await ZipArchive.open(path);
    try {
      assert.deepEqual([...zip.entries.keys()], ['b.txt', 'dir/A.xml', 'empty.txt']);
      assert.equal(await readAll(await zip.text('dir/A.xml')), '<a>ä</a>');
      assert.equal(await readAll(await zip.text('dir/a.xml')), '<a>ä</a>');
      assert.equal(await readAll(await zip.text('b.txt')), 'second');
      assert.equal(await readAll(await zip.text('empty.txt')), '');
      assert.equal(await zip.text('missing.txt'), null);
    } finally {
      await zip.close();
    }
  });

  test('ZIP64 sizes, offsets and end record', async () => {
    const path = join(dir, 'zip64.zip');
    await writeFile(path, zipArchive({ 'one.txt': 'eins', 'two.txt': 'zwei' }, { zip64: true }));
    const zip = await ZipArchive.open(path);
    try {
      assert.deepEqual([...zip.entries.values()].map((e) => [e.name, e.uncompressedSize]), [['one.txt', 4], ['two.txt', 4]]);
      assert.equal(await readAll(await zip.text('two.txt')), 'zwei');
    } finally {
      await zip.close();
    }
  });

  test('a deflated entry of multi-byte characters reads back whole, however the chunks fall', async () => {
    // ~600 KiB of 2-, 3- and 4-byte characters: inflate's chunks end inside characters.
    const text = 'é漢😀ß'.repeat(60_000);
    const path = join(dir, 'deflated.zip');
    await writeFile(path, deflatedZip('xl/sharedStrings.xml', text));
    const zip = await ZipArchive.open(path);
    try {
      assert.equal(zip.entries.get('xl/sharedStrings.xml')?.method, 8);
      const read = await readAll(await zip.text('xl/sharedStrings.xml'));
      assert.equal(read.length, text.length);
      assert.equal(read, text);
    } finally {
      await zip.close();
    }
  });

  test('a workbook written by exceljs lists its parts', async () => {
    const path = join(dir, 'book.xlsx');
    await writeSalesWorkbook(path);
    const zip = await ZipArchive.open(path);
    try {
      for (const part of ['xl/workbook.xml', 'xl/_rels/workbook.xml.rels', 'xl/worksheets/sheet1.xml', 'xl/sharedStrings.xml', 'xl/styles.xml']) {
        assert.ok(zip.has(part), part);
      }
      assert.match(await readAll(await zip.text('xl/workbook.xml')), /<sheet [^>]*name="Sales 2024"/);
    } finally {
      await zip.close();
    }
  });

  test('not a zip, or cut short, fails with SLUICE_ERR_FORMAT_XLSX_CORRUPT', async () => {
    const truncated = join(dir, 'truncated.zip');
    const whole = zipArchive({ 'a.txt': 'x'.repeat(1000) });
    await writeFile(truncated, whole.subarray(0, 600));
    await assert.rejects(ZipArchive.open(truncated), { code: 'SLUICE_ERR_FORMAT_XLSX_CORRUPT' });
    const text = join(dir, 'text.zip');
    await writeFile(text, 'PK\x03\x04 and then nothing a zip needs');
    await assert.rejects(ZipArchive.open(text), { code: 'SLUICE_ERR_FORMAT_XLSX_CORRUPT' });
  });
});
