import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { type PlainError, SluiceError, toPlainError } from '../../errors.js';
import { SheetSpool, type SheetRow, type SpooledSheet } from './sheet-spool.js';
import { ZipArchive } from './zip-archive.js';

/**
 * The worker side of loading a workbook: read the .xlsx with exceljs's streaming readers and
 * write each selected sheet that has data as a CSV file into the spool directory. A zip cannot be
 * cut into byte ranges, so this is one task per workbook, not one per chunk; the spooled CSVs then
 * take the ordinary parallel CSV path.
 *
 *   central directory ─▶ xl/_rels/workbook.xml.rels ─▶ xl/workbook.xml (sheet names, tab order,
 *   (zip-archive.ts)     xl/sharedStrings.xml (kept: cells refer to it) ─▶ xl/styles.xml (number formats)
 *                        ─▶ each chosen worksheet, row by row (exceljs WorksheetReader) ─▶ SheetSpool
 *
 * exceljs's WorkbookReader finds these parts with a front-to-back unzip pass that loses entries
 * at random on current Node (see zip-archive.ts), so Sluice opens the parts itself and hands each
 * to the WorkbookReader's own part parsers — the XML reading is exceljs's throughout. Memory: the
 * shared strings table (an .xlsx stores each distinct string once, for all sheets) and one row.
 *
 * Failures return as data (`{ ok: false, error }`) with a SLUICE_ERR_* code: a custom error
 * loses its class crossing threads.
 */

export interface ConvertWorkbookTask {
  path: string;
  /** An existing, empty directory the CSV files go in (the caller removes it). */
  spoolDir: string;
  /** The worksheets to convert, by name; all when absent. */
  sheets?: string[];
}

export interface ConvertedSheet extends SpooledSheet {
  name: string;
  /** 1-based position among the workbook's worksheets, in tab order. */
  position: number;
}

export type ConvertWorkbookResult = { ok: true; sheets: ConvertedSheet[]; empty: string[] } | { ok: false; error: PlainError };

export interface ListWorksheetsTask {
  path: string;
}

export type ListWorksheetsResult = { ok: true; names: string[] } | { ok: false; error: PlainError };

const WORKBOOK_PART = 'xl/workbook.xml';

/** The WorkbookReader's part parsers and what they leave behind (exceljs 4, lib/stream/xlsx/workbook-reader.js). */
interface WorkbookParts {
  model?: { sheets?: { name: string; rId: string }[] };
  properties?: { model?: { date1904?: boolean } };
  workbookRels?: { Id: string; Type: string; Target: string }[];
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncIterable<unknown>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseWorksheet(iterator: AsyncIterable<unknown>, sheetNo: string): Iterator<{ value: WorksheetRows }>;
}

interface WorksheetRows {
  name: string;
  [Symbol.asyncIterator](): AsyncIterator<SheetRow>;
}

interface OpenedWorkbook {
  parts: WorkbookParts;
  /** Worksheets in tab order (chart sheets and dialog sheets hold no table and are left out). */
  worksheets: { name: string; part: string }[];
  /** Opens a part of the package (a SLUICE_ERR_FORMAT_XLSX_CORRUPT failure if it is missing). */
  part(name: string): Promise<Readable>;
}

function failure(code: string, message: string): { ok: false; error: PlainError } {
  return { ok: false, error: { code, message } };
}

function asFailure(path: string, error: unknown): { ok: false; error: PlainError } {
  if (error instanceof SluiceError) return { ok: false, error: toPlainError(error) };
  // A system call that failed (the file vanished, a read error) is not a broken workbook.
  if ((error as NodeJS.ErrnoException).syscall !== undefined) return failure('SLUICE_ERR_FILE_READ', `cannot read ${path}: ${(error as Error).message}`);
  return failure('SLUICE_ERR_FORMAT_XLSX_CORRUPT', `cannot read ${path} as an Excel workbook: ${(error as Error).message}`);
}

/** A relationship target (relative to xl/, or absolute in the package) as a part name. */
function partName(target: string): string {
  return target.startsWith('/') ? target.slice(1) : posix.normalize(posix.join('xl', target));
}

