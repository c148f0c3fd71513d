import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { PlainError } from '../errors.js';
import type { ConvertWorkbookResult, ConvertWorkbookTask, ListWorksheetsResult, ListWorksheetsTask } from '../formats/xlsx/convert-workbook.js';
import { selectSheet } from '../formats/xlsx/sheet-selector.js';
import { claimUnique, normaliseIdentifier } from '../schema/identifiers.js';
import { inUserTerms, type ResolvedInput } from '../sources/resolve-input.js';
import { openSpoolEntry } from '../sources/spool.js';
import { emptySummary, type FileSummary } from '../summary.js';
import type { LoadContext, LoadRequest } from './file-loader.js';
import { loadedSummaries } from './ledger.js';

/**
 * Loads an Excel workbook, one dataset per sheet:
 *
 *   worker: list the worksheets (zip directory + workbook.xml) ─┐
 *   main:   sha256 of the workbook ─────────────────────────────┴─ sheets already loaded? (ledger) ─ all: skipped
 *   worker: convert the others (exceljs, row by row) ─▶ <home>/spool/<entry>/sheet-N.csv
 *   main:   for each sheet: the ordinary CSV load of its CSV (parallel chunks, exactly-once COPY)
 *           with the types Excel gave its cells; the CSV is removed after its load
 *
 * A zip cannot be cut into byte ranges, so the conversion is the one step that is not parallel
 * within a file; everything after it is the CSV path unchanged.
 *
 * Ledger identity: a sheet is recorded in ingest.files with sha256 = `<workbook sha256>/<sheet
 * name>` (sheet names cannot contain `/`). Loading the same workbook again therefore skips each
 * sheet already loaded — without converting it — and loads a sheet that was not (another
 * `--sheet`, or one that failed). The conversion is deterministic, so a load interrupted part way
 * resumes on the same chunks. The summary's `sha256` is the workbook's own; `sheet` names the sheet.
 */

/** Loads one sheet's spooled CSV standing in for the workbook (file-loader's local load). */
export type SheetLoader = (sheetInput: ResolvedInput, request: LoadRequest) => Promise<FileSummary>;

export interface WorkbookLoad {
  /** What the user named (the summary's `file`). */
  path: string;
  /** The workbook on disk (downloaded or decompressed already, if it had to be). */
  input: ResolvedInput;
  request: LoadRequest;
  started: number;
  hash: (path: string) => Promise<string>;
  loadSheet: SheetLoader;
}

/**
 * Dataset names: `<file>_<sheet>` normalised; with `--dataset NAME`, NAME for a single sheet and
 * `NAME_<sheet>` for several. Two sheets that normalise alike get `_2`, `_3`, … in tab order.
 */
export function sheetDatasets(path: string, sheets: readonly string[], requested: string | undefined): string[] {
  const taken = new Set<string>();
  const stem = basename(path).replace(/\.[^.]*$/, '');
  return sheets.map((sheet) => {
    const base = requested !== undefined && sheets.length === 1
      ? normaliseIdentifier(requested, 'dataset')
      : normaliseIdentifier(`${requested ?? stem}_${sheet}`, 'dataset');
    return claimUnique(base, taken);
  });
}

/** A sheet's ledger identity. */
export function sheetIdentity(workbookSha256: string, sheet: string): string {
  return `${workbookSha256}/${sheet}`;
}

function workerFailure(path: string, error: unknown): { ok: false; error: PlainError } {
  return { ok: false, error: { code: 'SLUICE_ERR_WORKER_FAILED', message: `reading ${path}: ${(error as Error).message}` } };
}

