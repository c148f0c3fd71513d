import type { FileHandle } from 'node:fs/promises';
import type { Piscina } from 'piscina';
import { SluiceError } from '../errors.js';
import { LF } from '../formats/csv/dialect.js';
import type { EncodeResult, EncodeTask } from '../formats/csv/encode-task.js';
import type { LateColumn } from '../formats/prepared-file.js';
import { SlotRing, SlotState } from '../ring/slot-ring.js';
import { isBinaryCopy } from '../sink/binary-copy-tuple.js';
import { type CopyJob, type CopyOutcome, type CopyWriter, TableTypesChanged } from '../sink/copy-writer.js';
import type { CopyFormat } from '../stages/chunk-stages.js';
import { type ColumnTypeCode, postgresTypeName } from '../schema/column-type.js';
import { joinTypes } from '../schema/type-widening.js';
import { BoundedQueue } from './bounded-queue.js';
import { ChunkPlanner, type PlannedChunk } from './chunk-planner.js';
import { mergeLateColumns } from './late-columns.js';
import type { CommittedChunk } from './ledger.js';
import { lineTooLongResult } from './line-too-long.js';

/**
 * The parallel path for one file:
 *
 *   ChunkPlanner ──slot──▶ piscina encode ──▶ BoundedQueue ──▶ CopyWriter × N ──▶ release slot
 *        ▲                                                           │                 │
 *        │                                                        gate (claim)          │
 *        └──────────────── ring.acquire() waits while every slot is in use ◀────────────┘
 *
 * Reading and encoding may begin before the file is claimed in the ledger (while its hash is still
 * being computed): writers wait at the gate, and the ring's bound means at most `slots` chunks are
 * encoded ahead. If the claim turns out otherwise (already loaded, or a resume under another file
 * id) the gate opens `false` and the encoded chunks are dropped unwritten.
 *
 * A chunk that reports columns the plan does not have (late JSON keys) is not written, and no
 * chunk is dispatched after it: the chunks in flight finish (written when they have none), and the
 * result's `lateColumns` lists what was found, for the loader to add and run the rest again.
 */

export interface PipelineOptions {
  piscina: Piscina;
  writers: CopyWriter[];
  file: FileHandle;
  size: number;
  dataStart: number;
  chunkSize: number;
  maxRowBytes: number;
  slots: number;
  /** Where rows end (the planner's cut). */
  lastRowEnd: (bytes: Buffer, from: number, to: number) => number;
  /** Line breaks in bytes[from, to) in the file's encoding (default: LF bytes). */
  countLines?: (bytes: Uint8Array, from: number, to: number) => number;
  /** The byte that ends a physical line, or null (see ChunkPlannerOptions). */
  lineTerminator: number | null;
  /** The piscina task that encodes a chunk, and its plan (chunkNo and baseOffset added per chunk). */
  encodeTask: string;
  plan: Record<string, unknown> & { fileId: number };
  /** The column types `plan` encodes under (the table's when the load starts), and the columns' names. */
  columnTypes: readonly ColumnTypeCode[];
  columnNames: readonly string[];
  /** `plan` under wider column types; absent when the format never asks to widen. */
  widenPlan?: (plan: Record<string, unknown>, columnTypes: readonly ColumnTypeCode[], nullTokens: readonly boolean[]) => Record<string, unknown>;
  /** Makes the table's columns at least as wide as these, before rows encoded under them are copied. */
  widenTable?: (columnTypes: readonly ColumnTypeCode[]) => Promise<void>;
  /** The COPY statement for rows encoded under these column types, in this format. */
  copySqlFor: (columnTypes: readonly ColumnTypeCode[], format: CopyFormat) => string;
  /** The table (schema-qualified SQL) and, with columnNames, what a binary chunk's types are checked against. */
  table?: string;
  /** The COPY CSV dialect of the encoded rows (to find a failing row). */
  copyDelimiter: number;
  copyQuote: number;
  committed: Map<number, CommittedChunk>;
  /** Resolves with the attempt number when writes may begin, or false to drop everything. */
  gate: Promise<number | false>;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** Called when a chunk committed here (not for chunks found committed). */
  onChunk?: (chunk: CommittedChunkReport) => void;
  /** Told of the writer queue once it exists (see LoadContext.onQueue). */
  onQueue?: (queue: QueueDepth) => void;
  phase: (name: string) => void;
}

/** How full a bounded queue is, read when someone asks (status, metrics): nothing on the hot path. */
export interface QueueDepth {
  readonly size: number;
  readonly capacity: number;
}