/** Reads the workbook's structure; with `content`, also what cells refer to (shared strings, styles). */
async function openWorkbook(zip: ZipArchive, path: string, content: boolean): Promise<OpenedWorkbook> {
  if (!zip.has(WORKBOOK_PART)) {
    // Say what it is where the package tells (OpenDocument names its kind in `mimetype`).
    const what = zip.has('mimetype') && zip.has('content.xml') ? 'an OpenDocument file (save it as .xlsx or CSV)' : 'a zip archive (extract it and load the files inside)';
    throw new SluiceError('SLUICE_ERR_FORMAT_XLSX_NOT_WORKBOOK', `${path} is ${what}, not an Excel workbook: it has no ${WORKBOOK_PART}`);
  }
  const parts = new ExcelJS.stream.xlsx.WorkbookReader(path, {
    worksheets: 'emit', sharedStrings: 'cache', hyperlinks: 'ignore',
    // Styles carry the number formats that tell a date from a number.
    styles: 'cache',
  }) as unknown as WorkbookParts;
  const part = async (name: string): Promise<Readable> => {
    const text = await zip.text(name);
    if (text === null) throw new SluiceError('SLUICE_ERR_FORMAT_XLSX_CORRUPT', `${path}: the workbook has no ${name}`);
    return text;
  };
  await parts._parseRels(await part('xl/_rels/workbook.xml.rels'));
  await parts._parseWorkbook(await part(WORKBOOK_PART));
  if (content) {
    const strings = await zip.text('xl/sharedStrings.xml');
    if (strings !== null) for await (const _ of parts._parseSharedStrings(strings)) { /* cached by the reader */ }
    const styles = await zip.text('xl/styles.xml');
    if (styles !== null) await parts._parseStyles(styles);
  }
  const relations = parts.workbookRels ?? [];
  const worksheets = (parts.model?.sheets ?? []).flatMap((sheet) => {
    const relation = relations.find((r) => r.Id === sheet.rId);
    return relation !== undefined && relation.Type.endsWith('/worksheet') ? [{ name: sheet.name, part: partName(relation.Target) }] : [];
  });
  return { parts, worksheets, part };
}

/** The worksheets' names in tab order — the workbook's directory and two small parts, no sheet data. */
export async function listWorksheets(task: ListWorksheetsTask): Promise<ListWorksheetsResult> {
  let zip: ZipArchive;
  try {
    zip = await ZipArchive.open(task.path);
  } catch (error) {
    return asFailure(task.path, error);
  }
  try {
    const { worksheets } = await openWorkbook(zip, task.path, false);
    return { ok: true, names: worksheets.map((w) => w.name) };
  } catch (error) {
    return asFailure(task.path, error);
  } finally {
    await zip.close();
  }
}

export async function convertWorkbook(task: ConvertWorkbookTask): Promise<ConvertWorkbookResult> {
  let zip: ZipArchive;
  try {
    zip = await ZipArchive.open(task.path);
  } catch (error) {
    return asFailure(task.path, error);
  }
  let spool: SheetSpool | undefined;
  try {
    const { parts, worksheets, part } = await openWorkbook(zip, task.path, true);
    const names = worksheets.map((w) => w.name);
    const unknown = task.sheets?.find((name) => !names.includes(name));
    if (unknown !== undefined) {
      return failure('SLUICE_ERR_FORMAT_XLSX_SHEET_NOT_FOUND', `${task.path} has no sheet ${JSON.stringify(unknown)}; its sheets: ${names.map((n) => JSON.stringify(n)).join(', ')}`);
    }
    const date1904 = parts.properties?.model?.date1904 === true;
    const sheets: ConvertedSheet[] = [];
    const empty: string[] = [];
    for (let index = 0; index < worksheets.length; index++) {
      const { name } = worksheets[index];
      // An unchosen sheet is never even inflated.
      if (task.sheets !== undefined && !task.sheets.includes(name)) continue;
      const rows = parts._parseWorksheet(await part(worksheets[index].part), String(index + 1)).next().value.value;
      spool = await SheetSpool.create(join(task.spoolDir, `sheet-${index + 1}.csv`), date1904);
      for await (const row of rows) {
        if (!spool.addRow(row)) await spool.flush();
      }
      const spooled = await spool.finish();
      spool = undefined;
      if (spooled === null) empty.push(name);
      else sheets.push({ name, position: index + 1, ...spooled });
    }
    return { ok: true, sheets, empty };
  } catch (error) {
    await spool?.abandon();
    return asFailure(task.path, error);
  } finally {
    await zip.close();
  }
}
