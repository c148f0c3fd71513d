/**
 * How a delimited text file is written. Bytes, not strings: the hot path compares bytes.
 *
 * The reading rule (RFC 4180, read as lenient readers do — see record-scanner.ts):
 * - a line whose first byte is `comment` is not data;
 * - a field is quoted only when its first byte is `quote`; inside, a quote ends the field only
 *   when a delimiter, a line end or the end of the data follows it, a doubled quote is one quote
 *   character, and any other quote is text;
 * - a quote anywhere else is text;
 * - with an `escape` byte (a backslash), the byte after it is text, in quoted and unquoted fields
 *   alike: `\"`, `\,`, `\\` and a backslash before a line end (a newline in the value).
 */
export interface CsvDialect {
  /** Field separator byte: `,` `;` `\t` or `|`. */
  delimiter: number;
  /** Quote byte (`"` by default), or NONE: nothing is quoted, a quote byte is text. */
  quote: number;
  /** Escape byte (a backslash), or NONE: a quote is escaped by doubling it, as in RFC 4180. */
  escape: number;
  /** Row terminator byte: LF, or CR for files that use CR alone. A CR before an LF is dropped. */
  newline: number;
  /** Lines that start with this byte (`#`) are comments, not data; NONE: every line is data. */
  comment: number;
}

export const LF = 0x0a;
export const CR = 0x0d;
export const DOUBLE_QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const HASH = 0x23;
/** No such byte in this dialect (no quoting, no escape, no comments). */
export const NONE = -1;

export const DEFAULT_DIALECT: CsvDialect = { delimiter: 0x2c, quote: DOUBLE_QUOTE, escape: NONE, newline: LF, comment: NONE };

/** A dialect with the defaults for what is not given. */
export function csvDialect(parts: Partial<CsvDialect>): CsvDialect {
  return { ...DEFAULT_DIALECT, ...parts };
}

/**
 * The quote of the COPY rows a worker writes: the file's own (well-formed rows are copied as they
 * are), or `"` for a file without quoting — its rows that hold a `"` are then written canonically.
 */
export function copyQuoteOf(dialect: CsvDialect): number {
  return dialect.quote === NONE ? DOUBLE_QUOTE : dialect.quote;
}

/** The character a dialect byte stands for (a tab is a tab), or null for NONE. */
export function describeByte(byte: number): string | null {
  return byte === NONE ? null : String.fromCharCode(byte);
}
