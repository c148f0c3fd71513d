import { rm } from 'node:fs/promises';
import type { ColumnTypeName } from '../../schema/column-type.js';
import { columnNamesFor } from '../../schema/identifiers.js';
import { CellKind, formulaResult, headerText, isFormula, quoteText, type RenderedCell, renderCell } from './cell-field.js';
import { columnTypeOfKinds, datesNeedWidening } from './column-type-of-kinds.js';
import { reshapeCsv } from './reshape-csv.js';
import { SpoolWriter } from './spool-writer.js';

/**
 * One worksheet, row by row, into a UTF-8 CSV file the ordinary CSV path loads: the first row
 * that shows anything is the header, every later non-blank row is data. Each column's type is
 * settled from every cell it holds (see column-type-of-kinds.ts), so the loader is told the types
 * instead of sniffing them. Only the current row is held; a column costs a few numbers.
 */

/** What a spooled sheet holds: the CSV file and its columns, named as the CSV sniffer names them. */
export interface SpooledSheet {
  csvPath: string;
  bytes: number;
  rows: number;
  columns: { name: string; source: string; type: ColumnTypeName }[];
}

/** The part of an exceljs Row this reads (values are 1-based and sparse). */
export interface SheetRow {
  values: unknown;
  getCell(column: number): { numFmt?: string };
}

export class SheetSpool {
  private headerWidth = 0;
  private maxWidth = 0;
  private rows = 0;
  private readonly sources: string[] = [];
  /** Per column (0-based): the OR of the CellKind of every data cell. */
  private readonly kinds: number[] = [];
  /** The current row's fields, reused from row to row. */
  private readonly fields: string[] = [];
  private readonly scratch: RenderedCell = { kind: 0, field: '' };

  private constructor(private readonly writer: SpoolWriter, private readonly date1904: boolean) {}

  static async create(csvPath: string, date1904: boolean): Promise<SheetSpool> {
    return new SheetSpool(await SpoolWriter.create(csvPath), date1904);
  }

  /** Adds a row; false when the caller should `await flush()` before the next one. */
  addRow(row: SheetRow): boolean {
    const values = Array.isArray(row.values) ? (row.values as unknown[]) : [];
    return this.headerWidth === 0 ? this.addHeader(values) : this.addData(values, row);
  }

  private addHeader(values: unknown[]): boolean {
    let width = 0;
    for (let c = 1; c < values.length; c++) {
      const text = values[c] === undefined || values[c] === null ? '' : headerText(values[c], this.scratch);
      this.sources[c - 1] = text;
      if (text !== '') width = c;
    }
    if (width === 0) return true;
    this.sources.length = width;
    this.headerWidth = width;
    this.maxWidth = width;
    const writer = this.writer;
    for (let c = 0; c < width; c++) {
      if (c > 0) writer.write(',');
      // Always quoted, so a date or number header never looks like a value to a later pass.
      writer.write(quoteText(this.sources[c] ?? ''));
    }
    return writer.write('\n');
  }

  private addData(values: unknown[], row: SheetRow): boolean {
    const fields = this.fields;
    const kinds = this.kinds;
    const scratch = this.scratch;
    let last = 0;
    for (let c = 1; c < values.length; c++) {
      let value = values[c];
      if (value === undefined || value === null) {
        fields[c - 1] = '';
        continue;
      }
      if (isFormula(value)) value = formulaResult(value, row.getCell(c).numFmt, this.date1904);
      renderCell(value, scratch);
      fields[c - 1] = scratch.field;
      if (scratch.kind !== CellKind.empty) {
        kinds[c - 1] = (kinds[c - 1] ?? 0) | scratch.kind;
        last = c;
      }
    }
    if (last === 0) return true;
    const width = Math.max(this.headerWidth, last);
    if (width > this.maxWidth) this.maxWidth = width;
    const writer = this.writer;
    for (let c = 0; c < width; c++) {
      if (c > 0) writer.write(',');
      if (c < values.length - 1 && fields[c] !== '') writer.write(fields[c]);
    }
    this.rows++;
    return writer.write('\n');
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Closes the file and settles the columns; null (and no file) when the sheet showed nothing. */
  async finish(): Promise<SpooledSheet | null> {
    await this.writer.close();
    const path = this.writer.path;
    if (this.headerWidth === 0) {
      await rm(path, { force: true });
      return null;
    }
    const width = this.maxWidth;
    const keep: boolean[] = [];
    const widen: boolean[] = [];
    const kept: number[] = [];
    for (let c = 0; c < width; c++) {
      const kinds = this.kinds[c] ?? 0;
      // A column with no header and no value anywhere is not a column (a table indented from A).
      keep[c] = (this.sources[c] ?? '') !== '' || kinds !== CellKind.empty;
      widen[c] = datesNeedWidening(kinds);
      if (keep[c]) kept.push(c);
    }
    const sources = kept.map((c) => this.sources[c] ?? '');
    const names = columnNamesFor(sources);
    const columns = kept.map((c, i) => ({ name: names[i], source: sources[i], type: columnTypeOfKinds(this.kinds[c] ?? 0) }));
    if (width === this.headerWidth && kept.length === width && !widen.includes(true)) {
      return { csvPath: path, bytes: this.writer.bytes, rows: this.rows, columns };
    }
    const shaped = path.replace(/\.csv$/, '') + '.shaped.csv';
    const bytes = await reshapeCsv(path, shaped, { keep, widen });
    await rm(path, { force: true });
    return { csvPath: shaped, bytes, rows: this.rows, columns };
  }

  /** Gives up on the sheet (the caller removes the spool directory). */
  abandon(): Promise<void> {
    return this.writer.abandon();
  }
}
