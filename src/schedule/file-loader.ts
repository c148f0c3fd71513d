import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import pg from 'pg';
import type { Piscina } from 'piscina';
import type { ResolvedOptions } from '../config.js';
import { SluiceError, toPlainError, type PlainError } from '../errors.js';
import type { EncodePlan } from '../formats/csv/chunk-encoder.js';
import { describeByte, LF } from '../formats/csv/dialect.js';
import type { EncodeResult, EncodeTask } from '../formats/csv/encode-task.js';
import type { SniffTask, SniffTaskResult } from '../formats/csv/sniff-task.js';
import type { CsvSniffResult } from '../formats/csv/sniffer.js';
import { SlotRing, SlotState } from '../ring/slot-ring.js';
import { ColumnType, postgresTypeName } from '../schema/column-type.js';
import { datasetNameFor, normaliseIdentifier } from '../schema/identifiers.js';
import { registerStagingLoad } from '../catalog/register.js';
import type { CopyJob, CopyWriter } from '../sink/copy-writer.js';
import { displayTable, ensureStagingTable, qualifiedTable, type StagingColumn } from '../sink/staging-table.js';
import { emptySummary, type FileSummary } from '../summary.js';
import { BoundedQueue } from './bounded-queue.js';
import { ChunkPlanner, type PlannedChunk } from './chunk-planner.js';
import { claimFile, completeFile, failFile } from './ledger.js';

/**
 * Loads one file: hash → claim in the ledger → sniff (in a worker) → staging table → chunks
 * through the pool and the writers → complete. The main thread only plans, schedules and writes.
 *
 *   ChunkPlanner ──slot──▶ piscina encode ──▶ BoundedQueue ──▶ CopyWriter × N ──▶ release slot
 *        ▲                                                                              │
 *        └──────────────── ring.acquire() waits while every slot is in use ◀────────────┘
 */

export interface LoadContext {
  pool: pg.Pool;
  piscina: Piscina;
  writers: CopyWriter[];
  options: ResolvedOptions;
}