/** A chunk this run committed: its rows, rejects, bytes and how long its write took. */
export interface CommittedChunkReport {
  chunkNo: number;
  rows: number;
  rejected: number;
  bytes: number;
  ms: number;
}

export interface PipelineResult {
  /** False when the gate opened false: nothing was written. */
  written: boolean;
  chunksLoaded: number;
  /** Chunks committed before this run: by an earlier attempt, or by another process meanwhile. */
  chunksSkipped: number;
  /** The column types the last chunks were encoded under: the load's, widened where values needed it. */
  columnTypes: ColumnTypeCode[];
  /** Columns chunks found that the plan lacks: when any, the chunks holding them were not written, nor any after the first. */
  lateColumns: LateColumn[];
}

/** One column a chunk needed wider, as ingest.chunks.widened records it. */
export interface ChunkWidening {
  column: string;
  from: string;
  to: string;
  chunk_line: number;
  byte_offset: number;
}

interface EncodedChunk {
  chunk: PlannedChunk;
  result: EncodeResult;
  /** The column types the chunk was encoded under: the table is widened to them before its COPY. */
  columnTypes: readonly ColumnTypeCode[];
  /** Null-token columns (see runPipeline) it was encoded under: the same for an encode again under other types. */
  nullTokens: readonly boolean[];
  widened: ChunkWidening[];
}

const WORKER_RETRIES = 2;
/** Encodes of one chunk while its values widen columns; each round widens at least one column, so this is never reached. */
const MAX_WIDEN_ROUNDS = 32;

function countNewlines(bytes: Uint8Array, end: number, newline: number): number {
  let count = 0;
  for (let i = bytes.indexOf(newline); i !== -1 && i < end; i = bytes.indexOf(newline, i + 1)) count++;
  return count;
}

