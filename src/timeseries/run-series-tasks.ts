import type pg from 'pg';
import type { Piscina } from 'piscina';
import { BINARY_COPY_HEADER } from '../sink/binary-copy.js';
import { copyIn } from '../sink/copy-writer.js';
import { detectInterval } from './sampling-interval.js';
import { contextPoints, type SeriesOptions } from './series-options.js';
import { EVERY_TIME, inTimeOrder, type SeriesPoints } from './series-points.js';
import { joinSeriesEvents, type SeriesEvent, type SeriesOutput } from './process-series.js';
import type { SeriesTask, SeriesTaskResult } from './series-task.js';
import { copyTargets, ensurePartitions, type SeriesTables } from './series-tables.js';
import type { RestoredPoints, StoredTail } from './stored-series.js';

/**
 * Hands the series to the worker pool and writes what comes back. A series is one task; one
 * longer than SLICE_POINTS is cut into slices, each with the raw points before it that its
 * windows reach (contextPoints), so the slices run in parallel and their rows equal one pass's.
 * At most two tasks per thread are out at once (memory stays bounded by the tasks in flight, not
 * the file), and while the workers compute, the rows already back are written: when ~8 MB of
 * tuples have gathered they go out as one binary COPY per table (the pieces as they came, not
 * joined into one copy first), after the partitions they fall in exist (into the partitions
 * themselves when the batch fits in one: copyTargets). When COPY falls behind (it does:
 * PostgreSQL's one backend writes both tables), no task is sent while more than MAX_UNWRITTEN
 * bytes wait, so memory is bounded by that, not the file.
 */

export interface SeriesRun {
  tables: SeriesTables;
  dataset: string;
  fileId: number;
  series: readonly SeriesPoints[];
  tails: readonly StoredTail[];
  /** Per series, the stored rows next to a reloaded range computed again with it (stored-series.ts). */
  restored: readonly RestoredPoints[];
  options: SeriesOptions;
  integerFeatures: number;
  keyFieldCount: number;
  /** A series longer than this is cut into slices (default SLICE_POINTS). */
  slicePoints?: number;
}

export interface WrittenSeries {
  counts: SeriesOutput['counts'];
  /** Each event with the index of its series. */
  events: Array<SeriesEvent & { series: number }>;
  rows: number;
}

const SLICE_POINTS = 200_000;
const FLUSH_BYTES = 8 * 1024 * 1024;
const MAX_UNWRITTEN = 4 * FLUSH_BYTES;
const TRAILER = Uint8Array.from([0xff, 0xff]);

/**
 * The series by their key's values, bytewise (for text, the order of the C and C.UTF-8
 * collations; under another one the rows are merely not in index order): rows written in index
 * order go into the (keys, time) index at its right end, where PostgreSQL appends
 * without a descent from the root — COPY of 1M rows into an empty table took 1.3 s instead of 2.1 s.
 */
export function keyOrder(series: readonly SeriesPoints[]): number[] {
  return Array.from(series.keys()).sort((a, b) => compareKeyFields(series[a].keyFields, series[b].keyFields));
}

/** Binary COPY key fields compared field by field: contents bytewise, a prefix first, NULL last. */
function compareKeyFields(a: Uint8Array, b: Uint8Array): number {
  const va = new DataView(a.buffer, a.byteOffset, a.byteLength);
  const vb = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const la = va.getInt32(i);
    const lb = vb.getInt32(j);
    i += 4;
    j += 4;
    if (la < 0 || lb < 0) {
      if (la !== lb) return la < 0 ? 1 : -1;
      continue;
    }
    const n = Math.min(la, lb);
    for (let k = 0; k < n; k++) if (a[i + k] !== b[j + k]) return a[i + k] - b[j + k];
    if (la !== lb) return la - lb;
    i += la;
    j += lb;
  }
  return 0;
}

