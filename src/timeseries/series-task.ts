import { PG_EPOCH_MS } from '../sink/binary-copy.js';
import { processSeries, type SeriesEvent, type SeriesOutput } from './process-series.js';
import type { Interval, SeriesOptions } from './series-options.js';
import { inTimeOrder, type TimeSpan } from './series-points.js';

/**
 * What a worker does with one series (or a slice of one): put its points in (time, file order),
 * run processSeries, and write the rows of timeseries.<dataset> and features.<dataset> as binary
 * COPY tuples (no header or trailer: the main thread joins several tasks' tuples into one COPY).
 * The key's fields arrive as binary COPY bytes and are copied in front of every row as they are.
 *
 *   main ── SeriesTask (typed arrays, transferred) ──▶ worker: sort ▸ processSeries ▸ encode
 *   main ◀── SeriesTaskResult (two tuple buffers, counts, events) ──┘
 */

export interface SeriesTask {
  keyFields: Uint8Array;
  keyFieldCount: number;
  fileId: number;
  times: Float64Array;
  offsets: Float64Array;
  values: Float64Array[];
  tail: { times: Float64Array; values: Float64Array[]; imputed: Uint8Array };
  outputFrom: number;
  /** The file's own points' times; the others are stored rows computed again (SeriesInput.counted). */
  counted: TimeSpan;
  options: SeriesOptions;
  /** Features written as integer (the calendar parts), by position in featureColumns order. */
  integerFeatures: number;
}

export interface SeriesTaskResult {
  timeseries: Uint8Array;
  features: Uint8Array;
  rows: number;
  /** First and last output time (µs), NaN without rows. */
  first: number;
  last: number;
  interval: Interval | null;
  counts: SeriesOutput['counts'];
  events: SeriesEvent[];
}

const PG_EPOCH_MICROS = PG_EPOCH_MS * 1000;
const TWO_32 = 2 ** 32;

/**
 * Binary COPY fields written with DataView's big-endian stores into a buffer sized for the
 * task's rows beforehand (a NULL takes fewer bytes than any value): one store per number
 * instead of a byte at a time, and no capacity check per field: the rows of the 1M-point
 * benchmark file took 0.17 s to encode instead of 0.45 s through BinaryCopyEncoder.
 */
class TupleWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  at = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  fieldCount(fields: number): void {
    this.view.setInt16(this.at, fields);
    this.at += 2;
  }

  /** Bytes already in binary COPY form (the key's length-prefixed fields). */
  raw(bytes: Uint8Array): void {
    this.bytes.set(bytes, this.at);
    this.at += bytes.length;
  }

  null(): void {
    this.view.setInt32(this.at, -1);
    this.at += 4;
  }

  /** NaN is NULL. */
  float8(value: number): void {
    if (Number.isNaN(value)) return this.null();
    this.view.setInt32(this.at, 8);
    this.view.setFloat64(this.at + 4, value);
    this.at += 12;
  }

  /** NaN is NULL. */
  int4(value: number): void {
    if (Number.isNaN(value)) return this.null();
    this.view.setInt32(this.at, 4);
    this.view.setInt32(this.at + 4, value);
    this.at += 8;
  }

  /** An integer within ±2^53. */
  int8(value: number): void {
    const high = Math.floor(value / TWO_32);
    this.view.setInt32(this.at, 8);
    this.view.setInt32(this.at + 4, high);
    this.view.setUint32(this.at + 8, value - high * TWO_32);
    this.at += 12;
  }

  bool(value: boolean): void {
    this.view.setInt32(this.at, 1);
    this.bytes[this.at + 4] = value ? 1 : 0;
    this.at += 5;
  }

  /** Microseconds since 1970 UTC, rounded to a whole one: as an int8 of microseconds since 2000, exact within ±2^53 µs (years 1715–2285). */
  timestamptzMicros(micros: number): void {
    this.int8(Math.round(micros) - PG_EPOCH_MICROS);
  }

  view8(): Uint8Array {
    return this.bytes.subarray(0, this.at);
  }
}

export function runSeriesTask(task: SeriesTask): SeriesTaskResult {
  // In time order, ties in file order, so duplicate policies see the file's order.
  const points = inTimeOrder(task);
  const output = processSeries({ tail: task.tail, times: points.times, values: points.values, outputFrom: task.outputFrom, counted: task.counted }, task.options);
  const rows = output.times.length;
  const valueCount = output.values.length;
  const featureCount = output.features.length;
  const { keyFields, keyFieldCount, fileId } = task;

  // Bytes per row at most: field count, time, key, values, two booleans, score, _file; and
  // field count, time, key, features, _file.
  const series = new TupleWriter(rows * (2 + 12 + keyFields.length + 12 * valueCount + 5 + 5 + 12 + 12));
  const features = new TupleWriter(rows * (2 + 12 + keyFields.length + 12 * featureCount + 12));
  const firstInteger = featureCount - task.integerFeatures;
  for (let r = 0; r < rows; r++) {
    series.fieldCount(1 + keyFieldCount + valueCount + 4);
    series.timestamptzMicros(output.times[r]);
    series.raw(keyFields);
    for (let v = 0; v < valueCount; v++) series.float8(output.values[v][r]);
    series.bool(output.imputed[r] === 1);
    series.bool(output.anomaly[r] === 1);
    series.float8(output.score[r]);
    series.int8(fileId);

    features.fieldCount(1 + keyFieldCount + featureCount + 1);
    features.timestamptzMicros(output.times[r]);
    features.raw(keyFields);
    for (let f = 0; f < firstInteger; f++) features.float8(output.features[f][r]);
    for (let f = firstInteger; f < featureCount; f++) features.int4(output.features[f][r]);
    features.int8(fileId);
  }
  return {
    timeseries: series.view8(), features: features.view8(), rows,
    first: rows === 0 ? Number.NaN : output.times[0], last: rows === 0 ? Number.NaN : output.times[rows - 1],
    interval: output.interval, counts: output.counts, events: output.events,
  };
}
