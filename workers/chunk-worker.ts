/**
 * Worker-thread entry point for the piscina pool. It only routes: the logic lives in src/ and is
 * tested there without a pool. Tasks carry slot numbers and shared buffers, never row objects.
 */
import { type EncodeResult, type EncodeTask, runEncodeTask } from '../src/formats/csv/encode-task.js';
import { runSniffTask, type SniffTask, type SniffTaskResult } from '../src/formats/csv/sniff-task.js';
import { type JsonEncodeResult, type JsonEncodeTask, runJsonEncodeTask } from '../src/formats/json/encode-task.js';
import { type JsonSniffTask, type JsonSniffTaskResult, runJsonSniffTask } from '../src/formats/json/sniff-task.js';
import { Piscina } from 'piscina';
import '../src/stages/all-stages.js';
import { runSeriesTask, type SeriesTask, type SeriesTaskResult } from '../src/timeseries/series-task.js';
import type { ConvertWorkbookResult, ConvertWorkbookTask, ListWorksheetsResult, ListWorksheetsTask } from '../src/formats/xlsx/convert-workbook.js';

export function encode(task: EncodeTask): EncodeResult {
  return runEncodeTask(task);
}

export function sniff(task: SniffTask): SniffTaskResult {
  return runSniffTask(task);
}

export function encodeJson(task: JsonEncodeTask): JsonEncodeResult {
  return runJsonEncodeTask(task);
}

export function sniffJson(task: JsonSniffTask): JsonSniffTaskResult {
  return runJsonSniffTask(task);
}

/**
 * One series (or a slice of one) of the time-series pass: processed and written as COPY tuples.
 * The two tuple buffers (a few hundred bytes a row: 340 MB for the 1M-row benchmark file) are
 * transferred to the main thread instead of copied by the structured clone (measured for 250
 * results of that size: 45 ms of CPU instead of 70).
 */
export function processSeries(task: SeriesTask): SeriesTaskResult {
  const result = runSeriesTask(task);
  const movable = { [Piscina.transferableSymbol]: [result.timeseries.buffer, result.features.buffer], [Piscina.valueSymbol]: result };
  return Piscina.move(movable as unknown as Parameters<typeof Piscina.move>[0]) as unknown as SeriesTaskResult;
}

/**
 * One whole workbook to CSV files in the spool (a zip has no byte ranges to split on). exceljs is
 * imported on first use: it takes ~200 ms to load, which a pool that only sees CSV should not pay.
 */
export async function convertWorkbook(task: ConvertWorkbookTask): Promise<ConvertWorkbookResult> {
  const { convertWorkbook: convert } = await import('../src/formats/xlsx/convert-workbook.js');
  return convert(task);
}

/** A workbook's worksheet names (its directory and workbook.xml only), to know what a load involves. */
export async function listWorksheets(task: ListWorksheetsTask): Promise<ListWorksheetsResult> {
  const { listWorksheets: list } = await import('../src/formats/xlsx/convert-workbook.js');
  return list(task);
}

export default encode;
