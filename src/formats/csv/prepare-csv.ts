import type { FileHandle } from 'node:fs/promises';
import type { Piscina } from 'piscina';
import { ColumnType } from '../../schema/column-type.js';
import { formatForType } from '../../schema/type-widening.js';
import { describeFormat, ValueFormat } from '../../schema/value-format.js';
import { SluiceError } from '../../errors.js';
import { bufferView, countUnits } from '../encoding/code-units.js';
import { codeUnitsOf, hasAsciiTrailBytes, overrideEncoding } from '../encoding/text-encoding.js';
import { type FormatOverrides, overrideByte, overrideByteOrNone } from '../overrides.js';
import type { PreparedFile } from '../prepared-file.js';
import type { EncodePlan } from './parse-chunk.js';
import { copyQuoteOf, describeByte } from './dialect.js';
import { lastRowEnd, lastRowEndUtf16 } from './row-boundary.js';
import { takeSniffAhead } from './sniff-ahead.js';
import { sniffFile } from './sniff-file.js';

/** A CSV file, sniffed (in a worker) and ready for the loader. */
export async function prepareCsv(piscina: Piscina, path: string, size: number, overrides: FormatOverrides = {}): Promise<PreparedFile> {
  const sniffOverrides = {
    header: overrides.header,
    delimiter: overrides.delimiter === undefined ? undefined : overrideByte('delimiter', overrides.delimiter),
    quote: overrides.quote === undefined ? undefined : overrideByteOrNone('quote', overrides.quote),
    escape: overrides.escape === undefined ? undefined : overrideByteOrNone('escape', overrides.escape),
    comment: overrides.comment === undefined ? undefined : overrideByteOrNone('comment', overrides.comment),
    types: overrides.types,
    dateOrder: overrides.dateOrder,
  };
  const encoding = overrides.encoding === undefined ? undefined : overrideEncoding(overrides.encoding);
  const sniff = await takeSniffAhead(path, size, sniffOverrides, encoding) ?? await sniffFile(piscina, path, size, sniffOverrides, encoding);
  const { quote, escape, newline, delimiter } = sniff.dialect;
  const { maxQuotedLines } = sniff;
  const limits = { maxQuotedLines };
  // Chunks are cut on raw bytes by newline and quote parity (decoding is the workers' job): in
  // UTF-16 by code units; elsewhere by bytes, which needs a quote that no trail byte can be.
  const units = codeUnitsOf(sniff.encoding);
  // (A `|` delimiter is such a byte too; it only matters where it would precede a quote.)
  if (units === 'bytes' && quote >= 0x40 && hasAsciiTrailBytes(sniff.encoding)) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `--quote ${JSON.stringify(String.fromCharCode(quote))} can be part of a character in ${sniff.encoding}; use " or '`);
  }
  if (units === 'bytes' && escape >= 0x40 && hasAsciiTrailBytes(sniff.encoding)) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `--escape ${JSON.stringify(String.fromCharCode(escape))} can be part of a character in ${sniff.encoding}; load it with --escape none`);
  }
  return {
    format: 'csv',
    encoding: sniff.encoding,
    dataStart: sniff.dataStart,
    columns: sniff.columns.map((c) => ({ ...c, format: describeFormat(c.format) })),
    lastRowEnd: units === 'bytes'
      ? (bytes, from, to) => lastRowEnd(bytes, from, to, sniff.dialect, limits)
      : (bytes, from, to) => lastRowEndUtf16(bytes, from, to, sniff.dialect, units === 'utf16be', limits),
    countLines: (bytes, from, to) => countUnits(bufferView(bytes, from, to), newline, units),
    encodeTask: 'encode',
    preamble: sniff.preamble,
    sampleValues: sniff.sampleValues,
    encodePlan: (load) => ({
      dialect: sniff.dialect,
      encoding: sniff.encoding,
      maxQuotedLines,
      padMissing: sniff.padMissing,
      trailingDelimiter: sniff.trailingDelimiter,
      ...load,
      // An existing column of another type than the sniffed one reads the values in the format
      // that fitted them for that type, if one did; else as they are (null tokens still NULL).
      columnFormats: sniff.columns.map((c, i) => {
        const type = load.columnTypes[i];
        if (type === c.type) return c.format;
        return c.formatsByType[type] ?? (type !== ColumnType.text && c.format.nullTokens ? { format: ValueFormat.plain, nullTokens: true } : null);
      }),
      widening: sniff.columns.map((c, i) => (load.widenable?.[i] === true ? { format: c.format, formatsByType: c.formatsByType } : null)),
    }),
    widenPlan(plan, columnTypes, nullTokens) {
      const encodePlan = plan as unknown as EncodePlan;
      // A widened column reads its values in the format that fits the wider type (schema/type-widening.ts).
      const columnFormats = columnTypes.map((type, i) => {
        const base = encodePlan.widening?.[i];
        const current = encodePlan.columnFormats?.[i] ?? null;
        if (base === null || base === undefined) return current;
        if (type === encodePlan.columnTypes[i]) return nullTokens[i] ? { format: current?.format ?? ValueFormat.plain, nullTokens: true } : current;
        return formatForType(nullTokens[i] ? { ...base, format: { ...base.format, nullTokens: true } } : base, type);
      });
      return { ...plan, columnTypes: [...columnTypes], columnFormats };
    },
    // Well-formed rows are passed through as they are, so COPY reads the file's own dialect.
    copyDelimiter: delimiter,
    copyQuote: copyQuoteOf(sniff.dialect),
    async firstDataLine(file: FileHandle) {
      const head = Buffer.alloc(sniff.dataStart);
      await file.read(head, 0, head.length, 0);
      return 1 + countUnits(head.subarray(sniff.bomLength), newline, units);
    },
    describe: {
      delimiter: describeByte(delimiter),
      quote: describeByte(quote),
      escape: describeByte(sniff.dialect.escape),
      comment: describeByte(sniff.dialect.comment),
      line_ending: sniff.lineEnding,
      header: sniff.header,
      preamble_lines: sniff.preambleLines,
      confidence: {
        delimiter: sniff.delimiterConfidence, quote: sniff.quoteConfidence, escape: sniff.escapeConfidence, comment: sniff.commentConfidence,
        header: sniff.headerConfidence, encoding: sniff.encodingConfidence,
      },
    },
  };
}