/** The tasks of a run in order: per series (in key order), its slices (`slice` 0, 1, …; one when it is short). */
export function* seriesTasks(run: Omit<SeriesRun, 'tables' | 'dataset'>): Generator<{ series: number; slice: number; task: SeriesTask }> {
  const slicePoints = run.slicePoints ?? SLICE_POINTS;
  const empty = (tail: StoredTail): StoredTail => ({ times: new Float64Array(0), values: tail.values.map(() => new Float64Array(0)), imputed: new Uint8Array(0) });
  for (const s of keyOrder(run.series)) {
    const points = run.series[s];
    const restored = run.restored[s];
    const counted = restored.times.length === 0 ? EVERY_TIME : points.span();
    const base = { keyFields: points.keyFields, keyFieldCount: run.keyFieldCount, fileId: run.fileId, options: run.options, integerFeatures: run.integerFeatures, counted };
    const all = withRestored(points, restored);
    if (all.times.length <= slicePoints) {
      // Copies: the task's arrays are transferred to the worker.
      const { times, offsets, values } = all;
      yield { series: s, slice: 0, task: { ...base, times: times.slice(), offsets: offsets.slice(), values: values.map((v) => v.slice()), tail: run.tails[s], outputFrom: Number.NEGATIVE_INFINITY } };
      continue;
    }
    const sorted = inTimeOrder(all);
    const interval = run.options.interval ?? detectInterval(sorted.times) ?? { kind: 'fixed', micros: 1e6 };
    const context = contextPoints(run.options, interval);
    // A slice at least as long as its context, so the re-read context at most doubles the work.
    const size = Math.max(slicePoints, context);
    for (let start = 0, slice = 0; start < sorted.times.length; slice++) {
      let end = Math.min(sorted.times.length, start + size);
      // A slice never splits the points of one time (duplicates are resolved together).
      while (end < sorted.times.length && sorted.times[end] === sorted.times[end - 1]) end++;
      // Enough raw points before the slice for `context` distinct times.
      let from = start;
      for (let distinct = 0; from > 0 && distinct < context; from--) if (sorted.times[from - 1] !== sorted.times[from]) distinct++;
      while (from > 0 && sorted.times[from - 1] === sorted.times[from]) from--;
      yield {
        series: s, slice,
        task: {
          // Every slice steps by the whole series' interval (one it detected itself could differ).
          ...base, options: { ...run.options, interval }, times: sorted.times.slice(from, end), offsets: sorted.offsets.slice(from, end), values: sorted.values.map((v) => v.slice(from, end)),
          tail: start === 0 ? run.tails[s] : empty(run.tails[s]), outputFrom: start === 0 ? Number.NEGATIVE_INFINITY : sorted.times[start],
        },
      };
      start = end;
    }
  }
}

/**
 * The file's points of a series and the stored rows computed again with them, as one input (views
 * of the file's points when there are none). A restored point has no file offset: its time is none
 * of the file's, so no tie in time order needs one.
 */
function withRestored(points: SeriesPoints, restored: RestoredPoints): { times: Float64Array; offsets: Float64Array; values: Float64Array[] } {
  const own = points.trimmed();
  if (restored.times.length === 0) return own;
  const join = (a: Float64Array, b: Float64Array): Float64Array => {
    const out = new Float64Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  };
  return { times: join(own.times, restored.times), offsets: join(own.offsets, new Float64Array(restored.times.length)), values: own.values.map((v, c) => join(v, restored.values[c])) };
}

function transfers(task: SeriesTask): ArrayBuffer[] {
  return [task.times.buffer, task.offsets.buffer, ...task.values.map((v) => v.buffer)] as ArrayBuffer[];
}

