import type { FileHandle } from 'node:fs/promises';
import type { ColumnTypeCode } from '../schema/column-type.js';
import type { ColumnFormat } from '../schema/value-format.js';

/**
 * What the loader needs from a format, once the format has looked at a file. The loader (hash,
 * claim, staging table, pipeline, ledger) is the same for every format; a format decides where rows
 * end, how a worker turns a chunk into COPY bytes, and what it found out about the file.
 */

export interface PreparedColumn {
  /** Safe identifier. */
  name: string;
  /** Header or key as written in the file. */
  source: string;
  type: ColumnTypeCode;
  confidence: number;
  /** How values are written when not plain (`DD/MM/YYYY`, `1.234,5`, null tokens), for the summary. */
  format?: string | null;
  /** Day/month order could not be told from the sample. */
  ambiguous?: boolean;
  /** The user named this column's type (`--types`): it keeps it, and values that do not fit are rejected. */
  forced?: boolean;
}

/** Per-load facts every format's encode plan carries. */
export interface EncodeLoad {
  fileId: number;
  columnTypes: readonly ColumnTypeCode[];
  columnNames: readonly string[];
  /** Rows with invalid UTF-8: rejected, or loaded with U+FFFD. */
  invalidUtf8: 'reject' | 'replace';
  /** Columns that may widen during the load when a value does not fit (default: none). */
  widenable?: readonly boolean[];
  /**
   * A chunk whose rows hold keys outside the columns reports them (as LateColumn) instead of being
   * encoded without their values; otherwise such keys are skipped and counted. Formats without
   * `withLateColumns` ignore it.
   */
  lateKeys?: boolean;
  /** Per column, the table column its values land in, for reject details (default: columnNames). */
  rejectNames?: readonly string[];
}

/**
 * A column a chunk found that the sniff did not (JSON: a key first seen past the sample), typed by
 * the sniffer's rules from that chunk's values.
 */
export interface LateColumn {
  /** JSON: the keys from the record down to the value. */
  path: string[];
  type: ColumnTypeCode;
  /** How its string values are written (see JsonSniffColumn.format); null: as they are. */
  format: ColumnFormat | null;
  confidence: number;
}

export interface PreparedFile {
  format: 'csv' | 'json' | 'ndjson';
  encoding: string;
  /** Byte offset of the first data row (after BOM, preamble and header). */
  dataStart: number;
  columns: PreparedColumn[];
  /** The index just after the last complete row in bytes[from, to) (`from` is a row start), or -1. */
  lastRowEnd: (bytes: Buffer, from: number, to: number) => number;
  /** Row terminators (physical lines) in bytes[from, to), for reject line numbers. Default: LF bytes. */
  countLines?: (bytes: Uint8Array, from: number, to: number) => number;
  /**
   * Lines before the table that are not data (CSV: a title, notes, comment lines): where they
   * are, for rejects with reason PREAMBLE when the load asks for them (LoadRequest.keepPreamble).
   */
  preamble?: { line: number; byteOffset: number; raw: string }[];
  /**
   * Sampled values per column, as written in the file (at most a few thousand per column; CSV:
   * rows aligned across columns, null for an empty field; JSON: each column's values present in
   * the sample): the stages' baselines are computed from them (value anomalies, the types of
   * transformed columns). Absent: the format keeps no sample (the stages then go without).
   */
  sampleValues?: (string | null)[][];
  /** The piscina task (an export of workers/chunk-worker) that encodes one chunk. */
  encodeTask: string;
  /**
   * The format's encode plan for a load, sent with every chunk (chunkNo and baseOffset are added
   * per chunk). Plain data: it crosses to the workers by structured clone.
   */
  encodePlan(load: EncodeLoad): Record<string, unknown>;
  /**
   * The plan with columns read as wider types (the loader widened them during the load: see
   * schema/type-widening.ts), and null tokens read as NULL where `nullTokens` says so. Absent: the
   * format's encoder never asks to widen.
   */
  widenPlan?(plan: Record<string, unknown>, columnTypes: readonly ColumnTypeCode[], nullTokens: readonly boolean[]): Record<string, unknown>;
  /**
   * The file with these columns after its own (the loader adds them to the table and loads the rest
   * of the file under them: see schedule/late-columns.ts). Absent: the sniff fixed the columns.
   */
  withLateColumns?(found: readonly LateColumn[]): PreparedFile;
  /** How the worker writes COPY rows: `FORMAT csv` with this delimiter and quote, LF terminated. */
  copyDelimiter: number;
  copyQuote: number;
  /** 1-based line number of the first data row, for absolute reject lines. */
  firstDataLine(file: FileHandle): Promise<number>;
  /** Format-specific facts for the summary (delimiter, quote, header, line ending, confidences). */
  describe: {
    delimiter: string | null;
    quote: string | null;
    /** CSV: the escape character inside fields (`\\`), null when quotes are doubled. */
    escape?: string | null;
    /** CSV: the character that starts a comment line, null when there are none. */
    comment?: string | null;
    line_ending: 'LF' | 'CRLF' | 'CR' | null;
    header: boolean | null;
    /** CSV: non-blank lines before the header (or the first row), not loaded. */
    preamble_lines?: number;
    confidence: Record<string, number> | null;
    /** JSON: occurrences of keys outside the columns, not loaded once the load stopped adding columns (read when the load ends). */
    ignored_keys?: number;
    /** JSON: the keys down to the array the records were read from, inside an envelope object (`data.items`). */
    json_path?: string;
  };
}
