import { plainDecimal } from './plain-decimal.js';

/**
 * One Excel cell as one field of the spooled CSV, and what kind of value it was. The text is
 * unambiguous whatever type the column ends up with: numbers in plain decimal, dates in ISO 8601
 * (`2024-01-02` at midnight, `2024-01-02T10:30:00.000` otherwise), booleans `true`/`false`,
 * strings always quoted (so an empty string stays an empty string, and `"NULL"` or `"1"` stay
 * text), a missing value as an empty unquoted field (NULL to COPY).
 *
 * Excel date-times carry no time zone; exceljs reads the serial number as UTC wall-clock time,
 * and it is written as a wall-clock time, without an offset: loaded as UTC (`timestamptz` at
 * +00), and as a wall-clock time in `timeseries.zone` when the dataset has one.
 */

/** Bit flags, so a column's kinds are one OR per cell and its type one look at the end. */
export const CellKind = {
  empty: 0,
  int32: 1,
  int64: 2,
  float: 4,
  date: 8,
  timestamp: 16,
  bool: 32,
  text: 64,
} as const;

/** What the last `renderCell` call found; reused, so rendering allocates only the text. */
export interface RenderedCell {
  kind: number;
  field: string;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
/** 2^63: int8 holds -2^63 .. 2^63 - 1, and 2^63 - 1 is not a double. */
const INT64_LIMIT = 2 ** 63;
const DAY_MS = 86_400_000;

export function quoteText(text: string): string {
  return `"${text.includes('"') ? text.replaceAll('"', '""') : text}"`;
}

/** Whether a number format shows a date or time (exceljs's own rule, applied to formula results too). */
export function isDateFormat(format: string | undefined): boolean {
  if (format === undefined || format === '') return false;
  const bare = format.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, '');
  return /[ymdhMsb]/.test(bare);
}

/** An Excel serial day number as a UTC instant (1900 or 1904 date system). */
export function excelSerialToDate(serial: number, date1904: boolean): Date {
  return new Date(Math.round((serial - 25569 + (date1904 ? 1462 : 0)) * DAY_MS));
}

interface FormulaValue {
  formula?: string;
  sharedFormula?: string;
  result?: unknown;
}

/**
 * The cached result of a formula cell (Sluice does not recalculate). The streaming reader gives a
 * date-formatted result as its serial number, so the cell's format decides; a result it could not
 * read (an error such as #DIV/0!) comes back as NaN and is rendered as a missing value.
 */
export function formulaResult(value: FormulaValue, numberFormat: string | undefined, date1904: boolean): unknown {
  const result = value.result;
  if (typeof result === 'number' && Number.isFinite(result) && isDateFormat(numberFormat)) return excelSerialToDate(result, date1904);
  return result;
}

export function isFormula(value: unknown): value is FormulaValue {
  return typeof value === 'object' && value !== null && ('formula' in value || 'sharedFormula' in value);
}

/** Text of a rich-text, hyperlink or plain string value; null when the value is not text. */
function textOf(value: object): string | null {
  if ('richText' in value && Array.isArray(value.richText)) {
    let text = '';
    for (const run of value.richText as { text?: unknown }[]) if (typeof run.text === 'string') text += run.text;
    return text;
  }
  if ('text' in value) {
    const inner = value.text;
    if (typeof inner === 'string') return inner;
    if (typeof inner === 'object' && inner !== null) return textOf(inner);
  }
  return null;
}

function renderDate(date: Date, out: RenderedCell): RenderedCell {
  const ms = date.getTime();
  if (Number.isNaN(ms)) return empty(out);
  const iso = date.toISOString();
  if (ms % DAY_MS === 0) {
    out.kind = CellKind.date;
    out.field = iso.slice(0, 10);
  } else {
    out.kind = CellKind.timestamp;
    // Without the `Z`: a wall-clock time, as the cell has no zone.
    out.field = iso.slice(0, -1);
  }
  return out;
}

function empty(out: RenderedCell): RenderedCell {
  out.kind = CellKind.empty;
  out.field = '';
  return out;
}

/**
 * Renders a cell value as exceljs's streaming reader gives it (formulas already replaced by
 * `formulaResult`). Error values (#N/A, #REF!, …) are missing values, not text: they are not data,
 * and as text they would turn a numeric column into a text one.
 */
export function renderCell(value: unknown, out: RenderedCell): RenderedCell {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) return empty(out);
      out.kind = !Number.isInteger(value) ? CellKind.float
        : value >= INT32_MIN && value <= INT32_MAX ? CellKind.int32
          : value >= -INT64_LIMIT && value < INT64_LIMIT ? CellKind.int64 : CellKind.float;
      // Past 2^53 the shortest digits that read back as the same double are not the integer the
      // double holds (2^62 prints as 4611686018427388000); an int8 column needs the exact one.
      out.field = out.kind === CellKind.int64 && !Number.isSafeInteger(value) ? BigInt(value).toString() : plainDecimal(value);
      return out;
    case 'string':
      out.kind = CellKind.text;
      out.field = quoteText(value);
      return out;
    case 'boolean':
      out.kind = CellKind.bool;
      out.field = value ? 'true' : 'false';
      return out;
    case 'object': {
      if (value === null) return empty(out);
      if (value instanceof Date) return renderDate(value, out);
      if ('error' in value) return empty(out);
      if (isFormula(value)) return renderCell(value.result, out);
      const text = textOf(value);
      if (text === null) return empty(out);
      out.kind = CellKind.text;
      out.field = quoteText(text);
      return out;
    }
    default:
      return empty(out);
  }
}

/** A header cell's text (its column name's source): what the cell shows, unquoted. */
export function headerText(value: unknown, scratch: RenderedCell): string {
  const shown = isFormula(value) ? value.result : value;
  if (typeof shown === 'string') return shown;
  if (typeof shown === 'object' && shown !== null && !(shown instanceof Date)) return 'error' in shown ? '' : (textOf(shown) ?? '');
  return renderCell(shown, scratch).field;
}