export async function runSeriesTasks(piscina: Piscina, client: pg.ClientBase, run: SeriesRun): Promise<WrittenSeries> {
  const written: WrittenSeries = { counts: { points: 0, duplicates: 0, gaps: 0, missing: 0, imputed: 0, openGaps: 0, anomalies: 0 }, events: [], rows: 0 };
  const pending = { timeseries: [] as Uint8Array[], features: [] as Uint8Array[], bytes: 0, from: Number.POSITIVE_INFINITY, to: Number.NEGATIVE_INFINITY };
  const partitions = new Map<number, boolean>();
  let writing: Promise<void> = Promise.resolve();
  // Tuples back from the workers and not yet in PostgreSQL: past MAX_UNWRITTEN no task is sent.
  let unwritten = 0;
  // Flushes chained and not finished, and a way to wait until a flush or a task completes.
  let flushes = 0;
  let wake: () => void = () => undefined;
  const progress = (): Promise<void> => new Promise((resolve) => { wake = resolve; });

  const flush = async (): Promise<void> => {
    if (pending.timeseries.length === 0) return;
    const batch = { ...pending };
    pending.timeseries = [];
    pending.features = [];
    pending.bytes = 0;
    pending.from = Number.POSITIVE_INFINITY;
    pending.to = Number.NEGATIVE_INFINITY;
    await ensurePartitions(client, run.tables, run.dataset, Math.floor(batch.from / 1000), Math.floor(batch.to / 1000), partitions);
    const columns = (names: string[]) => names.map((n) => `"${n.replaceAll('"', '""')}"`).join(', ');
    const into = copyTargets(run.tables, run.dataset, Math.floor(batch.from / 1000), Math.floor(batch.to / 1000), partitions);
    await copyIn(client, `COPY ${into.timeseries} (${columns(run.tables.timeseriesColumns)}) FROM STDIN WITH (FORMAT binary)`, [BINARY_COPY_HEADER, ...batch.timeseries, TRAILER]);
    await copyIn(client, `COPY ${into.features} (${columns(run.tables.featureColumns)}) FROM STDIN WITH (FORMAT binary)`, [BINARY_COPY_HEADER, ...batch.features, TRAILER]);
    unwritten -= batch.bytes;
  };

  const slices = new Map<number, SliceEvents[]>();
  // Results are written in task order (key order), whatever order the workers finish them in.
  const ready = new Map<number, SeriesTaskResult>();
  let nextToWrite = 0;
  const arrived = (sequence: number, series: number, slice: number, result: SeriesTaskResult): void => {
    unwritten += result.timeseries.length + result.features.length;
    ready.set(sequence, result);
    take(series, slice, result);
    wake();
    for (let next = ready.get(nextToWrite); next !== undefined; next = ready.get(nextToWrite)) {
      ready.delete(nextToWrite++);
      append(next);
    }
  };
  const take = (series: number, slice: number, result: SeriesTaskResult): void => {
    const c = written.counts;
    for (const key of Object.keys(c) as Array<keyof typeof c>) c[key] += result.counts[key];
    const known = slices.get(series) ?? [];
    known[slice] = { events: result.events, first: result.first, last: result.last };
    slices.set(series, known);
    written.rows += result.rows;
  };
  const append = (result: SeriesTaskResult): void => {
    if (result.rows === 0) return;
    pending.timeseries.push(result.timeseries);
    pending.features.push(result.features);
    pending.bytes += result.timeseries.length + result.features.length;
    pending.from = Math.min(pending.from, result.first);
    pending.to = Math.max(pending.to, result.last);
    if (pending.bytes >= FLUSH_BYTES) {
      flushes++;
      writing = writing.then(flush).finally(() => { flushes--; wake(); });
      // Awaited below; handled here so a failed write is not an unhandled rejection meanwhile.
      writing.catch(() => undefined);
    }
  };

  const limit = Math.max(1, piscina.threads.length * 2);
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let sequence = 0;
  for (const { series, slice, task } of seriesTasks(run)) {
    if (failure !== undefined) break;
    const taskNo = sequence++;
    const running: Promise<void> = (piscina.run(task, { name: 'processSeries', transferList: transfers(task) }) as Promise<SeriesTaskResult>)
      .then((result) => arrived(taskNo, series, slice, result), (error: unknown) => { failure ??= error; })
      .finally(() => inFlight.delete(running));
    inFlight.add(running);
    if (inFlight.size >= limit) await Promise.race(inFlight);
    // COPY is slower than the workers: wait for it rather than hold the whole output in memory.
    while (unwritten > MAX_UNWRITTEN && failure === undefined && (flushes > 0 || inFlight.size > 0)) await progress();
  }
  await Promise.all(inFlight);
  // The writes so far settle before anything else happens on the connection, a failure included.
  await writing;
  if (failure !== undefined) throw failure;
  await flush();
  for (const [series, parts] of [...slices].sort((a, b) => a[0] - b[0])) {
    for (const event of joinSliceEvents(parts)) written.events.push({ ...event, series });
  }
  return written;
}

export interface SliceEvents {
  events: readonly SeriesEvent[];
  /** The slice's first and last output time (NaN without rows). */
  first: number;
  last: number;
}

/** A series' events as one pass gives them: an event running across a slice boundary is one. */
export function joinSliceEvents(parts: readonly SliceEvents[]): SeriesEvent[] {
  let events: SeriesEvent[] = [];
  let last = Number.NaN;
  for (const part of parts) {
    if (Number.isNaN(part.first)) continue;
    events = Number.isNaN(last) ? [...part.events] : joinSeriesEvents(events, last, part.events, part.first);
    last = part.last;
  }
  return events;
}