export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const { piscina, writers, plan, phase } = options;
  const totalBytes = Math.max(0, options.size - options.dataStart);
  const ring = new SlotRing({ slots: options.slots, inputCapacity: Math.max(64, Math.min(options.chunkSize, totalBytes)) });
  const planner = new ChunkPlanner({
    file: options.file, size: options.size, dataStart: options.dataStart, chunkSize: options.chunkSize, maxRowBytes: options.maxRowBytes,
    lastRowEnd: options.lastRowEnd, lineTerminator: options.lineTerminator, ring, committed: options.committed,
  });
  const queue = new BoundedQueue<EncodedChunk>(ring.slots);
  options.onQueue?.(queue);
  const result: PipelineResult = { written: true, chunksLoaded: 0, chunksSkipped: 0, columnTypes: [...options.columnTypes], lateColumns: [] };
  // Column types only widen, so a chunk encoded under older types is still valid for the table;
  // a chunk whose values need wider ones is encoded again (see encodeChunk). `nullTokens` marks the
  // columns that met a null token their sample did not show: read as NULL from then on.
  const nullTokens = options.columnTypes.map(() => false);
  const keyOf = (types: readonly ColumnTypeCode[], nulls: readonly boolean[]) => `${types.join(',')}/${nulls.map(Number).join('')}`;
  const plans = new Map<string, Record<string, unknown>>([[keyOf(options.columnTypes, nullTokens), plan]]);
  const planFor = (types: readonly ColumnTypeCode[], nulls: readonly boolean[]): Record<string, unknown> => {
    const key = keyOf(types, nulls);
    let found = plans.get(key);
    if (found === undefined) { found = options.widenPlan!(plan, types, nulls); plans.set(key, found); }
    return found;
  };
  // The types the table is known to have at least, and the ALTERs in progress (one at a time).
  let tableTypes: readonly ColumnTypeCode[] = options.columnTypes;
  let tableWidening: Promise<void> = Promise.resolve();
  const ensureTable = (types: readonly ColumnTypeCode[]): Promise<void> => {
    tableWidening = tableWidening.then(async () => {
      const wanted = tableTypes.map((t, i) => joinTypes(t, types[i]));
      if (wanted.every((t, i) => t === tableTypes[i])) return;
      await options.widenTable!(wanted);
      tableTypes = wanted;
    });
    return tableWidening;
  };
  let failure: unknown;
  let doneBytes = 0;
  const stopped = (): boolean => failure !== undefined || !result.written;
  void options.gate.then((attempt) => { if (attempt === false) result.written = false; }, (error: unknown) => { failure ??= error; });

  const encodeUnder = async (chunk: PlannedChunk, types: readonly ColumnTypeCode[], nulls: readonly boolean[]): Promise<EncodeResult | undefined> => {
    const task: EncodeTask = {
      ring: ring.shared, slot: chunk.slot, length: chunk.byteEnd - chunk.byteStart, oversizeInput: chunk.oversize,
      plan: { ...planFor(types, nulls), chunkNo: chunk.chunkNo, baseOffset: chunk.byteStart } as unknown as EncodeTask['plan'],
    };
    for (let tries = 0; ; tries++) {
      Atomics.store(new Int32Array(ring.shared.control), chunk.slot, SlotState.encoding);
      try {
        return await piscina.run(task, { name: options.encodeTask }) as EncodeResult;
      } catch (error) {
        // A worker that died is replaced by the pool; its chunk is simply encoded again.
        if (tries >= WORKER_RETRIES || stopped()) {
          failure ??= new SluiceError('SLUICE_ERR_WORKER_FAILED', `chunk ${chunk.chunkNo}: ${(error as Error).message}`, { cause: error });
          return undefined;
        }
      }
    }
  };
  const jobFor = (attempt: number, chunk: PlannedChunk, encoded: EncodeResult, columnTypes: readonly ColumnTypeCode[], widened: ChunkWidening[]): CopyJob => {
    const views = ring.views(chunk.slot);
    const input = chunk.oversize !== undefined ? new Uint8Array(chunk.oversize) : views.input;
    const data = encoded.dataOverflow !== undefined ? new Uint8Array(encoded.dataOverflow) : views.output.subarray(0, encoded.dataLength);
    return {
      fileId: plan.fileId, chunkNo: chunk.chunkNo, attempt, byteStart: chunk.byteStart, byteEnd: chunk.byteEnd,
      rows: encoded.stats.rows, rejected: encoded.stats.rejected, lines: encoded.stats.lines,
      data,
      rejects: encoded.rejectsOverflow !== undefined ? new Uint8Array(encoded.rejectsOverflow) : views.rejects.subarray(0, encoded.rejectsLength),
      // The encoded data says its format (binary COPY opens with its signature): a format's
      // worker that writes only CSV still loads when binary was asked for.
      copySql: options.copySqlFor(columnTypes, isBinaryCopy(data) ? 'binary' : 'csv'), delimiter: options.copyDelimiter, quote: options.copyQuote, columnTypes,
      widened: widened.length > 0 ? JSON.stringify(widened) : null,
      reports: encoded.reports !== undefined && Object.keys(encoded.reports).length > 0 ? JSON.stringify(encoded.reports) : null,
      anomalies: encoded.anomalies,
      chunkLineOf: (offset) => 1 + (options.countLines === undefined
        ? countNewlines(input, offset - chunk.byteStart, LF)
        : options.countLines(input, 0, offset - chunk.byteStart)),
      table: options.table, columnNames: options.columnNames,
    };
  };

  const writeChunk = async (writer: CopyWriter, attempt: number, { chunk, result: first, columnTypes, nullTokens: nulls, widened }: EncodedChunk): Promise<void> => {
    await ensureTable(columnTypes);
    const writeStarted = performance.now();
    let job = jobFor(attempt, chunk, first, columnTypes, widened);
    let outcome: CopyOutcome;
    for (let round = 0; ; round++) {
      Atomics.store(new Int32Array(ring.shared.control), chunk.slot, SlotState.writing);
      try {
        outcome = await writer.write(job);
        break;
      } catch (error) {
        // Binary rows must match the table's types exactly: another load widened a column since
        // this chunk was encoded. Encode it again under the table's types (values fit wider types).
        if (!(error instanceof TableTypesChanged) || options.widenPlan === undefined || round >= MAX_WIDEN_ROUNDS) throw error;
        const types = error.columnTypes.map((t, i) => joinTypes(t, result.columnTypes[i]));
        for (let i = 0; i < types.length; i++) result.columnTypes[i] = types[i];
        await ensureTable(types);
        const encoded = await encodeUnder(chunk, types, nulls);
        if (encoded === undefined) throw failure ?? new SluiceError('SLUICE_ERR_WORKER_FAILED', `chunk ${chunk.chunkNo}: could not encode it again`);
        // The same rows in another representation: what the stages found the first time stands,
        // so the COPY format does not change a load's profile or anomalies.
        job = { ...jobFor(attempt, chunk, encoded, types, widened), reports: job.reports, anomalies: job.anomalies };
      }
    }
    if (result.chunksLoaded === 0 && result.chunksSkipped === 0) phase(`first chunk committed (${isBinaryCopy(job.data) ? 'binary' : 'csv'} COPY)`);
    if (outcome === 'committed') {
      result.chunksLoaded++;
      options.onChunk?.({ chunkNo: chunk.chunkNo, rows: job.rows, rejected: job.rejected, bytes: chunk.byteEnd - chunk.byteStart, ms: performance.now() - writeStarted });
    } else {
      result.chunksSkipped++;
    }
    doneBytes += chunk.byteEnd - chunk.byteStart;
    options.onProgress?.(doneBytes + planner.skippedBytes, totalBytes);
  };

  const writerLoops = writers.map(async (writer) => {
    const attempt = await options.gate.catch(() => false as const);
    for (;;) {
      const item = await queue.take();
      if (item === undefined) return;
      try {
        if (attempt !== false && !stopped()) await writeChunk(writer, attempt, item);
      } catch (error) {
        failure ??= error;
      } finally {
        ring.release(item.chunk.slot);
      }
    }
  });

  const encodeChunk = async (chunk: PlannedChunk): Promise<void> => {
    if (chunk.overlongLine !== undefined) {
      const { head, terminated } = chunk.overlongLine;
      const encoded = lineTooLongResult({ fileId: plan.fileId, chunkNo: chunk.chunkNo, byteStart: chunk.byteStart, byteEnd: chunk.byteEnd, head, terminated, maxRowBytes: options.maxRowBytes });
      Atomics.store(new Int32Array(ring.shared.control), chunk.slot, SlotState.encoded);
      if (!queue.push({ chunk, result: encoded, columnTypes: result.columnTypes.slice(), nullTokens: nullTokens.slice(), widened: [] })) {
        failure ??= new Error('writer queue overflow: more chunks in flight than ring slots');
        ring.release(chunk.slot);
      }
      return;
    }
    const widened: ChunkWidening[] = [];
    for (let round = 0; ; round++) {
      const types = result.columnTypes.slice();
      const nulls = nullTokens.slice();
      const encoded = await encodeUnder(chunk, types, nulls);
      if (encoded === undefined) { ring.release(chunk.slot); return; }
      const late = (encoded.stats as { lateColumns?: LateColumn[] }).lateColumns;
      if (late !== undefined) {
        // Written without them, the chunk would lose their values: the loader adds them and runs again from here.
        result.lateColumns = mergeLateColumns(result.lateColumns, late);
        ring.release(chunk.slot);
        return;
      }
      const requests = encoded.stats.widen;
      if (requests !== undefined && requests.length > 0) {
        // Values the chunk's columns cannot hold: widen them (for every later chunk too) and encode
        // this chunk again. Its input is still in the slot; this output is dropped.
        if (options.widenPlan === undefined || round >= MAX_WIDEN_ROUNDS) {
          failure ??= new SluiceError('SLUICE_ERR_WORKER_FAILED', `chunk ${chunk.chunkNo}: asked to widen ${requests.length} column(s) and cannot`);
          ring.release(chunk.slot);
          return;
        }
        for (const request of requests) {
          if (request.nullTokens === true) nullTokens[request.column] = true;
          const to = joinTypes(result.columnTypes[request.column], request.type);
          result.columnTypes[request.column] = to;
          if (to === types[request.column]) continue;
          widened.push({
            column: options.columnNames[request.column], from: postgresTypeName(types[request.column]), to: postgresTypeName(to),
            chunk_line: request.chunkLine, byte_offset: request.byteOffset,
          });
        }
        continue;
      }
      if (chunk.chunkNo === 0) phase('first chunk encoded');
      if (!queue.push({ chunk, result: encoded, columnTypes: types, nullTokens: nulls, widened })) {
        failure ??= new Error('writer queue overflow: more chunks in flight than ring slots');
        ring.release(chunk.slot);
      }
      return;
    }
  };

  const encodes = new Set<Promise<void>>();
  try {
    const dispatching = (): boolean => !stopped() && result.lateColumns.length === 0;
    while (dispatching()) {
      const chunk = await planner.next();
      if (chunk === null) break;
      if (!dispatching()) { ring.release(chunk.slot); break; }
      const encoding = encodeChunk(chunk).finally(() => encodes.delete(encoding));
      encodes.add(encoding);
    }
  } catch (error) {
    failure ??= error;
  }
  await Promise.all(encodes);
  queue.close();
  await Promise.all(writerLoops);
  if (failure !== undefined) throw failure;
  result.chunksSkipped += planner.skipped;
  return result;
}