export interface LoadRequest {
  dataset?: string;
  force?: boolean;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

/** Logs when each phase of a load ends, in ms since the load began (SLUICE_DEBUG=1 shows them). */
function phaseLogger(log: (line: string) => void, file: string, started: number): (phase: string) => void {
  return (phase) => log(`${file}: ${phase} at ${Math.round(performance.now() - started)} ms`);
}

const SNIFF_HEAD_BYTES = 1024 * 1024;
const SNIFF_SPOT_BYTES = 128 * 1024;
const SNIFF_SPOTS = 4;
const WORKER_RETRIES = 2;

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The head of the file and a few stretches spread through it, in shared buffers for the worker. */
async function readSniffSample(path: string, size: number): Promise<SniffTask> {
  const file = await open(path, 'r');
  try {
    const headLength = Math.min(size, SNIFF_HEAD_BYTES);
    const head = new SharedArrayBuffer(Math.max(1, headLength));
    await file.read(new Uint8Array(head), 0, headLength, 0);
    const spots: SniffTask['spots'] = [];
    // Stretches spread through the file and one at its very end, so a change of values later in
    // the file (nulls, wider numbers, text in a numeric column) is seen before the table exists.
    if (size > 2 * SNIFF_SPOT_BYTES) {
      const positions = Array.from({ length: SNIFF_SPOTS }, (_, k) => Math.floor((size * (k + 1)) / (SNIFF_SPOTS + 1)));
      positions.push(size - SNIFF_SPOT_BYTES);
      for (const position of positions) {
        const buffer = new SharedArrayBuffer(SNIFF_SPOT_BYTES);
        const { bytesRead } = await file.read(new Uint8Array(buffer), 0, SNIFF_SPOT_BYTES, position);
        spots.push({ buffer, length: bytesRead });
      }
    }
    return { head, headLength, headIsWholeFile: headLength === size, spots, overrides: {} };
  } finally {
    await file.close();
  }
}

export async function sniffFile(piscina: Piscina, path: string, size: number): Promise<CsvSniffResult> {
  const task = await readSniffSample(path, size);
  const outcome = await piscina.run(task, { name: 'sniff' }) as SniffTaskResult;
  if (!outcome.ok) throw new SluiceError(outcome.error.code as never, outcome.error.message);
  return outcome.result;
}

function copySqlFor(dataset: string, columns: readonly StagingColumn[], sniff: CsvSniffResult): string {
  const names = ['_file', '_offset', ...columns.map((c) => c.name)].map((n) => pg.escapeIdentifier(n));
  const typed = columns.filter((c) => c.type !== ColumnType.text).map((c) => pg.escapeIdentifier(c.name));
  const options = [
    'FORMAT csv',
    `DELIMITER ${pg.escapeLiteral(String.fromCharCode(sniff.dialect.delimiter))}`,
    `QUOTE ${pg.escapeLiteral(String.fromCharCode(sniff.dialect.quote))}`,
    // A quoted empty field in a typed column is a missing value, not an invalid one.
    ...(typed.length > 0 ? [`FORCE_NULL (${typed.join(', ')})`] : []),
  ];
  return `COPY ${qualifiedTable(dataset)} (${names.join(', ')}) FROM STDIN WITH (${options.join(', ')})`;
}

function countNewlines(bytes: Uint8Array, end: number, newline: number): number {
  let count = 0;
  for (let i = bytes.indexOf(newline); i !== -1 && i < end; i = bytes.indexOf(newline, i + 1)) count++;
  return count;
}

export async function loadFile(context: LoadContext, path: string, request: LoadRequest = {}): Promise<FileSummary> {
  const started = performance.now();
  const absolute = resolve(path);
  const summary = emptySummary(path);
  const finish = (patch: Partial<FileSummary>): FileSummary => ({ ...summary, ...patch, duration_ms: Math.round(performance.now() - started) });

  let size: number;
  try {
    const info = await stat(absolute);
    if (!info.isFile()) throw new SluiceError('SLUICE_ERR_FILE_NOT_FOUND', `not a regular file: ${path}`);
    size = info.size;
  } catch (error) {
    const plain = error instanceof SluiceError ? toPlainError(error) : { code: 'SLUICE_ERR_FILE_NOT_FOUND', message: `cannot read ${path}: ${(error as Error).message}` };
    return finish({ status: 'failed', error: plain });
  }

  // Sniffing (in a worker) overlaps hashing (here): neither waits for the other.
  const sniffing: Promise<SniffOutcome> = sniffFile(context.piscina, absolute, size)
    .then((result) => ({ ok: true as const, result }), (error: unknown) => ({ ok: false as const, error }));
  const sha256 = await sha256File(absolute);
  const phase = phaseLogger(context.options.log, basename(absolute), started);
  phase('hashed');
  const dataset = request.dataset !== undefined ? normaliseIdentifier(request.dataset, 'dataset') : datasetNameFor(basename(absolute));
  const { options } = context;
  const control = await context.pool.connect();
  try {
    const claim = await claimFile(control, {
      sha256, path: absolute, sizeBytes: size, dataset, tableName: displayTable(dataset), chunkSize: options.chunkSize, force: request.force === true,
    });
    phase('claimed');
    if (claim.kind === 'skip') {
      await sniffing;
      const previous = claim.summary ?? summary;
      return finish({ ...previous, file: path, sha256, status: 'skipped', error: null });
    }
    const counts = { loaded: 0, skipped: 0 };
    try {
      const result = await loadClaimed(context, control, sniffing, phase, absolute, size, claim.fileId, claim.attempt, claim.dataset, claim.chunkSize, claim.committed,
        counts, request, (sniff, columns, totals, samples) => finish({
          file: path, sha256, status: 'loaded', dataset: claim.dataset, table: displayTable(claim.dataset), format: 'csv', encoding: sniff.encoding,
          delimiter: describeByte(sniff.dialect.delimiter), quote: describeByte(sniff.dialect.quote), line_ending: sniff.lineEnding,
          header: sniff.header, rows: totals.rows, rejected: totals.rejected,
          columns: columns.map((c, i) => ({ name: c.name, source: sniff.columns[i]?.source ?? '', type: postgresTypeName(c.type), confidence: sniff.columns[i]?.confidence ?? 1 })),
          confidence: { delimiter: sniff.delimiterConfidence, header: sniff.headerConfidence },
          reject_samples: samples, chunks: { total: totals.chunks, loaded: counts.loaded, skipped: counts.skipped },
        }));
      return result;
    } catch (error) {
      const plain = toPlainError(error);
      await failFile(control, claim.fileId, claim.attempt, plain, counts).catch(() => undefined);
      return finish({ sha256, dataset: claim.dataset, table: displayTable(claim.dataset), status: 'failed', error: plain });
    }
  } finally {
    control.release();
  }
}

type Describe = (sniff: CsvSniffResult, columns: StagingColumn[], totals: { rows: number; rejected: number; chunks: number },
  samples: FileSummary['reject_samples']) => FileSummary;

type SniffOutcome = { ok: true; result: CsvSniffResult } | { ok: false; error: unknown };

async function loadClaimed(context: LoadContext, control: pg.PoolClient, sniffing: Promise<SniffOutcome>, phase: (name: string) => void, path: string, size: number, fileId: number, attempt: number,
  dataset: string, chunkSize: number, committed: Map<number, { byteStart: number; byteEnd: number }>, counts: { loaded: number; skipped: number },
  request: LoadRequest, describe: Describe): Promise<FileSummary> {
  const { options } = context;
  const sniffed = await sniffing;
  if (!sniffed.ok) throw sniffed.error;
  const sniff = sniffed.result;
  phase('sniffed');
  const columns = await ensureStagingTable(control, dataset, sniff.columns.map((c) => ({ name: c.name, type: c.type })));
  phase('staging table ready');
  const head = new Uint8Array(Math.min(size, sniff.dataStart));
  const file = await open(path, 'r');
  try {
    await file.read(head, 0, head.length, 0);
    const firstDataLine = 1 + countNewlines(head, head.length, sniff.dialect.newline);
    const copySql = copySqlFor(dataset, columns, sniff);
    const plan: Omit<EncodePlan, 'chunkNo' | 'baseOffset'> = {
      dialect: sniff.dialect, columnTypes: columns.map((c) => c.type), columnNames: columns.map((c) => c.name), fileId, invalidUtf8: options.invalidUtf8,
    };
    const dataBytes = Math.max(0, size - sniff.dataStart);
    const ring = new SlotRing({ slots: options.workers + options.queueBound, inputCapacity: Math.max(64, Math.min(chunkSize, dataBytes)) });
    const planner = new ChunkPlanner({
      file, size, dataStart: sniff.dataStart, chunkSize, maxRowBytes: options.maxRowBytes, quote: sniff.dialect.quote, newline: sniff.dialect.newline, ring, committed,
    });
    await runPipeline(context, ring, planner, plan, copySql, attempt, counts, dataBytes, request, phase);
    phase('all chunks committed');
    counts.skipped += planner.skipped;
    const summary = await completeFile(control, fileId, attempt, firstDataLine, counts, (totals, samples) => describe(sniff, columns, totals, samples));
    await registerStagingLoad(control, { fileId, summary });
    return summary;
  } finally {
    await file.close();
  }
}

interface EncodedChunk {
  chunk: PlannedChunk;
  result: EncodeResult;
}

async function runPipeline(context: LoadContext, ring: SlotRing, planner: ChunkPlanner,
  plan: Omit<EncodePlan, 'chunkNo' | 'baseOffset'>, copySql: string, attempt: number, counts: { loaded: number; skipped: number },
  totalBytes: number, request: LoadRequest, phase: (name: string) => void): Promise<void> {
  const { piscina, writers } = context;
  const queue = new BoundedQueue<EncodedChunk>(ring.slots);
  let failure: unknown;
  let doneBytes = 0;
  const progress = (bytes: number): void => {
    doneBytes += bytes;
    request.onProgress?.(doneBytes + planner.skippedBytes, totalBytes);
  };

  const writerLoops = writers.map(async (writer) => {
    for (;;) {
      const item = await queue.take();
      if (item === undefined) return;
      const { chunk, result } = item;
      try {
        if (failure !== undefined) continue;
        const views = ring.views(chunk.slot);
        const data = result.dataOverflow !== undefined ? new Uint8Array(result.dataOverflow) : views.output.subarray(0, result.dataLength);
        const rejects = result.rejectsOverflow !== undefined ? new Uint8Array(result.rejectsOverflow) : views.rejects.subarray(0, result.rejectsLength);
        const input = chunk.oversize !== undefined ? new Uint8Array(chunk.oversize) : views.input;
        const job: CopyJob = {
          fileId: plan.fileId, chunkNo: chunk.chunkNo, attempt, byteStart: chunk.byteStart, byteEnd: chunk.byteEnd,
          rows: result.stats.rows, rejected: result.stats.rejected, lines: result.stats.lines, data, rejects, copySql,
          delimiter: plan.dialect.delimiter, quote: plan.dialect.quote,
          chunkLineOf: (offset) => 1 + countNewlines(input, offset - chunk.byteStart, plan.dialect.newline === LF ? LF : plan.dialect.newline),
        };
        Atomics.store(new Int32Array(ring.shared.control), chunk.slot, SlotState.writing);
        const outcome = await writer.write(job);
        if (counts.loaded === 0 && counts.skipped === 0) phase('first chunk committed');
        if (outcome === 'committed') counts.loaded++;
        else counts.skipped++;
        progress(chunk.byteEnd - chunk.byteStart);
      } catch (error) {
        failure ??= error;
      } finally {
        ring.release(chunk.slot);
      }
    }
  });

  const encodeChunk = async (chunk: PlannedChunk): Promise<void> => {
    const task: EncodeTask = {
      ring: ring.shared, slot: chunk.slot, length: chunk.byteEnd - chunk.byteStart, oversizeInput: chunk.oversize,
      plan: { ...plan, chunkNo: chunk.chunkNo, baseOffset: chunk.byteStart },
    };
    for (let tries = 0; ; tries++) {
      Atomics.store(new Int32Array(ring.shared.control), chunk.slot, SlotState.encoding);
      try {
        const result = await piscina.run(task, { name: 'encode' }) as EncodeResult;
        if (chunk.chunkNo === 0) phase('first chunk encoded');
        if (!queue.push({ chunk, result })) throw new Error('writer queue overflow: more chunks in flight than ring slots');
        return;
      } catch (error) {
        // A worker that died is replaced by the pool; its chunk is simply encoded again.
        if (tries >= WORKER_RETRIES || failure !== undefined) {
          failure ??= new SluiceError('SLUICE_ERR_WORKER_FAILED', `chunk ${chunk.chunkNo}: ${(error as Error).message}`, { cause: error });
          ring.release(chunk.slot);
          return;
        }
      }
    }
  };

  const encodes: Promise<void>[] = [];
  try {
    while (failure === undefined) {
      const chunk = await planner.next();
      if (chunk === null) break;
      encodes.push(encodeChunk(chunk));
    }
  } catch (error) {
    failure ??= error;
  }
  await Promise.all(encodes);
  queue.close();
  await Promise.all(writerLoops);
  if (failure !== undefined) throw failure;
}

export type { PlainError };
