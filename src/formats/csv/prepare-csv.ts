import type { FileHandle } from 'node:fs/promises';
import type { Piscina } from 'piscina';
import { ColumnType } from '../../schema/column-type.js';
import { describeFormat, ValueFormat } from '../../schema/value-format.js';
import { type FormatOverrides, overrideByte } from '../overrides.js';
import type { PreparedFile } from '../prepared-file.js';
import { describeByte } from './dialect.js';
import { lastRowEnd } from './row-boundary.js';
import { sniffFile } from './sniff-file.js';

/** A CSV file, sniffed (in a worker) and ready for the loader. */
export async function prepareCsv(piscina: Piscina, path: string, size: number, overrides: FormatOverrides = {}): Promise<PreparedFile> {
  const sniff = await sniffFile(piscina, path, size, {
    header: overrides.header,
    delimiter: overrides.delimiter === undefined ? undefined : overrideByte('delimiter', overrides.delimiter),
    quote: overrides.quote === undefined ? undefined : overrideByte('quote', overrides.quote),
    types: overrides.types,
    dateOrder: overrides.dateOrder,
  });
  const { quote, newline, delimiter } = sniff.dialect;
  return {
    format: 'csv',
    encoding: sniff.encoding,
    dataStart: sniff.dataStart,
    columns: sniff.columns.map((c) => ({ ...c, format: describeFormat(c.format) })),
    lastRowEnd: (bytes, from, to) => lastRowEnd(bytes, from, to, quote, newline),
    encodeTask: 'encode',
    encodePlan: (load) => ({
      dialect: sniff.dialect,
      ...load,
      // An existing column of another type than the sniffed one reads the values in the format
      // that fitted them for that type, if one did; else as they are (null tokens still NULL).
      columnFormats: sniff.columns.map((c, i) => {
        const type = load.columnTypes[i];
        if (type === c.type) return c.format;
        return c.formatsByType[type] ?? (type !== ColumnType.text && c.format.nullTokens ? { format: ValueFormat.plain, nullTokens: true } : null);
      }),
    }),
    // Well-formed rows are passed through as they are, so COPY reads the file's own dialect.
    copyDelimiter: delimiter,
    copyQuote: quote,
    async firstDataLine(file: FileHandle) {
      const head = Buffer.alloc(sniff.dataStart);
      await file.read(head, 0, head.length, 0);
      let lines = 1;
      for (let i = head.indexOf(newline); i !== -1; i = head.indexOf(newline, i + 1)) lines++;
      return lines;
    },
    describe: {
      delimiter: describeByte(delimiter),
      quote: describeByte(quote),
      line_ending: sniff.lineEnding,
      header: sniff.header,
      confidence: { delimiter: sniff.delimiterConfidence, header: sniff.headerConfidence },
    },
  };
}
