import { ByteSink } from '../formats/byte-sink.js';
import { BinaryCopyEncoder } from '../sink/binary-copy.js';
import { processSeries, type SeriesEvent, type SeriesOutput } from './process-series.js';
import type { Interval, SeriesOptions } from './series-options.js';
import { inTimeOrder } from './series-points.js';

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

function putDouble(encoder: BinaryCopyEncoder, value: number): void {
  if (Number.isNaN(value)) encoder.null();
  else encoder.float8(value);
}

export function runSeriesTask(task: SeriesTask): SeriesTaskResult {
  // In time order, ties in file order, so duplicate policies see the file's order.
  const points = inTimeOrder(task);
  const output = processSeries({ tail: task.tail, times: points.times, values: points.values, outputFrom: task.outputFrom }, task.options);
  const rows = output.times.length;
  const valueCount = output.values.length;
  const featureCount = output.features.length;
  const { keyFields, keyFieldCount, fileId } = task;

  const series = new BinaryCopyEncoder(new ByteSink(new Uint8Array(rows * (40 + keyFields.length + 12 * valueCount) + 64)));
  const features = new BinaryCopyEncoder(new ByteSink(new Uint8Array(rows * (28 + keyFields.length + 12 * featureCount) + 64)));
  const firstInteger = featureCount - task.integerFeatures;
  for (let r = 0; r < rows; r++) {
    series.row(1 + keyFieldCount + valueCount + 4);
    series.timestamptzMicros(output.times[r]);
    series.sink.pushBytes(keyFields, 0, keyFields.length);
    for (let v = 0; v < valueCount; v++) putDouble(series, output.values[v][r]);
    series.bool(output.imputed[r] === 1);
    series.bool(output.anomaly[r] === 1);
    putDouble(series, output.score[r]);
    series.int8(fileId);

    features.row(1 + keyFieldCount + featureCount + 1);
    features.timestamptzMicros(output.times[r]);
    features.sink.pushBytes(keyFields, 0, keyFields.length);
    for (let f = 0; f < featureCount; f++) {
      const value = output.features[f][r];
      if (Number.isNaN(value)) features.null();
      else if (f >= firstInteger) features.int4(value);
      else features.float8(value);
    }
    features.int8(fileId);
  }
  return {
    timeseries: series.sink.view(), features: features.sink.view(), rows,
    first: rows === 0 ? Number.NaN : output.times[0], last: rows === 0 ? Number.NaN : output.times[rows - 1],
    interval: output.interval, counts: output.counts, events: output.events,
  };
}
