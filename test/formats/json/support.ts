/**
 * Test helpers for the JSON format: cut a text into chunks exactly as the chunk planner does,
 * parse each chunk into a ColumnBatch with the real parser, read the rows back from the batch, and
 * read the COPY CSV the batch encodes to (with NULL — an empty unquoted field — told apart from an
 * empty string, which csv-parser cannot do).
 */
import assert from 'node:assert/strict';
import { ColumnBatch } from '../../../src/batch/column-batch.js';
import { ByteSink } from '../../../src/formats/byte-sink.js';
import { COMMA, QUOTE } from '../../../src/formats/json/json-scanner.js';
import { type JsonParsePlan, type JsonParseStats, parseJsonChunk } from '../../../src/formats/json/parse-chunk.js';
import { type JsonLayout, lastRowEndFor } from '../../../src/formats/json/row-boundary.js';
import type { ColumnFormat } from '../../../src/schema/value-format.js';
import { ColumnType, type ColumnTypeCode } from '../../../src/schema/column-type.js';
import { finishChunk } from '../../../src/stages/chunk-stages.js';

export interface Chunk {
  start: number;
  end: number;
}

/** The planner's cut loop (chunk-planner.ts) without the ring: fixed chunk size, doubling when no row ends. */
export function planChunks(bytes: Buffer, dataStart: number, chunkSize: number, layout: JsonLayout): Chunk[] {
  const rule = lastRowEndFor(layout);
  const chunks: Chunk[] = [];
  let offset = dataStart;
  while (offset < bytes.length) {
    let want = Math.min(chunkSize, bytes.length - offset);
    let end = bytes.length;
    while (offset + want < bytes.length) {
      // The planner hands the rule a buffer that starts at the chunk: from = 0.
      const cut = rule(bytes.subarray(offset, offset + want), 0, want);
      if (cut > 0) { end = offset + cut; break; }
      want = Math.min(want * 2, bytes.length - offset);
    }
    chunks.push({ start: offset, end });
    offset = end;
  }
  return chunks;
}

export interface CopyRow {
  fileId: number;
  offset: number;
  /** null: an empty unquoted field (NULL). */
  values: (string | null)[];
}

/** Reads COPY CSV (delimiter `,`, quote `"`, LF rows) as PostgreSQL does, NULL told apart. */
export function readCopyCsv(text: string): CopyRow[] {
  const rows: CopyRow[] = [];
  let i = 0;
  while (i < text.length) {
    const fields: (string | null)[] = [];
    for (;;) {
      let value: string | null;
      if (text[i] === '"') {
        let out = '';
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q === -1) throw new Error('unclosed quote in COPY output');
          out += text.slice(i, q);
          if (text[q + 1] === '"') { out += '"'; i = q + 2; continue; }
          i = q + 1;
          break;
        }
        value = out;
      } else {
        let j = i;
        while (j < text.length && text[j] !== ',' && text[j] !== '\n') j++;
        value = j === i ? null : text.slice(i, j);
        i = j;
      }
      fields.push(value);
      if (text[i] === ',') { i++; continue; }
      if (text[i] === '\n') { i++; break; }
      if (i >= text.length) break;
      throw new Error(`unexpected ${JSON.stringify(text[i])} after a field at ${i}`);
    }
    rows.push({ fileId: Number(fields[0]), offset: Number(fields[1]), values: fields.slice(2) });
  }
  return rows;
}

export interface RejectRow {
  chunkNo: number;
  chunkLine: number;
  offset: number;
  reason: string;
  detail: string;
  raw: string;
}

function copyTextUnescape(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c));
}

export function readRejects(text: string): RejectRow[] {
  return text.split('\n').filter((line) => line !== '').map((line) => {
    const [, chunkNo, chunkLine, offset, reason, detail, raw] = line.split('\t');
    return { chunkNo: Number(chunkNo), chunkLine: Number(chunkLine), offset: Number(offset), reason, detail: copyTextUnescape(detail), raw: copyTextUnescape(raw) };
  });
}

/** One row of a batch as strings: what the stages and the COPY encoder read. */
export interface BatchRow {
  offset: number;
  line: number;
  /** The record's bytes (a reject row's `raw` when a stage refuses it). */
  raw: string;
  /** null: NULL. */
  values: (string | null)[];
}

export function batchRows(batch: ColumnBatch): BatchRow[] {
  const rows: BatchRow[] = [];
  for (let r = 0; r < batch.rowCount; r++) {
    rows.push({ offset: batch.rowOffset[r], line: batch.rowLine[r], raw: batch.rawText(r), values: batch.columns.map((column) => batch.text(column, r)) });
  }
  return rows;
}

export interface ParsedFile {
  rows: BatchRow[];
  rejects: RejectRow[];
  stats: JsonParseStats[];
  chunks: Chunk[];
}

export interface PlanOptions {
  layout: JsonLayout;
  paths: string[][];
  types?: ColumnTypeCode[];
  /** Per column, how its strings are written (the sniffer's `format`), as the load passes them. */
  columnFormats?: (ColumnFormat | null)[];
  dataEnd?: number;
  invalidUtf8?: 'reject' | 'replace';
}

let schemaNumber = 0;

/**
 * Plans and parses every chunk (one batch reused, as in a worker), and reads the rows back. Each
 * chunk is also encoded as the encode task does (no stages; small output slots, so overflow is
 * exercised too), and its COPY CSV must read back as the batch's rows.
 */
export function parseFile(bytes: Buffer, dataStart: number, chunkSize: number, options: PlanOptions): ParsedFile {
  const chunks = planChunks(bytes, dataStart, chunkSize, options.layout);
  const types = options.types ?? options.paths.map(() => ColumnType.text);
  const schemaKey = `test-${++schemaNumber}`;
  const result: ParsedFile = { rows: [], rejects: [], stats: [], chunks };
  const batch = new ColumnBatch();
  chunks.forEach((chunk, chunkNo) => {
    const plan: JsonParsePlan = {
      layout: options.layout, schemaKey, paths: options.paths, columnTypes: types, columnNames: options.paths.map((p) => p.join('_')),
      fileId: 7, chunkNo, baseOffset: chunk.start, dataEnd: options.dataEnd ?? bytes.length, invalidUtf8: options.invalidUtf8 ?? 'reject',
      ...(options.columnFormats === undefined ? {} : { columnFormats: options.columnFormats }),
    };
    // The chunk alone in a buffer of its own, as in a ring slot.
    const input = Buffer.from(bytes.subarray(chunk.start, chunk.end));
    const data = new ByteSink(new Uint8Array(64));
    const rejects = new ByteSink(new Uint8Array(64));
    result.stats.push(parseJsonChunk(input, 0, input.length, plan, batch, rejects));
    const rows = batchRows(batch);
    finishChunk(batch, { fileId: 7, chunkNo, copyDelimiter: COMMA, copyQuote: QUOTE }, data, rejects);
    const copied = readCopyCsv(Buffer.from(data.view()).toString('utf8'));
    assert.deepEqual(copied, rows.map((row) => ({ fileId: 7, offset: row.offset, values: row.values })), 'COPY CSV reads back as the batch');
    result.rows.push(...rows);
    result.rejects.push(...readRejects(Buffer.from(rejects.view()).toString('utf8')));
  });
  return result;
}
