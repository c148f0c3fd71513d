import type { FileHandle } from 'node:fs/promises';
import pg from 'pg';
import type { ControlSession } from './control-session.js';
import type { PreparedFile } from '../formats/prepared-file.js';
import { ColumnType } from '../schema/column-type.js';
import { binaryCopyWritable } from '../sink/binary-copy-columns.js';
import { qualifiedTable, type StagingColumn } from '../sink/staging-table.js';
import type { CopyFormat } from '../stages/chunk-stages.js';
import { stagesPlanFor } from '../stages/stage-plan.js';
import type { ColumnShape } from './column-shape.js';
import type { LoadContext, LoadRequest } from './file-loader.js';
import { widenTable } from './file-widenings.js';
import { lineTerminatorFor } from './line-too-long.js';
import { type PipelineResult, runPipeline } from './load-pipeline.js';

/** What one run of a file's pipeline writes under: its ledger id, table, chunking and the chunks already committed. */
export interface PipelineSetup {
  fileId: number;
  dataset: string;
  /** The dataset's schema is frozen (schema.policy freeze, table exists): no column widens or is added. */
  frozen: boolean;
  chunkSize: number;
  maxRowBytes: number;
  columns: StagingColumn[];
  /** Columns may widen (a table Sluice created; see stagingTableWidens). */
  widens: boolean;
  committed: Map<number, { byteStart: number; byteEnd: number }>;
  gate: Promise<number | false>;
  /** Chunks report keys outside the columns (late-columns.ts) rather than skip them: false once the load stopped adding columns. */
  lateKeys: boolean;
}

export interface OpenFile {
  handle: FileHandle;
  size: number;
  prepared: PreparedFile;
  /** The parser's and the table's columns (they differ when transforms reshape them). */
  shape: ColumnShape;
  /** The load's control connection: it widens the table's columns during the load. */
  control: ControlSession;
}

function copySqlFor(dataset: string, columns: readonly StagingColumn[], prepared: PreparedFile, format: CopyFormat): string {
  const names = ['_file', '_offset', ...columns.map((c) => c.name)].map((n) => pg.escapeIdentifier(n));
  if (format === 'binary') return `COPY ${qualifiedTable(dataset)} (${names.join(', ')}) FROM STDIN WITH (FORMAT binary)`;
  const typed = columns.filter((c) => c.type !== ColumnType.text).map((c) => pg.escapeIdentifier(c.name));
  const options = [
    'FORMAT csv',
    `DELIMITER ${pg.escapeLiteral(String.fromCharCode(prepared.copyDelimiter))}`,
    `QUOTE ${pg.escapeLiteral(String.fromCharCode(prepared.copyQuote))}`,
    // A quoted empty field in a typed column is a missing value, not an invalid one.
    ...(typed.length > 0 ? [`FORCE_NULL (${typed.join(', ')})`] : []),
  ];
  return `COPY ${qualifiedTable(dataset)} (${names.join(', ')}) FROM STDIN WITH (${options.join(', ')})`;
}

/**
 * Runs the parallel pipeline (load-pipeline.ts) for one file under a setup: the format's encode
 * plan for the table's columns, the stages the dataset's configuration asks for, widening of the
 * table's columns as values need it, and the COPY statement for the encoded rows.
 */
export async function startPipeline(context: LoadContext, request: LoadRequest, setup: PipelineSetup, file: OpenFile, phase: (name: string) => void): Promise<PipelineResult> {
  const { options } = context;
  const { prepared } = file;
  const { shape } = file;
  const columnTypes = setup.columns.map((c) => c.type);
  const columnNames = setup.columns.map((c) => c.name);
  // Binary rows are written under the types the transforms decide; a table that holds other
  // (wider) types already takes the rows as CSV, which PostgreSQL casts.
  const wanted = request.copyFormat ?? options.copyFormat;
  const typesAsShaped = !shape.reshaped || (columnTypes.length === shape.table.length && columnTypes.every((t, i) => t === shape.table[i].type));
  const copyFormat: CopyFormat = wanted === 'binary' && typesAsShaped && await file.control.step((client) => binaryCopyWritable(client, setup.dataset)) ? 'binary' : 'csv';
  // The parser reads the file's columns: the table's (same names and order) unless transforms
  // reshape them. A column widens when a value does not fit it, unless the user chose its type
  // (--types), the table is not one Sluice created, or transforms reshape the columns.
  const parser = shape.reshaped
    ? shape.parser.map((c) => ({ name: c.name, type: c.type }))
    : setup.columns.map((c) => ({ name: c.name, type: c.type }));
  const widenable = parser.map((_, i) => !shape.reshaped && setup.widens && prepared.columns[i]?.forced !== true);
  return runPipeline({
    piscina: context.piscina, writers: context.writers, file: file.handle, size: file.size, dataStart: prepared.dataStart, chunkSize: setup.chunkSize,
    maxRowBytes: setup.maxRowBytes, slots: options.workers + options.queueBound, lastRowEnd: prepared.lastRowEnd, countLines: prepared.countLines,
    lineTerminator: lineTerminatorFor(prepared.describe.line_ending, prepared.encoding),
    encodeTask: prepared.encodeTask,
    plan: {
      ...prepared.encodePlan({
        fileId: setup.fileId, columnTypes: parser.map((c) => c.type), columnNames: parser.map((c) => c.name), invalidUtf8: options.invalidUtf8, widenable,
        lateKeys: setup.lateKeys, rejectNames: shape.tableNames,
      }),
      ...stagesPlanFor(setup.fileId, {
        dataset: setup.dataset, datasetConfig: request.datasetConfig, columns: shape.reshaped ? shape.sniffed : setup.columns, sampleValues: prepared.sampleValues,
        steps: shape.steps, frozenOut: shape.frozenOut, timeseries: request.timeseries,
      }),
      fileId: setup.fileId,
      copyFormat,
      // A frozen schema never widens: a value that does not fit is a SCHEMA reject, not a CAST one.
      ...(setup.frozen ? { misfitReason: 'SCHEMA' } : {}),
    },
    columnTypes, columnNames,
    widenPlan: prepared.widenPlan === undefined || shape.reshaped ? undefined : (plan, types, nulls) => ({ ...prepared.widenPlan!(plan, types, nulls), fileId: setup.fileId }),
    widenTable: (types) => file.control.step((client) => widenTable(client, setup.dataset, columnNames.map((name, i) => ({ name, type: types[i] })), options.log)),
    table: qualifiedTable(setup.dataset),
    copySqlFor: (types, format) => copySqlFor(setup.dataset, columnNames.map((name, i) => ({ name, type: types[i] })), prepared, format),
    copyDelimiter: prepared.copyDelimiter, copyQuote: prepared.copyQuote,
    committed: setup.committed, gate: setup.gate, onProgress: request.onProgress, onChunk: request.onChunk, onQueue: context.onQueue, phase,
  });
}