export async function loadWorkbook(context: LoadContext, load: WorkbookLoad): Promise<FileSummary[]> {
  const { path, input, request, started } = load;
  const { piscina, options } = context;
  const elapsed = (): number => Math.round(performance.now() - started);
  // The worker reads the local file (maybe a spooled copy); the summary names the input as given.
  const failed = (error: PlainError, sha256: string | null = null): FileSummary[] => [{
    ...emptySummary(path), format: 'xlsx', compression: input.compression, sha256, status: 'failed', error: inUserTerms(error, input), duration_ms: elapsed(),
  }];

  const listTask: ListWorksheetsTask = { path: input.localPath };
  const [listed, hashed] = await Promise.all([
    (piscina.run(listTask, { name: 'listWorksheets' }) as Promise<ListWorksheetsResult>).catch((error: unknown) => workerFailure(input.label, error)),
    // A downloaded or decompressed workbook was hashed while it was spooled.
    input.sha256 !== undefined ? Promise.resolve<string | Error>(input.sha256) : load.hash(input.localPath).catch((error: unknown) => error as Error),
  ]);
  if (hashed instanceof Error) return failed({ code: 'SLUICE_ERR_FILE_READ', message: `cannot read ${input.label}: ${hashed.message}` });
  if (!listed.ok) return failed(listed.error, hashed);

  let chosen = listed.names;
  const selector = request.overrides?.sheet;
  if (selector !== undefined) {
    const name = selectSheet(selector, listed.names);
    if (name === null) {
      return failed({ code: 'SLUICE_ERR_FORMAT_XLSX_SHEET_NOT_FOUND', message: `${input.label} has no sheet ${JSON.stringify(selector)}; its sheets: ${listed.names.map((n) => JSON.stringify(n)).join(', ')}` }, hashed);
    }
    chosen = [name];
  }
  let done = new Map<string, FileSummary>();
  if (request.force !== true && chosen.length > 0) {
    const byIdentity = await loadedSummaries(context.pool, chosen.map((name) => sheetIdentity(hashed, name)));
    done = new Map(chosen.flatMap((name) => {
      const summary = byIdentity.get(sheetIdentity(hashed, name));
      return summary === undefined ? [] : [[name, summary] as const];
    }));
  }
  const todo = chosen.filter((name) => !done.has(name));

  const entry = todo.length > 0 ? await openSpoolEntry(join(options.home, 'spool')) : undefined;
  try {
    let converted: ConvertWorkbookResult = { ok: true, sheets: [], empty: [] };
    if (entry !== undefined) {
      const task: ConvertWorkbookTask = { path: input.localPath, spoolDir: entry.dir, sheets: todo };
      converted = await (piscina.run(task, { name: 'convertWorkbook' }) as Promise<ConvertWorkbookResult>).catch((error: unknown) => workerFailure(input.label, error));
      if (!converted.ok) return failed(converted.error, hashed);
      options.log(`${basename(path)}: ${converted.sheets.length} sheet(s) converted at ${elapsed()} ms`);
    }
    const spooled = new Map(converted.sheets.map((sheet) => [sheet.name, sheet]));
    const withData = chosen.filter((name) => done.has(name) || spooled.has(name));
    if (withData.length === 0) {
      const what = selector === undefined ? 'no sheet holds any data' : `sheet ${JSON.stringify(chosen[0])} holds no data`;
      return failed({ code: 'SLUICE_ERR_FORMAT_XLSX_EMPTY', message: `${input.label}: ${what}` }, hashed);
    }

    // Named after the workbook as it is on disk: a .xlsx.gz or a download by the name inside.
    const datasets = sheetDatasets(input.localPath, withData, request.dataset);
    const userTypes = request.overrides?.types;
    const summaries: FileSummary[] = [];
    for (let i = 0; i < withData.length; i++) {
      const name = withData[i];
      const stored = done.get(name);
      if (stored !== undefined) {
        summaries.push({ ...stored, file: path, compression: input.compression, sha256: hashed, status: 'skipped', error: null, duration_ms: elapsed() });
        continue;
      }
      const sheet = spooled.get(name)!;
      const remove = (): Promise<void> => rm(sheet.csvPath, { force: true });
      const sheetInput: ResolvedInput = {
        localPath: sheet.csvPath, source: input.source, label: input.label, compression: input.compression,
        // The ledger identity (see above), given as the hash so the CSV is not hashed itself.
        sha256: sheetIdentity(hashed, name),
        cleanup: remove,
      };
      try {
        summaries.push(await load.loadSheet(sheetInput, {
          dataset: datasets[i], runId: request.runId, datasetConfig: request.datasetConfig, force: request.force, onProgress: request.onProgress, onChunk: request.onChunk,
          // Excel said what every cell is: nothing is left for the sniffer to guess. A type the
          // user forced (`--types`, by column name or header text) still wins.
          overrides: {
            header: true, delimiter: ',', quote: '"', encoding: 'utf-8',
            types: Object.fromEntries(sheet.columns.map((c) => [c.name, userTypes?.[c.name] ?? userTypes?.[c.source] ?? c.type])),
          },
          summary: {
            format: 'xlsx', sheet: name, sha256: hashed, encoding: null, delimiter: null, quote: null, line_ending: null, header: true, confidence: null,
          },
        }));
      } finally {
        await remove();
      }
    }
    return summaries;
  } finally {
    await entry?.remove();
  }
}
