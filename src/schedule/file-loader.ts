import { createHash } from 'node:crypto';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type pg from 'pg';
import type { Piscina } from 'piscina';
import { registerStagingLoad } from '../catalog/register.js';
import type { ResolvedOptions } from '../config.js';
import type { CopyFormat } from '../stages/chunk-stages.js';
import type { DatasetConfig, SluiceConfig } from '../configuration/config-schema.js';
import { datasetIdentity } from '../configuration/dataset-identity.js';
import { frozenShape } from '../datasets/schema-policy.js';
import { standardTypeOverrides } from '../datasets/standard-columns.js';
import { SluiceError, toPlainError } from '../errors.js';
import { prepareCsv } from '../formats/csv/prepare-csv.js';
import { detectFormat } from '../formats/detect-format.js';
import { prepareJson } from '../formats/json/prepare-json.js';
import type { FormatOverrides } from '../formats/overrides.js';
import type { PreparedFile } from '../formats/prepared-file.js';
import { datasetNameFor, normaliseIdentifier } from '../schema/identifiers.js';
import { DependencyGuard } from '../resilience/dependency-guard.js';
import type { CopyWriter } from '../sink/copy-writer.js';
import { displayTable, ensureStagingTable, plannedColumns, sameColumns, type StagingColumn, stagingTableWidens } from '../sink/staging-table.js';
import { inputLabel, inUserTerms, type ResolvedInput, resolveInput, resolveOptionsFrom } from '../sources/resolve-input.js';
import '../stages/all-stages.js';
import '../stages/all-finishers.js';
import { emptySummary, type FileSummary } from '../summary.js';
import { claimContent } from './claim-content.js';
import { ControlSession } from './control-session.js';
import { type ColumnShape, columnShape } from './column-shape.js';
import { completeLoad } from './complete-load.js';
import { type LoadRun, loadLateColumns, withLateColumns } from './late-columns.js';
import { type CommittedChunk, failFile, reserveFileId } from './ledger.js';
import type { CommittedChunkReport, PipelineResult, QueueDepth } from './load-pipeline.js';
import { type OpenFile, startPipeline } from './start-pipeline.js';
import { loadWorkbook } from './workbook-loader.js';

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
  /** Told of each load's writer queue as it is made, so status and metrics can read its depth. */
  onQueue?: (queue: QueueDepth) => void;
  /** The process's PostgreSQL breaker (the engine's); default: one for this load alone. */
  postgres?: DependencyGuard;
}

