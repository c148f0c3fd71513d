import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { after, before, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import { type ConvertWorkbookResult, convertWorkbook, listWorksheets } from '../../../src/formats/xlsx/convert-workbook.js';
import { ZipArchive } from '../../../src/formats/xlsx/zip-archive.js';
import { EMPTY_SHEET, NOTES_SHEET, SALES_SHEET, writeSalesWorkbook, zipArchive } from './workbook-fixtures.js';

/** The conversion on its own (no pool, no database): the CSV files and columns it produces. */

function sheetsOf(result: ConvertWorkbookResult): Extract<ConvertWorkbookResult, { ok: true }>['sheets'] {
  assert.ok(result.ok, JSON.stringify(result));
  return result.sheets;
}

function errorCode(result: ConvertWorkbookResult): string {
  assert.ok(!result.ok, 'expected a failure');
  return result.error.code;
}

describe('convertWorkbook', () => {
  let dir: string;
  let book: string;
  let spoolCount = 0;
  const spool = async (): Promise<string> => mkdtemp(join(dir, `spool-${spoolCount++}-`));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-xlsx-convert-'));
    book = join(dir, 'sales.xlsx');
    await writeSalesWorkbook(book);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('each sheet with data becomes a CSV with a header and unambiguous values; the empty sheet none', async () => {
    const result = await convertWorkbook({ path: book, spoolDir: await spool() });
    const sheets = sheetsOf(result);
    assert.deepEqual((result as { empty: string[] }).empty, [EMPTY_SHEET]);
    assert.deepEqual((await readdir(join(sheets[0].csvPath, '..'))).sort(), ['sheet-1.shaped.csv', 'sheet-2.csv']);
    assert.deepEqual(sheets.map((s) => [s.name, s.position, s.rows]), [[SALES_SHEET, 1, 3], [NOTES_SHEET, 2, 2]]);
    const [sales, notes] = sheets;
    assert.deepEqual(sales.columns, [
      { name: 'region', source: 'Region', type: 'text' },
      { name: 'units', source: 'Units', type: 'int' },
      // Under the merged header cell, and under the empty one.
      { name: 'column_3', source: '', type: 'float' },
      { name: 'column_4', source: '', type: 'bool' },
      { name: 'day', source: 'Day', type: 'date' },
      { name: 'at', source: 'At', type: 'timestamptz' },
      { name: 'total', source: 'Total', type: 'float' },
      { name: 'big_number', source: 'Big Number', type: 'bigint' },
    ]);
    assert.equal(await readFile(sales.csvPath, 'utf8'), [
      '"Region","Units","","","Day","At","Total","Big Number"',
      '"north",3,2.5,true,2024-01-31,2024-01-31T08:15:00.000,7.5,5000000000',
      // The midnight date-time is written as a timestamp, as its column is one.
      '"south",4,0.125,false,2024-02-29,2024-03-01T00:00:00.000,0.5,-5000000000',
      '"east ""quoted"", with comma\nand newline",,,,,,,',
      '',
    ].join('\n'));
    assert.equal(sales.bytes, (await readFile(sales.csvPath)).length);
    assert.deepEqual(notes.columns.map((c) => [c.name, c.type]), [['id', 'int'], ['code', 'text'], ['due', 'date'], ['checked', 'text']]);
    // "007" stays text; the error value is a missing value; the formula's cached result is a date.
    assert.equal(await readFile(notes.csvPath, 'utf8'), '"Id","Code","Due","Checked"\n1,"007",2024-05-17,\n2,"v1",,"yes"\n');
  });

  test('the worksheets are listed in tab order without reading them', async () => {
    assert.deepEqual(await listWorksheets({ path: book }), { ok: true, names: [SALES_SHEET, NOTES_SHEET, EMPTY_SHEET] });
  });

  test('only the sheets asked for are converted; one that is not there is a clear failure', async () => {
    const notes = await convertWorkbook({ path: book, spoolDir: await spool(), sheets: [NOTES_SHEET] });
    assert.deepEqual(sheetsOf(notes).map((s) => [s.name, s.position]), [[NOTES_SHEET, 2]]);
    const empty = await convertWorkbook({ path: book, spoolDir: await spool(), sheets: [EMPTY_SHEET] });
    assert.deepEqual([sheetsOf(empty).length, (empty as { empty: string[] }).empty], [0, [EMPTY_SHEET]]);
    const missing = await convertWorkbook({ path: book, spoolDir: await spool(), sheets: ['Nope'] });
    assert.equal(errorCode(missing), 'SLUICE_ERR_FORMAT_XLSX_SHEET_NOT_FOUND');
    assert.match((missing as { error: { message: string } }).error.message, /Sales 2024/);
  });

  test('a zip that is not a workbook, a truncated workbook and garbage after the zip magic fail with codes', async () => {
    const zip = join(dir, 'archive.xlsx');
    await writeFile(zip, zipArchive({ 'readme.txt': 'not a workbook\n', 'data/a.csv': 'a,b\n1,2\n' }));
    assert.equal(errorCode(await convertWorkbook({ path: zip, spoolDir: await spool() })), 'SLUICE_ERR_FORMAT_XLSX_NOT_WORKBOOK');
    assert.equal((await listWorksheets({ path: zip })).ok, false);
    const whole = await readFile(book);
    const truncated = join(dir, 'truncated.xlsx');
    await writeFile(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    assert.equal(errorCode(await convertWorkbook({ path: truncated, spoolDir: await spool() })), 'SLUICE_ERR_FORMAT_XLSX_CORRUPT');
    const garbage = join(dir, 'garbage.xlsx');
    await writeFile(garbage, Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(4096, 0x5a)]));
    assert.equal(errorCode(await convertWorkbook({ path: garbage, spoolDir: await spool() })), 'SLUICE_ERR_FORMAT_XLSX_CORRUPT');
  });

  test('a table that starts below and right of A1 keeps only its own columns; blank rows are skipped', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Report');
    sheet.getCell('C3').value = 'Name';
    sheet.getCell('D3').value = 'Score';
    sheet.getCell('C4').value = 'ann';
    sheet.getCell('D4').value = 1;
    sheet.getCell('C6').value = 'bob';
    sheet.getCell('D6').value = 2.5;
    // A value right of the header: a column of its own, with a generated name.
    sheet.getCell('F6').value = 'late';
    const path = join(dir, 'report.xlsx');
    await workbook.xlsx.writeFile(path);
    const [report] = sheetsOf(await convertWorkbook({ path, spoolDir: await spool() }));
    assert.deepEqual(report.columns, [{ name: 'name', source: 'Name', type: 'text' }, { name: 'score', source: 'Score', type: 'float' }, { name: 'column_3', source: '', type: 'text' }]);
    assert.equal(await readFile(report.csvPath, 'utf8'), '"Name","Score",\n"ann",1,\n"bob",2.5,"late"\n');
    assert.equal(report.rows, 2);
  });

  test('the parts may come in any order in the archive (here: sheets first, workbook last, reversed)', async () => {
    const zip = await ZipArchive.open(book);
    const parts: Record<string, string> = {};
    try {
      for (const name of [...zip.entries.keys()].reverse()) {
        let text = '';
        for await (const chunk of (await zip.text(name))!) text += chunk as string;
        parts[name] = text;
      }
    } finally {
      await zip.close();
    }
    const reordered = join(dir, 'reordered.xlsx');
    await writeFile(reordered, zipArchive(parts));
    const original = sheetsOf(await convertWorkbook({ path: book, spoolDir: await spool() }));
    const again = sheetsOf(await convertWorkbook({ path: reordered, spoolDir: await spool() }));
    assert.deepEqual(again.map((s) => [s.name, s.columns]), original.map((s) => [s.name, s.columns]));
    for (let i = 0; i < again.length; i++) assert.equal(await readFile(again[i].csvPath, 'utf8'), await readFile(original[i].csvPath, 'utf8'));
  });

  test('text with multi-byte characters survives chunk boundaries (exceljs alone turns some into U+FFFD)', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Texte');
    sheet.addRow(['texte']);
    const expected: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const text = `ligne ${i}: café crème brûlée — 漢字 😀 ${'é'.repeat(i % 17)}`;
      sheet.addRow([text]);
      expected.push(`"${text}"`);
    }
    const path = join(dir, 'texte.xlsx');
    await workbook.xlsx.writeFile(path);
    const [texte] = sheetsOf(await convertWorkbook({ path, spoolDir: await spool() }));
    const csv = await readFile(texte.csvPath, 'utf8');
    assert.ok(!csv.includes('\uFFFD'), 'U+FFFD in the output');
    assert.equal(csv, `"texte"\n${expected.join('\n')}\n`);
  });

  test('dates of a workbook in the 1904 date system', async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.properties.date1904 = true;
    const sheet = workbook.addWorksheet('Mac');
    sheet.addRow(['When']);
    sheet.addRow([new Date(Date.UTC(2001, 8, 11))]);
    sheet.getCell('A2').numFmt = 'yyyy-mm-dd';
    const path = join(dir, 'mac.xlsx');
    await workbook.xlsx.writeFile(path);
    const [mac] = sheetsOf(await convertWorkbook({ path, spoolDir: await spool() }));
    assert.equal(await readFile(mac.csvPath, 'utf8'), '"When"\n2001-09-11\n');
  });

  test('a large sheet streams: memory held stays flat while every row is written', async () => {
    const rows = 60_000;
    const path = join(dir, 'large.xlsx');
    const writer = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: true, useStyles: true });
    const sheet = writer.addWorksheet('Large');
    sheet.addRow(['id', 'name', 'amount', 'at', 'ok']).commit();
    for (let i = 0; i < rows; i++) {
      const row = sheet.addRow([i, `name ${i % 500}`, i / 4, new Date(Date.UTC(2024, 0, 1) + i * 61_000), i % 3 === 0]);
      row.getCell(4).numFmt = 'yyyy-mm-dd hh:mm:ss';
      row.commit();
    }
    sheet.commit();
    await writer.commit();

    // Live heap after a full collection, sampled while the conversion runs. Measured here: ~3 MiB;
    // keeping only each row's values array would hold ~20 MiB, exceljs's non-streaming reader ~105.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    const sampler = setInterval(() => {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
    }, 50);
    let result: ConvertWorkbookResult;
    try {
      result = await convertWorkbook({ path, spoolDir: await spool() });
    } finally {
      clearInterval(sampler);
    }
    const [large] = sheetsOf(result);
    assert.equal(large.rows, rows);
    assert.deepEqual(large.columns.map((c) => c.type), ['int', 'text', 'float', 'timestamptz', 'bool']);
    assert.ok(large.bytes > 3_000_000, `spooled ${large.bytes} bytes`);
    assert.ok(peak < 8 * 1024 * 1024, `live heap grew by ${Math.round(peak / 1024 / 1024)} MiB`);
    assert.deepEqual((await readdir(join(large.csvPath, '..'))).length, 1);
  });
});
