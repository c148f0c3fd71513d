import type { z } from 'zod';
import type { ColumnBatch } from '../batch/column-batch.js';
import type { ByteSink } from '../formats/byte-sink.js';

/**
 * The stages a worker runs on each chunk's ColumnBatch, in this order (ARCHITECTURE.md, "Inside a
 * worker"): transform → validate → profile → detect (→ zone, for a series zone), then the encoder
 * writes COPY bytes.
 *
 * A stage is a module exporting a StageSpec: its options as a zod schema (defaults and a
 * description per option, validated where the configuration is read), a factory that builds the
 * stage for one file's columns, and a pure `merge` of two chunk reports. `process` runs in a
 * worker on one chunk; `report()` then hands back what the chunk found as plain data (it crosses
 * to the main thread by structured clone), and the main thread folds the reports with `merge` in
 * chunk order — so a chunk that is re-run, or a load resumed after a crash (reports are kept in
 * ingest.chunks), gives the same result as one clean pass.
 */

export type StageName = 'transform' | 'conform' | 'validate' | 'profile' | 'detect' | 'zone';

/** Where a stage's rows go; every sink holds COPY text rows for its table. */
export interface StageContext {
  dataset: string;
  fileId: number;
  chunkNo: number;
  /** ingest.rejects rows (see formats/reject-row.ts): a stage that refuses a row writes it here and calls batch.reject(row). */
  rejects: ByteSink;
  /** ingest.anomalies rows (see stages/anomaly-row.ts). */
  anomalies: ByteSink;
}

export interface Stage<Report> {
  readonly name: StageName;
  process(batch: ColumnBatch, context: StageContext): void;
  /** What the chunks processed since the last call found (plain data), and a fresh start for the next chunk. */
  report(): Report;
}

/** What a stage's factory knows of the file: its columns as the batch will hold them on entry to the stage. */
export interface StageColumn {
  name: string;
  type: import('../schema/column-type.js').ColumnTypeCode;
}

/** What the main thread knows of a file when it plans its stages. */
export interface StageLoad {
  dataset: string;
  datasetConfig: import('../configuration/config-schema.js').DatasetConfig | undefined;
  /** The columns as the parser fills the batch. */
  columns: readonly StageColumn[];
  /** Sampled values per column as written in the file (null for empty), when the format keeps a sample. */
  sampleValues: ReadonlyArray<ReadonlyArray<string | null>> | undefined;
  /**
   * The load's transform steps: the standard columns' renames and unit conversions, the dataset's
   * own steps, and under a frozen schema the drop of columns the table does not have
   * (schedule/column-shape.ts decides them once for the loader and the stages). Absent: the
   * dataset's `transforms` alone.
   */
  steps?: readonly import('../configuration/config-schema.js').TransformStepConfig[];
  /** Under a frozen schema: the file's columns the table does not have (a row with a value in one is rejected as SCHEMA). */
  frozenOut?: readonly string[];
  /** `--timeseries` (true) / `--no-timeseries` (false) for this load; undefined: the configuration decides. */
  timeseries?: boolean;
}

export interface StageSpec<Options, Report> {
  readonly name: StageName;
  readonly description: string;
  /**
   * Options with defaults; `parse` gives the options a stage runs with. Parsed on the main thread
   * when a file's plan is made from a dataset's configuration (stage-plan.ts); each stage module
   * loads its schema on first use, so the workers, which only build stages from planned options,
   * never load zod.
   */
  readonly options: z.ZodType<Options>;
  create(options: Options, columns: readonly StageColumn[]): Stage<Report>;
  /** The batch's columns when this stage is done, for the stages after it (default: unchanged); the transform stage renames, retypes and adds. */
  columnsAfter?(options: Options, columns: readonly StageColumn[]): readonly StageColumn[];
  /**
   * Main thread, once per load: this stage's options for the file (from its dataset's
   * configuration and the sniffed sample), complete — as `options.parse` would leave them — or
   * undefined when the stage does not run for it.
   */
  planFor?(load: StageLoad): Options | undefined;
  /** Folds two chunk reports (a before b); associative, so the main thread can fold in chunk order. */
  merge(a: Report, b: Report): Report;
}

/** The transform steps a load runs (StageLoad.steps, else the dataset's own). */
export function loadSteps(load: StageLoad): readonly import('../configuration/config-schema.js').TransformStepConfig[] {
  return load.steps ?? load.datasetConfig?.transforms ?? [];
}
