import assert from 'node:assert/strict';
import { bufferView, indexOfUnit } from '../encoding/code-units.js';
import { detectEncoding } from '../encoding/detect-encoding.js';
import { type CodeUnits, codeUnitsOf, decodeToUtf8, unitWidth } from '../encoding/text-encoding.js';
import { type CsvSniffResult, type SniffOverrides, sniffCsv } from './sniffer.js';

/**
 * Sniffing a CSV file in any encoding: find the encoding first (a UTF-16 file is full of NUL bytes
 * and must not be taken for binary), then sniff the sample as UTF-8 — the file's own bytes when it
 * is UTF-8 (the common case: nothing is decoded or copied), else the sample decoded. The sniffer's
 * answer is in the decoded sample's bytes; where the data starts is mapped back to a byte offset
 * in the file by counting line breaks, which decoding keeps one for one.
 */

/** A line before the table, where it is in the file. */
export interface FilePreambleLine {
  /** 1-based physical line. */
  line: number;
  byteOffset: number;
  /** The line's text (its first MAX_PREAMBLE_RAW bytes, decoded). */
  raw: string;
}

/** Bytes of a preamble line kept as a reject's raw text, as the workers keep of a row. */
const MAX_PREAMBLE_RAW = 64 * 1024;

export interface CsvFileSniff extends Omit<CsvSniffResult, 'encoding' | 'bom' | 'dataStart' | 'preamble'> {
  /** Canonical encoding name (`utf-8`, `utf-16le`, `windows-1252`, …). */
  encoding: string;
  encodingConfidence: number;
  /** Bytes of the byte order mark the file starts with. */
  bomLength: number;
  /** Byte offset in the file of the first data row (after BOM, preamble and header). */
  dataStart: number;
  preamble: FilePreambleLine[];
}

export interface FileSniffSample {
  head: Uint8Array;
  headIsWholeFile: boolean;
  /** Stretches from later in the file and where each starts in it. */
  spots: { bytes: Uint8Array; position: number; endsFile?: boolean }[];
}

/**
 * A header name as the catalog can store it: PostgreSQL's text and jsonb cannot hold U+0000, and
 * a stray NUL in a header line is not binary data (the rows' NULs are NUL_BYTE rejects).
 */
function storable(sniffed: CsvSniffResult['columns']): CsvSniffResult['columns'] {
  return sniffed.some((c) => c.source.includes('\0')) ? sniffed.map((c) => ({ ...c, source: c.source.replaceAll('\0', '\ufffd') })) : sniffed;
}

export function sniffCsvFile(sample: FileSniffSample, overrides: SniffOverrides = {}, encodingOverride?: string): CsvFileSniff {
  const { head, headIsWholeFile } = sample;
  const detected = detectEncoding({ head, headIsWholeFile, spots: sample.spots.map((s) => s.bytes) }, encodingOverride);
  const { encoding, bomLength } = detected;
  const lastSpotEndsFile = sample.spots.at(-1)?.endsFile === true;
  if (encoding === 'utf-8') {
    const { encoding: _utf8, bom, ...sniffed } = sniffCsv({ head, headIsWholeFile, spots: sample.spots.map((s) => s.bytes), lastSpotEndsFile }, overrides);
    const preamble = sniffed.preamble.map((l) => ({ line: l.line, byteOffset: l.start, raw: rawText(head, l.start, l.end) }));
    return { ...sniffed, preamble, columns: storable(sniffed.columns), encoding, encodingConfidence: detected.confidence, bomLength: bom ? 3 : 0 };
  }

  const units = codeUnitsOf(encoding);
  const body = head.subarray(bomLength);
  const decodedHead = decodeToUtf8(body, encoding);
  // A UTF-16 spot must start on a code unit (an even offset: a BOM is two bytes); any other
  // encoding may start mid-character — the sniffer drops a spot's first, partial line anyway.
  const decodedSpots = sample.spots.map(({ bytes, position }) => decodeToUtf8(bytes.subarray(units === 'bytes' ? 0 : position & 1), encoding));
  const { encoding: _utf8, bom: _bom, ...sniffed } = sniffCsv({ head: decodedHead, headIsWholeFile, spots: decodedSpots, lastSpotEndsFile }, overrides);
  const lastLine = sniffed.preamble.length === 0 ? 0 : sniffed.preamble[sniffed.preamble.length - 1].line;
  const lineStarts = originalLineStarts(body, lastLine, sniffed.dialect.newline, units);
  return {
    ...sniffed,
    columns: storable(sniffed.columns),
    preamble: sniffed.preamble.map((l) => ({ line: l.line, byteOffset: bomLength + lineStarts[l.line - 1], raw: rawText(decodedHead, l.start, l.end) })),
    encoding,
    encodingConfidence: detected.confidence,
    bomLength,
    dataStart: bomLength + originalLineStart(body, decodedHead, sniffed.dataStart, sniffed.dialect.newline, units),
  };
}

/**
 * The offset in `original` of the line that starts at `decodedIndex` in `decoded` (its UTF-8
 * decoding): the line after the same number of newlines. The end of the decoded text maps to the
 * end of the original.
 */
export function originalLineStart(original: Uint8Array, decoded: Uint8Array, decodedIndex: number, newline: number, units: CodeUnits): number {
  if (decodedIndex >= decoded.length) return original.length;
  const decodedView = bufferView(decoded);
  let lines = 0;
  for (let i = decodedView.indexOf(newline); i !== -1 && i < decodedIndex; i = decodedView.indexOf(newline, i + 1)) lines++;
  const view = bufferView(original);
  const width = unitWidth(units);
  let at = 0;
  for (let k = 0; k < lines; k++) {
    const found = indexOfUnit(view, newline, at, units);
    assert.ok(found !== -1, 'decoding changed the number of line breaks in the sniff sample');
    at = found + width;
  }
  return at;
}

/** Offsets in `original` of its first `count` line starts. */
function originalLineStarts(original: Uint8Array, count: number, newline: number, units: CodeUnits): number[] {
  const starts: number[] = [];
  const view = bufferView(original);
  const width = unitWidth(units);
  for (let at = 0; starts.length < count;) {
    starts.push(at);
    const found = indexOfUnit(view, newline, at, units);
    assert.ok(found !== -1 || starts.length === count, 'decoding changed the number of line breaks in the sniff sample');
    at = found + width;
  }
  return starts;
}

function rawText(bytes: Uint8Array, start: number, end: number): string {
  return bufferView(bytes, start, Math.min(end, start + MAX_PREAMBLE_RAW)).toString('utf8');
}
