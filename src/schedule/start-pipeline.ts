import type { FileHandle } from 'node:fs/promises';
import pg from 'pg';
import type { PreparedFile } from '../formats/prepared-file.js';
import { ColumnType } from '../schema/column-type.js';
import { binaryCopyWritable } from '../sink/binary-copy-columns.js';
import { qualifiedTable, type StagingColumn } from '../sink/staging-table.js';
import type { CopyFormat } from '../stages/chunk-stages.js';
import { stagesPlanFor } from '../stages/stage-plan.js';
import type { LoadContext, LoadRequest } from './file-loader.js';
import { widenTable } from './file-widenings.js';
import { lineTerminatorFor } from './line-too-long.js';
import { type PipelineResult, runPipeline } from './load-pipeline.js';

/** What one run of a file's pipeline writes under: its ledger id, table, chunking and the chunks already committed. */
export interface PipelineSetup {
  fileId: number;
  dataset: string;
  chunkSize: number;
  maxRowBytes: number;
  columns: StagingColumn[];
  /** Columns may widen (a table Sluice created; see stagingTableWidens). */
  widens: boolean;
  committed: Map<number, { byteStart: number; byteEnd: number }>;
  gate: Promise<number | false>;
}

export interface OpenFile {
  handle: FileHandle;
  size: number;
  prepared: PreparedFile;
  /** The connection that widens the table's columns during the load. */
  control: pg.ClientBase;
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
  const wanted = request.copyFormat ?? options.copyFormat;
  const copyFormat: CopyFormat = wanted === 'binary' && await binaryCopyWritable(file.control, setup.dataset) ? 'binary' : 'csv';
  const columnTypes = setup.columns.map((c) => c.type);
  const columnNames = setup.columns.map((c) => c.name);
  // A column widens when a value does not fit it, unless the user chose its type (--types) or
  // the table is not one Sluice created.
  const widenable = setup.columns.map((_, i) => setup.widens && prepared.columns[i]?.forced !== true);
  return runPipeline({
    piscina: context.piscina, writers: context.writers, file: file.handle, size: file.size, dataStart: prepared.dataStart, chunkSize: setup.chunkSize,
    maxRowBytes: setup.maxRowBytes, slots: options.workers + options.queueBound, lastRowEnd: prepared.lastRowEnd, countLines: prepared.countLines,
    lineTerminator: lineTerminatorFor(prepared.describe.line_ending, prepared.encoding),
    encodeTask: prepared.encodeTask,
    plan: {
      ...prepared.encodePlan({ fileId: setup.fileId, columnTypes, columnNames, invalidUtf8: options.invalidUtf8, widenable }),
      ...stagesPlanFor(setup.fileId, { dataset: setup.dataset, datasetConfig: request.datasetConfig, columns: setup.columns, sampleValues: prepared.sampleValues }),
      fileId: setup.fileId,
      copyFormat,
    },
    columnTypes, columnNames,
    widenPlan: prepared.widenPlan === undefined ? undefined : (plan, types, nulls) => ({ ...prepared.widenPlan!(plan, types, nulls), fileId: setup.fileId }),
    widenTable: (types) => widenTable(file.control, setup.dataset, columnNames.map((name, i) => ({ name, type: types[i] })), options.log),
    table: qualifiedTable(setup.dataset),
    copySqlFor: (types, format) => copySqlFor(setup.dataset, columnNames.map((name, i) => ({ name, type: types[i] })), prepared, format),
    copyDelimiter: prepared.copyDelimiter, copyQuote: prepared.copyQuote,
    committed: setup.committed, gate: setup.gate, onProgress: request.onProgress, phase,
  });
}
