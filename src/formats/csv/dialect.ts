/** How a delimited text file is written. Bytes, not strings: the hot path compares bytes. */
export interface CsvDialect {
  /** Field separator byte: `,` `;` `\t` or `|`. */
  delimiter: number;
  /** Quote byte (`"` by default). An escaped quote is the quote doubled, as in RFC 4180. */
  quote: number;
  /** Row terminator byte: LF, or CR for files that use CR alone. A CR before an LF is dropped. */
  newline: number;
}

export const LF = 0x0a;
export const CR = 0x0d;
export const DOUBLE_QUOTE = 0x22;

export const DEFAULT_DIALECT: CsvDialect = { delimiter: 0x2c, quote: DOUBLE_QUOTE, newline: LF };

export function describeByte(byte: number): string {
  if (byte === 0x09) return '\\t';
  return String.fromCharCode(byte);
}
