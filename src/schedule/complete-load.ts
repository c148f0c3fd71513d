import type { Piscina } from 'piscina';
import type { PreparedFile } from '../formats/prepared-file.js';
import { postgresTypeName } from '../schema/column-type.js';
import { plannedColumns, qualifiedTable, type StagingColumn } from '../sink/staging-table.js';
import { runLoadFinishers } from '../stages/load-finish.js';
import type { FileSummary } from '../summary.js';
import type { OpenFile } from './start-pipeline.js';
import type { LoadRequest } from './file-loader.js';
import { fileWidenings } from './file-widenings.js';
import { completeFile } from './ledger.js';
import type { PipelineResult } from './load-pipeline.js';

/** The summary's columns: the table's as loaded, with what the sniffer found where the type is still its own. */
function summaryColumns(finalColumns: readonly StagingColumn[], prepared: PreparedFile, sources: ReadonlyMap<string, string>): FileSummary['columns'] {
  return finalColumns.map((c) => {
    // By name: transforms may rename, drop and add columns (a derived column has no source).
    const found = prepared.columns.find((p) => p.name === c.name);
    const sameType = found?.type === c.type;
    return {
      name: c.name, source: sources.get(c.name) ?? '', type: postgresTypeName(c.type), confidence: found?.confidence ?? 1,
      format: sameType ? found?.format ?? null : null, ...(sameType && found?.ambiguous === true ? { ambiguous: true } : {}),
    };
  });
}

/**
 * After the last chunk: the file's widenings and absolute reject lines, the stages' work over the
 * whole load (load finishers), the summary, and the ledger row marked loaded — one transaction
 * (ledger.ts completeFile).
 */
export async function completeLoad(file: OpenFile, request: LoadRequest, load: {
  fileId: number; attempt: number; dataset: string; columns: StagingColumn[]; pipeline: PipelineResult; describe: (patch: Partial<FileSummary>) => FileSummary; piscina: Piscina;
  /** Told as each step of the completion ends (SLUICE_DEBUG timings). */
  phase?: (name: string) => void;
}): Promise<FileSummary> {
  const { prepared, shape } = file;
  const sources = new Map(shape.table.flatMap((c, i) => shape.sources[i] === null ? [] : [[c.name, shape.sources[i]!] as const]));
  const counts = { loaded: load.pipeline.chunksLoaded, skipped: load.pipeline.chunksSkipped };
  // One step: a connection lost part way rolls back completeFile's transaction, and all of it runs again.
  return file.control.step(async (control) => {
    // The table's types now: widened during this load (or an earlier attempt of it, or by another load meanwhile).
    const finalColumns = await plannedColumns(control, load.dataset, load.columns);
    const firstDataLine = await prepared.firstDataLine(file.handle);
    const widened = await fileWidenings(control, load.fileId, firstDataLine, finalColumns);
    return completeFile(control, load.fileId, load.attempt, firstDataLine, counts, (totals, samples) => load.describe({
      status: 'loaded', format: prepared.format, encoding: prepared.encoding, ...prepared.describe, rows: totals.rows, rejected: totals.rejected, widened,
      columns: summaryColumns(finalColumns, prepared, sources),
      reject_samples: samples, chunks: { total: totals.chunks, loaded: counts.loaded, skipped: counts.skipped },
    }), request.keepPreamble === true ? prepared.preamble : undefined, (client, totals) => runLoadFinishers({
      client, fileId: load.fileId, dataset: load.dataset, table: qualifiedTable(load.dataset), columns: finalColumns, sources, ...totals, datasetConfig: request.datasetConfig,
      piscina: load.piscina, timeseries: request.timeseries,
    }, load.phase));
  });
}