export interface LoadRequest {
  dataset?: string;
  /** The engine's run id of this load (its file.started event): kept with the catalog entry and lineage edge. */
  runId?: string;
  /**
   * The configuration of the file's dataset, for the worker stages; decided with the dataset by
   * loadInput (configuration/dataset-identity.ts), so callers leave it unset.
   */
  datasetConfig?: DatasetConfig;
  force?: boolean;
  /** COPY format for this load (default: the engine's copyFormat option). */
  copyFormat?: CopyFormat;
  /** Decisions the user made instead of the sniffer. */
  overrides?: FormatOverrides;
  /** `--timeseries` (true) / `--no-timeseries` (false): process the file's dataset as time series or not; default: the configuration, else when detected. */
  timeseries?: boolean;
  /** Write the lines before the table (preamble) to ingest.rejects with reason PREAMBLE; by default they are only counted. */
  keepPreamble?: boolean;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** Called as each chunk of this load commits. */
  onChunk?: (chunk: CommittedChunkReport) => void;
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

/**
 * Logs when each phase of a load ends, in ms since the load began and since the process started
 * (performance.now()'s origin), so that the start before a load is seen too (SLUICE_DEBUG=1 shows them).
 */
function phaseLogger(log: (line: string) => void, file: string, started: number): (phase: string) => void {
  return (phase) => {
    const now = performance.now();
    log(`${file}: ${phase} at ${Math.round(now - started)} ms (process ${Math.round(now)} ms)`);
  };
}

const HASH_READ_BYTES = 1024 * 1024;

/**
 * The file's SHA-256, read into one reused buffer: the hash runs while the worker sniffs and
 * encodes the first chunk, on a machine whose cores are all busy then, and a read stream's fresh
 * 1 MiB buffer per read cost twice the CPU (66–125 ms against 49–76 ms for the 60 MB benchmark
 * file, the first call the dearest), most of it allocation and the collections it brings.
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(HASH_READ_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
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
  const datasetConfig = request.datasetConfig ?? identity.config;
  const routed: LoadRequest = {
    ...request, dataset: identity.by === 'stem' ? undefined : identity.name, datasetConfig,
    // Standard columns' declared types are the sniffer's to apply (the user's --types win).
    overrides: standardTypeOverrides(datasetConfig?.columns, request.overrides),
  };
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

/** The file's size, or a failed summary's error when it cannot be read as a regular file. */
async function statInput(input: ResolvedInput): Promise<{ size: number } | { error: { code: string; message: string } }> {
  try {
    const info = await stat(input.localPath);
    if (!info.isFile()) throw new SluiceError('SLUICE_ERR_FILE_NOT_FOUND', `not a regular file: ${input.label}`);
    return { size: info.size };
  } catch (error) {
    const plain = error instanceof SluiceError ? toPlainError(error) : { code: 'SLUICE_ERR_FILE_NOT_FOUND', message: `cannot read ${input.label}: ${(error as Error).message}` };
    return { error: inUserTerms(plain, input) };
  }
}

/**
 * One local file, as a sequence of steps: stat; prepare (a worker sniffs) and hash at once; start
 * reading and encoding under a reserved id while the hash is computed; claim the content; make the
 * staging table; let the pipeline write (or run it again as a resume); complete; register.
 */
async function loadLocalFile(context: LoadContext, path: string, input: ResolvedInput, request: LoadRequest, started: number): Promise<FileSummary> {
  const { options } = context;
  const absolute = input.localPath;
  const blank: FileSummary = { ...emptySummary(path), compression: input.compression };
  const finish = (patch: Partial<FileSummary>): FileSummary => ({ ...blank, ...patch, ...request.summary, duration_ms: Math.round(performance.now() - started) });
  const phase = phaseLogger(options.log, basename(absolute), started);

  const stated = await statInput(input);
  if ('error' in stated) return finish({ status: 'failed', error: stated.error });
  const { size } = stated;
  const preparation = settle(prepareFile(context.piscina, absolute, size, request.overrides, input.label));
  // A spooled file was hashed while it was written.
  const hashing = settle(input.sha256 !== undefined ? Promise.resolve(input.sha256) : sha256File(absolute));
  const requestedDataset = request.dataset !== undefined ? normaliseIdentifier(request.dataset, 'dataset') : datasetNameFor(basename(absolute));
  const control = new ControlSession(context.pool, context.postgres ?? new DependencyGuard({ name: 'postgres', unavailableCode: 'SLUICE_ERR_DATABASE_UNAVAILABLE' }), options.log);
  let handle: FileHandle | undefined;
  let openGate: (attempt: number | false) => void = () => undefined;
  let speculative: { pipeline: Promise<Settled<PipelineResult>>; columns: StagingColumn[]; widens: boolean } | undefined;
  const dropSpeculative = async (): Promise<void> => {
    openGate(false);
    await speculative?.pipeline;
    speculative = undefined;
  };
  try {
    const reservedId = await control.step((client) => reserveFileId(client));
    const preparedOutcome = await preparation;
    phase('prepared');
    handle = await open(absolute, 'r');
    const openFile = (prepared: PreparedFile, shape: ColumnShape): OpenFile => ({ handle: handle!, size, prepared, shape, control });
    // The columns the transforms leave (a step that does not fit the file fails it, after the claim).
    let shaping: Settled<ColumnShape> | undefined;
    let frozen = false;
    if (preparedOutcome.ok) {
      try {
        const prepared = preparedOutcome.value;
        const policy = await control.step((client) => frozenShape(client, requestedDataset, prepared, request.datasetConfig,
          columnShape(prepared, request.datasetConfig, requestedDataset)));
        shaping = { ok: true, value: policy.shape };
        frozen = policy.frozen;
      } catch (error) {
        shaping = { ok: false, error };
      }
    }

    // Start reading and encoding under the reserved id while the hash is computed.
    if (preparedOutcome.ok && shaping?.ok === true) {
      const table = shaping.value.table;
      const { columns, widens } = await control.step(async (client) => ({
        columns: await plannedColumns(client, requestedDataset, table), widens: !frozen && await stagingTableWidens(client, requestedDataset),
      }));
      const gate = new Promise<number | false>((resolveGate) => { openGate = resolveGate; });
      const setup = { fileId: reservedId, dataset: requestedDataset, frozen, chunkSize: options.chunkSize, maxRowBytes: options.maxRowBytes, columns, widens, committed: new Map(), gate, lateKeys: true };
      speculative = { pipeline: settle(startPipeline(context, request, setup, openFile(preparedOutcome.value, shaping.value), phase)), columns, widens };
    }

    const hashed = await hashing;
    phase('hashed');
    if (!hashed.ok) {
      await dropSpeculative();
      return finish({ status: 'failed', error: inUserTerms({ code: 'SLUICE_ERR_FILE_READ', message: `cannot read ${input.label}: ${(hashed.error as Error).message}` }, input) });
    }
    const sha256 = hashed.value;
    const claimed = await control.step((client) => claimContent(client, {
      sha256, path: absolute, source: input.source, sizeBytes: size, dataset: requestedDataset, tableName: displayTable(requestedDataset),
      chunkSize: options.chunkSize, maxRowBytes: options.maxRowBytes, force: request.force === true, newId: reservedId,
    }, dropSpeculative, phase));
    const { claim } = claimed;
    control.holding(claimed.held);
    phase('claimed');
    if (claim.kind === 'skip') {
      await dropSpeculative();
      return finish({ ...(claim.summary ?? blank), file: path, compression: input.compression, sha256, status: 'skipped', error: null });
    }

    const describe = (patch: Partial<FileSummary>): FileSummary => finish({ file: path, sha256, dataset: claim.dataset, table: displayTable(claim.dataset), ...patch });
    try {
      if (!preparedOutcome.ok) throw preparedOutcome.error;
      if (shaping?.ok !== true) throw shaping?.error;
      // A resume reads the file under the columns its earlier attempts added for late keys.
      const { prepared, shape } = claim.lateColumns.length === 0 ? { prepared: preparedOutcome.value, shape: shaping.value }
        : await withLateColumns(preparedOutcome.value, claim.lateColumns, frozen, { control, dataset: claim.dataset, datasetConfig: request.datasetConfig });
      const { columns, widens } = await control.step(async (client) => ({
        columns: await ensureStagingTable(client, claim.dataset, shape.table), widens: !frozen && await stagingTableWidens(client, claim.dataset),
      }));
      phase('staging table ready');
      const reusable = speculative !== undefined && claim.fileId === reservedId && claim.committed.size === 0
        && claim.dataset === requestedDataset && claim.chunkSize === options.chunkSize && claim.maxRowBytes === options.maxRowBytes
        && sameColumns(columns, speculative.columns) && widens === speculative.widens;
      // A run under the claim: a resume (another id, chunks already committed), a table that changed
      // meanwhile, or the rest of the file once late columns were added.
      const runUnderClaim = (run: Omit<LoadRun, 'pipeline'>, committed: Map<number, CommittedChunk>, lateKeys: boolean): Promise<PipelineResult> => startPipeline(context, request, {
        fileId: claim.fileId, dataset: claim.dataset, frozen: run.frozen, chunkSize: claim.chunkSize, maxRowBytes: claim.maxRowBytes, columns: run.columns, widens: run.widens,
        committed, gate: Promise.resolve(claim.attempt), lateKeys,
      }, openFile(run.prepared, run.shape), phase);
      let outcome: Settled<PipelineResult>;
      if (reusable) {
        openGate(claim.attempt);
        outcome = await speculative!.pipeline;
      } else {
        await dropSpeculative();
        outcome = await settle(runUnderClaim({ prepared, shape, columns, widens, frozen }, claim.committed, true));
      }
      if (!outcome.ok) throw outcome.error;
      const loaded = await loadLateColumns({ prepared, shape, columns, widens, frozen, pipeline: outcome.value }, {
        control, fileId: claim.fileId, dataset: claim.dataset, datasetConfig: request.datasetConfig, log: options.log, label: input.label, known: claim.lateColumns,
      }, runUnderClaim);
      phase('all chunks committed');
      const summary = await completeLoad(openFile(loaded.prepared, loaded.shape), request, {
        fileId: claim.fileId, attempt: claim.attempt, dataset: claim.dataset, columns: loaded.columns, pipeline: loaded.pipeline, describe, piscina: context.piscina, phase,
      });
      phase('completed');
      // The rows are committed and the file is loaded: a catalog that cannot be written is logged, not a failed load.
      await control.step((client) => registerStagingLoad(client, { fileId: claim.fileId, runId: request.runId ?? null, summary, datasetConfig: request.datasetConfig }))
        .catch((error: unknown) => options.log(`${input.label}: catalog registration failed: ${(error as Error).message}`));
      phase('registered in the catalog');
      return summary;
    } catch (error) {
      await dropSpeculative();
      // In the user's terms, in the summary and the ledger: never a spool path.
      const plain = inUserTerms(toPlainError(error), input);
      await control.step((client) => failFile(client, claim.fileId, claim.attempt, plain, { loaded: 0, skipped: 0 })).catch(() => undefined);
      return describe({ status: 'failed', error: plain });
    }
  } catch (error) {
    // Before the claim: the database stayed away past the outage timeout (or refused the ledger).
    await dropSpeculative();
    return finish({ status: 'failed', error: inUserTerms(toPlainError(error), input) });
  } finally {
    await handle?.close();
    await control.close();
  }
}
