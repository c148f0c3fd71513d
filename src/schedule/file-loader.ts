import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import pg from 'pg';
import type { Piscina } from 'piscina';
import { registerStagingLoad } from '../catalog/register.js';
import type { ResolvedOptions } from '../config.js';
import type { DatasetConfig, SluiceConfig } from '../configuration/config-schema.js';
import { datasetIdentity } from '../configuration/dataset-identity.js';
import { SluiceError, toPlainError } from '../errors.js';
import { prepareCsv } from '../formats/csv/prepare-csv.js';
import { detectFormat } from '../formats/detect-format.js';
import { prepareJson } from '../formats/json/prepare-json.js';
import type { FormatOverrides } from '../formats/overrides.js';
import type { PreparedFile } from '../formats/prepared-file.js';
import { ColumnType, postgresTypeName } from '../schema/column-type.js';
import { datasetNameFor, normaliseIdentifier } from '../schema/identifiers.js';
import type { CopyWriter } from '../sink/copy-writer.js';
import { displayTable, ensureStagingTable, plannedColumns, qualifiedTable, sameColumns, type StagingColumn, stagingTableWidens } from '../sink/staging-table.js';
import { inputLabel, inUserTerms, type ResolvedInput, resolveInput, resolveOptionsFrom } from '../sources/resolve-input.js';
import { emptySummary, type FileSummary } from '../summary.js';
import { fileWidenings, widenTable } from './file-widenings.js';
import { claimFile, completeFile, failFile, releaseFile, reserveFileId, tryHoldFile, waitHoldFile, yieldAttempt } from './ledger.js';
import { lineTerminatorFor } from './line-too-long.js';
import { type PipelineResult, runPipeline } from './load-pipeline.js';
import { loadWorkbook } from './workbook-loader.js';
import '../stages/all-stages.js';
import { runLoadFinishers } from '../stages/load-finish.js';
import { stagesPlanFor } from '../stages/stage-plan.js';

/**
 * Loads one file:
 *
 *   stat ─┬─ prepare (format; a worker sniffs) ── planned columns ── pipeline starts reading + encoding ─┐
 *         └─ sha256 (here) ─────────────────────────── claim in the ledger ── staging DDL ── gate opens: COPY
 *                                                                                        └─ complete
 *
 * The hash decides whether the file is new, already loaded (skip) or half loaded (resume), so
 * nothing is written before it is known — but the first chunks are read and encoded meanwhile,
 * under a file id reserved up front. When the claim confirms that id (a new file), they are
 * written; otherwise they are dropped and the pipeline runs again with the ledger's id and the
 * chunks it already holds.
 */

export interface LoadContext {
  pool: pg.Pool;
  piscina: Piscina;
  writers: CopyWriter[];
  options: ResolvedOptions;
  /** The validated configuration file (datasets, their match globs and stage options); none: every default. */
  configuration?: SluiceConfig;
}

export interface LoadRequest {
  dataset?: string;
  /**
   * The configuration of the file's dataset, for the worker stages; decided with the dataset by
   * loadInput (configuration/dataset-identity.ts), so callers leave it unset.
   */
  datasetConfig?: DatasetConfig;
  force?: boolean;
  /** Decisions the user made instead of the sniffer. */
  overrides?: FormatOverrides;
  /** Write the lines before the table (preamble) to ingest.rejects with reason PREAMBLE; by default they are only counted. */
  keepPreamble?: boolean;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  /**
   * Summary fields that describe what the user loaded when the file is a stand-in for part of it
   * (a workbook sheet spooled as CSV: format, sheet, the workbook's sha256); they win over the
   * stand-in's own, in the result and in the ledger.
   */
  summary?: Partial<FileSummary>;
}

const EMPTY_CONFIGURATION: SluiceConfig = { datasets: {} };

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
}

