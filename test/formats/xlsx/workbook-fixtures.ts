import ExcelJS from 'exceljs';

/**
 * Workbooks for the Excel tests, written with exceljs's ordinary (non-streaming) writer — what a
 * user's workbook holds, not what Sluice's reader is. `tag` goes in a cell of its own, so two
 * calls with different tags give workbooks with different content (and different sha256).
 */

export const SALES_SHEET = 'Sales 2024';
export const NOTES_SHEET = 'Notes';
export const EMPTY_SHEET = 'Empty';

const utc = (y: number, m: number, d: number, h = 0, min = 0): Date => new Date(Date.UTC(y, m - 1, d, h, min));

/**
 * Three sheets:
 * - "Sales 2024": a header with a merged cell (B1:C1 "Units") and an empty cell (D1) over data;
 *   text with rich runs, quotes, a comma and a newline; ints, floats, bigints, booleans; dates at
 *   midnight; date-times, one of them at midnight; a formula column (cached results).
 * - "Notes": ids, text that looks like numbers ("007"), an error value (#N/A), a formula whose
 *   cached result is a date (a serial number the cell's format makes a date).
 * - "Empty": nothing at all.
 */
export async function writeSalesWorkbook(path: string, tag = 'v1'): Promise<void> {
  const workbook = new ExcelJS.Workbook();
  const sales = workbook.addWorksheet(SALES_SHEET);
  sales.getCell('A1').value = 'Region';
  sales.getCell('B1').value = 'Units';
  sales.mergeCells('B1:C1');
  // D1 is left empty: a header cell with data below it.
  sales.getCell('E1').value = 'Day';
  sales.getCell('F1').value = 'At';
  sales.getCell('G1').value = 'Total';
  sales.getCell('H1').value = 'Big Number';
  sales.addRow(['north', 3, 2.5, true, utc(2024, 1, 31), utc(2024, 1, 31, 8, 15), { formula: 'B2*C2', result: 7.5 }, 5_000_000_000]);
  sales.addRow([{ richText: [{ text: 'so', font: { bold: true } }, { text: 'uth' }] }, 4, 0.125, false, utc(2024, 2, 29), utc(2024, 3, 1),
    { formula: 'B3*C3', result: 0.5 }, -5_000_000_000]);
  sales.addRow(['east "quoted", with comma\nand newline', null, null, null, null, null, null, null]);
  for (const cell of ['E2', 'E3']) sales.getCell(cell).numFmt = 'yyyy-mm-dd';
  for (const cell of ['F2', 'F3']) sales.getCell(cell).numFmt = 'yyyy-mm-dd hh:mm';
  // The header has nothing past H; neither has any row: no phantom columns.

  const notes = workbook.addWorksheet(NOTES_SHEET);
  notes.addRow(['Id', 'Code', 'Due', 'Checked']);
  notes.addRow([1, '007', null, { error: '#N/A' }]);
  notes.getCell('C2').value = { formula: 'DATE(2024,5,17)', result: 45429 };
  notes.getCell('C2').numFmt = 'dd/mm/yyyy';
  notes.addRow([2, tag, null, 'yes']);

  workbook.addWorksheet(EMPTY_SHEET);
  await workbook.xlsx.writeFile(path);
}

/**
 * A zip archive (stored, no compression) holding the given files in the given order. With
 * `zip64`, every size and offset is written the ZIP64 way (0xFFFFFFFF in the classic fields, the
 * values in extra field 0x0001, a ZIP64 end record and locator), as writers do past 4 GiB.
 */
export function zipArchive(files: Record<string, string | Buffer>, options: { zip64?: boolean } = {}): Buffer {
  const zip64 = options.zip64 === true;
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const nameBytes = Buffer.from(name, 'utf8');
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const extra = Buffer.alloc(zip64 ? 28 : 0);
    if (zip64) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(data.length), 4);
      extra.writeBigUInt64LE(BigInt(data.length), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
    }
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(zip64 ? 45 : 20, 4);
    central.writeUInt16LE(zip64 ? 45 : 20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(zip64 ? 0xffffffff : data.length, 20);
    central.writeUInt32LE(zip64 ? 0xffffffff : data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes, extra);
    offset += local.length + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const count = Object.keys(files).length;
  const tail: Buffer[] = [];
  if (zip64) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(45, 12);
    record.writeUInt16LE(45, 14);
    record.writeBigUInt64LE(BigInt(count), 24);
    record.writeBigUInt64LE(BigInt(count), 32);
    record.writeBigUInt64LE(BigInt(directory.length), 40);
    record.writeBigUInt64LE(BigInt(offset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(offset + directory.length), 8);
    locator.writeUInt32LE(1, 16);
    tail.push(record, locator);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? 0xffff : count, 8);
  end.writeUInt16LE(zip64 ? 0xffff : count, 10);
  end.writeUInt32LE(zip64 ? 0xffffffff : directory.length, 12);
  end.writeUInt32LE(zip64 ? 0xffffffff : offset, 16);
  return Buffer.concat([...locals, directory, ...tail, end]);
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    crc ^= bytes[i];
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}