/** Logs when each phase of a load ends, in ms since the load began (SLUICE_DEBUG=1 shows them). */
function phaseLogger(log: (line: string) => void, file: string, started: number): (phase: string) => void {
  return (phase) => log(`${file}: ${phase} at ${Math.round(performance.now() - started)} ms`);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function copySqlFor(dataset: string, columns: readonly StagingColumn[], prepared: PreparedFile): string {
  const names = ['_file', '_offset', ...columns.map((c) => c.name)].map((n) => pg.escapeIdentifier(n));
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
 * Looks at the file in the way its format needs (a worker sniffs the sample). `label` names the
 * input in messages as the user gave it (`path` may be a spooled copy).
 */
export async function prepareFile(piscina: Piscina, path: string, size: number, overrides: FormatOverrides = {}, label = path): Promise<PreparedFile> {
  const format = await detectFormat(path);
  switch (format) {
    case 'csv': return prepareCsv(piscina, path, size, overrides);
    case 'json': case 'ndjson': return prepareJson(piscina, path, size, format, overrides, label);
    // Workbooks are converted sheet by sheet before they load (schedule/workbook-loader.ts).
    case 'xlsx': throw new SluiceError('SLUICE_ERR_FORMAT_UNSUPPORTED', `${label} is an Excel workbook: sluice load reads it sheet by sheet; sluice sniff does not read workbooks yet`);
    // gzip inside gzip: the input was decompressed once already.
    case 'gzip': throw new SluiceError('SLUICE_ERR_FORMAT_UNSUPPORTED', `${label} is gzip-compressed twice: decompress it once first (gunzip)`);
  }
}

interface PipelineSetup {
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

/**
 * Loads what the user named (`path`: a file, a .gz, an http(s) URL): resolves it to a local file
 * first (download, gunzip — see sources/resolve-input.ts), and removes what that spooled when the
 * load ends. The summary's `file` stays `path`; the ledger's `source` says where the bytes came from.
 */
export async function loadFile(context: LoadContext, path: string, request: LoadRequest = {}): Promise<FileSummary> {
  const summaries = await loadInput(context, path, request);
  // A workbook gives one summary per sheet: the first failure speaks for it, else the first sheet.
  return summaries.find((s) => s.status === 'failed') ?? summaries[0];
}

/** Like loadFile, with every summary: one per file, or one per sheet of a workbook. */
export async function loadInput(context: LoadContext, path: string, request: LoadRequest = {}): Promise<FileSummary[]> {
  const started = performance.now();
  const { options } = context;
  let input: ResolvedInput;
  try {
    input = await resolveInput(path, resolveOptionsFrom(options));
  } catch (error) {
    return [{ ...emptySummary(path), status: 'failed', error: inUserTerms(toPlainError(error), { localPath: resolve(path), label: inputLabel(path) }), duration_ms: Math.round(performance.now() - started) }];
  }
  // A dataset chosen by the configuration's `match` globs is treated as if named with --dataset
  // (a workbook's sheets become <name>_<sheet>); a file matched by none keeps its stem.
  const identity = datasetIdentity(context.configuration ?? EMPTY_CONFIGURATION, path, basename(input.localPath), request.dataset);
  const routed: LoadRequest = { ...request, dataset: identity.by === 'stem' ? undefined : identity.name, datasetConfig: request.datasetConfig ?? identity.config };
  try {
    if (await detectFormat(input.localPath).catch(() => null) === 'xlsx') {
      return await loadWorkbook(context, {
        path, input, request: routed, started, hash: sha256File,
        loadSheet: (sheetInput, sheetRequest) => loadLocalFile(context, path, sheetInput, sheetRequest, started),
      });
    }
    return [await loadLocalFile(context, path, input, routed, started)];
  } finally {
    await input.cleanup();
  }
}

async function loadLocalFile(context: LoadContext, path: string, input: ResolvedInput, request: LoadRequest, started: number): Promise<FileSummary> {
  const { options } = context;
  const absolute = input.localPath;
  const blank: FileSummary = { ...emptySummary(path), compression: input.compression };
  const finish = (patch: Partial<FileSummary>): FileSummary => ({ ...blank, ...patch, ...request.summary, duration_ms: Math.round(performance.now() - started) });
  const phase = phaseLogger(options.log, basename(absolute), started);

  let size: number;
  try {
    const info = await stat(absolute);
    if (!info.isFile()) throw new SluiceError('SLUICE_ERR_FILE_NOT_FOUND', `not a regular file: ${input.label}`);
    size = info.size;
  } catch (error) {
    const plain = error instanceof SluiceError ? toPlainError(error) : { code: 'SLUICE_ERR_FILE_NOT_FOUND', message: `cannot read ${input.label}: ${(error as Error).message}` };
    return finish({ status: 'failed', error: inUserTerms(plain, input) });
  }

  const preparation = settle(prepareFile(context.piscina, absolute, size, request.overrides, input.label));
  // A spooled file was hashed while it was written.
  const hashing = settle(input.sha256 !== undefined ? Promise.resolve(input.sha256) : sha256File(absolute));
  const requestedDataset = request.dataset !== undefined ? normaliseIdentifier(request.dataset, 'dataset') : datasetNameFor(basename(absolute));
  const control = await context.pool.connect();
  let file: FileHandle | undefined;
  /** The content this session holds while loading it (see tryHoldFile). */
  let held: string | undefined;
  try {
    const reservedId = await reserveFileId(control);
    const preparedOutcome = await preparation;
    phase('prepared');
    file = await open(absolute, 'r');

    const start = (setup: PipelineSetup, prepared: PreparedFile): Promise<PipelineResult> => {
      const columnTypes = setup.columns.map((c) => c.type);
      const columnNames = setup.columns.map((c) => c.name);
      // A column widens when a value does not fit it, unless the user chose its type (--types) or
      // the table is not one Sluice created.
      const widenable = setup.columns.map((_, i) => setup.widens && prepared.columns[i]?.forced !== true);
      return runPipeline({
        piscina: context.piscina, writers: context.writers, file: file!, size, dataStart: prepared.dataStart, chunkSize: setup.chunkSize,
        maxRowBytes: setup.maxRowBytes, slots: options.workers + options.queueBound, lastRowEnd: prepared.lastRowEnd, countLines: prepared.countLines,
        lineTerminator: lineTerminatorFor(prepared.describe.line_ending, prepared.encoding),
        encodeTask: prepared.encodeTask,
        plan: {
          ...prepared.encodePlan({ fileId: setup.fileId, columnTypes, columnNames, invalidUtf8: options.invalidUtf8, widenable }),
          ...stagesPlanFor(setup.fileId, { dataset: setup.dataset, datasetConfig: request.datasetConfig, columns: setup.columns, sampleValues: prepared.sampleValues }),
          fileId: setup.fileId,
        },
        columnTypes, columnNames,
        widenPlan: prepared.widenPlan === undefined ? undefined : (plan, types, nulls) => ({ ...prepared.widenPlan!(plan, types, nulls), fileId: setup.fileId }),
        widenTable: (types) => widenTable(control, setup.dataset, columnNames.map((name, i) => ({ name, type: types[i] })), options.log),
        copySqlFor: (types) => copySqlFor(setup.dataset, columnNames.map((name, i) => ({ name, type: types[i] })), prepared),
        copyDelimiter: prepared.copyDelimiter, copyQuote: prepared.copyQuote,
        committed: setup.committed, gate: setup.gate, onProgress: request.onProgress, phase,
      });
    };

    // Start reading and encoding under the reserved id while the hash is computed.
    let openGate: (attempt: number | false) => void = () => undefined;
    let speculative: { pipeline: Promise<Settled<PipelineResult>>; columns: StagingColumn[]; widens: boolean } | undefined;
    if (preparedOutcome.ok) {
      const columns = await plannedColumns(control, requestedDataset, preparedOutcome.value.columns.map((c) => ({ name: c.name, type: c.type })));
      const widens = await stagingTableWidens(control, requestedDataset);
      const gate = new Promise<number | false>((resolveGate) => { openGate = resolveGate; });
      const setup = { fileId: reservedId, dataset: requestedDataset, chunkSize: options.chunkSize, maxRowBytes: options.maxRowBytes, columns, widens, committed: new Map(), gate };
      speculative = { pipeline: settle(start(setup, preparedOutcome.value)), columns, widens };
    }

    const hashed = await hashing;
    phase('hashed');
    if (!hashed.ok) {
      openGate(false);
      await speculative?.pipeline;
      return finish({ status: 'failed', error: inUserTerms({ code: 'SLUICE_ERR_FILE_READ', message: `cannot read ${input.label}: ${(hashed.error as Error).message}` }, input) });
    }
    const sha256 = hashed.value;
    const claimRequest = {
      sha256, path: absolute, source: input.source, sizeBytes: size, dataset: requestedDataset, tableName: displayTable(requestedDataset),
      chunkSize: options.chunkSize, maxRowBytes: options.maxRowBytes, force: request.force === true, newId: reservedId,
    };
    let claim = await claimFile(control, claimRequest);
    if (claim.kind === 'load') {
      if (!(await tryHoldFile(control, sha256))) {
        // Another process is loading this content: step aside, wait for it, and claim again —
        // it will have loaded the file (skip) or stopped part way (resume).
        openGate(false);
        await speculative?.pipeline;
        speculative = undefined;
        await yieldAttempt(control, claim.fileId, claim.attempt);
        phase('waiting for another process loading the same content');
        await waitHoldFile(control, sha256);
        held = sha256;
        claim = await claimFile(control, claimRequest);
      } else {
        held = sha256;
      }
    }
    phase('claimed');
    if (claim.kind === 'skip') {
      openGate(false);
      await speculative?.pipeline;
      return finish({ ...(claim.summary ?? blank), file: path, compression: input.compression, sha256, status: 'skipped', error: null });
    }

    try {
      if (!preparedOutcome.ok) throw preparedOutcome.error;
      const prepared = preparedOutcome.value;
      const columns = await ensureStagingTable(control, claim.dataset, prepared.columns.map((c) => ({ name: c.name, type: c.type })));
      const widens = await stagingTableWidens(control, claim.dataset);
      phase('staging table ready');
      const reusable = speculative !== undefined && claim.fileId === reservedId && claim.committed.size === 0
        && claim.dataset === requestedDataset && claim.chunkSize === options.chunkSize && claim.maxRowBytes === options.maxRowBytes
        && sameColumns(columns, speculative.columns) && widens === speculative.widens;
      let outcome: Settled<PipelineResult>;
      if (reusable) {
        openGate(claim.attempt);
        outcome = await speculative!.pipeline;
      } else {
        // A resume (another id, chunks already committed) or a table that changed meanwhile.
        openGate(false);
        await speculative?.pipeline;
        const setup = {
          fileId: claim.fileId, dataset: claim.dataset, chunkSize: claim.chunkSize, maxRowBytes: claim.maxRowBytes, columns, widens, committed: claim.committed,
          gate: Promise.resolve(claim.attempt),
        };
        outcome = await settle(start(setup, prepared));
      }
      if (!outcome.ok) throw outcome.error;
      phase('all chunks committed');
      const counts = { loaded: outcome.value.chunksLoaded, skipped: outcome.value.chunksSkipped };
      // The table's types now: widened during this load (or an earlier attempt of it, or by another load meanwhile).
      const finalColumns = await plannedColumns(control, claim.dataset, columns);
      const firstDataLine = await prepared.firstDataLine(file);
      const widened = await fileWidenings(control, claim.fileId, firstDataLine, finalColumns);
      const summary = await completeFile(control, claim.fileId, claim.attempt, firstDataLine, counts, (totals, samples) => finish({
        file: path, sha256, status: 'loaded', dataset: claim.dataset, table: displayTable(claim.dataset), format: prepared.format, encoding: prepared.encoding,
        ...prepared.describe, rows: totals.rows, rejected: totals.rejected, widened,
        columns: finalColumns.map((c, i) => {
          const found = prepared.columns[i];
          const sameType = found?.type === c.type;
          return {
            name: c.name, source: found?.source ?? '', type: postgresTypeName(c.type), confidence: found?.confidence ?? 1,
            format: sameType ? found?.format ?? null : null, ...(sameType && found?.ambiguous === true ? { ambiguous: true } : {}),
          };
        }),
        reject_samples: samples, chunks: { total: totals.chunks, loaded: counts.loaded, skipped: counts.skipped },
      }), request.keepPreamble === true ? prepared.preamble : undefined, (client, totals) => runLoadFinishers({
        client, fileId: claim.fileId, dataset: claim.dataset, table: qualifiedTable(claim.dataset), columns: finalColumns, ...totals, datasetConfig: request.datasetConfig,
      }));
      await registerStagingLoad(control, { fileId: claim.fileId, summary });
      return summary;
    } catch (error) {
      openGate(false);
      await speculative?.pipeline;
      // In the user's terms, in the summary and the ledger: never a spool path.
      const plain = inUserTerms(toPlainError(error), input);
      await failFile(control, claim.fileId, claim.attempt, plain, { loaded: 0, skipped: 0 }).catch(() => undefined);
      return finish({ sha256, dataset: claim.dataset, table: displayTable(claim.dataset), status: 'failed', error: plain });
    }
  } finally {
    await file?.close();
    if (held !== undefined) await releaseFile(control, held).catch(() => undefined);
    control.release();
  }
}
