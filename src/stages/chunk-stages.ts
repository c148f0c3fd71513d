import type { ColumnBatch } from '../batch/column-batch.js';
import { ByteSink } from '../formats/byte-sink.js';
import { fillTypedValues } from '../batch/typed-values.js';
import { encodeBinaryCopy } from '../sink/binary-copy-encoder.js';
import { encodeCsvCopy } from '../sink/csv-copy-encoder.js';
import type { Stage, StageColumn, StageName, StageSpec } from './stage.js';

/**
 * The worker's side of a chunk after parsing: run the file's stages on the batch in their fixed
 * order, then encode the rows they kept as COPY input. Which stages run and with what options is
 * in the plan (plain data, from the dataset's configuration); the stages are built once per file
 * and worker and reused for its chunks.
 */

/** Stage options as the plan carries them: each its spec's parsed options (stage-plan.ts). */
export type StagePlan = Partial<Record<StageName, unknown>>;

export type CopyFormat = 'csv' | 'binary';

export interface ChunkStagesPlan {
  /** The dataset (for anomaly rows); absent in plans that run no stages. */
  dataset?: string;
  fileId: number;
  chunkNo: number;
  /** Identifies the stage configuration (file id and configuration version): stages are reused while it is the same. */
  stagesKey?: string;
  stages?: StagePlan;
  /** What the encoder writes (default csv). */
  copyFormat?: CopyFormat;
  /** COPY CSV delimiter and quote of the output (csv format). */
  copyDelimiter: number;
  copyQuote: number;
}

/** Every stage in the order they run; a stage absent from a plan does not run. */
const STAGE_ORDER: readonly StageName[] = ['transform', 'conform', 'validate', 'profile', 'detect', 'zone'];
const SPECS = new Map<StageName, StageSpec<unknown, unknown>>();

/** Registers a stage's spec (each stage module calls this once, from stages/all-stages.ts). */
export function registerStage<O, R>(spec: StageSpec<O, R>): void {
  SPECS.set(spec.name, spec as StageSpec<unknown, unknown>);
}

export function stageSpec(name: StageName): StageSpec<unknown, unknown> | undefined {
  return SPECS.get(name);
}

/** The registered stages in the order they run. */
export function stageSpecs(): StageSpec<unknown, unknown>[] {
  return STAGE_ORDER.flatMap((name) => SPECS.get(name) ?? []);
}

export type ChunkReports = Partial<Record<StageName, unknown>>;

export interface ChunkOutput {
  rows: number;
  reports: ChunkReports;
  /** ingest.anomalies COPY text rows found in this chunk (empty when none). */
  anomalies: Uint8Array;
}

let cachedKey: string | undefined;
let cachedStages: Stage<unknown>[] = [];

/**
 * The plan's stages, built for the batch's columns as the parser left them. Their types are part
 * of the key: a column widened during the load (a late value) gets stages built for its new type.
 */
function stagesFor(plan: ChunkStagesPlan, batch: ColumnBatch): Stage<unknown>[] {
  if (plan.stages === undefined) return [];
  const columns = batch.columns.map((c) => ({ name: c.name, type: c.type }));
  const key = `${plan.stagesKey ?? JSON.stringify(plan.stages)}/${columns.map((c) => c.type).join(',')}`;
  if (key === cachedKey) return cachedStages;
  const stages: Stage<unknown>[] = [];
  // Each stage is built for the columns the stages before it leave (the transform renames, retypes and adds).
  let current: readonly StageColumn[] = columns;
  for (const name of STAGE_ORDER) {
    const options = plan.stages[name];
    if (options === undefined) continue;
    const spec = SPECS.get(name);
    if (spec === undefined) throw new Error(`stage ${name} is not registered`);
    // Validated, defaults filled, when the plan was made (stage-plan.ts): a worker does not load
    // the option schemas (zod), it runs what the main thread decided.
    stages.push(spec.create(options, current));
    current = spec.columnsAfter?.(options, current) ?? current;
  }
  cachedKey = key;
  cachedStages = stages;
  return stages;
}

/** Runs the plan's stages on `batch` and encodes what they kept into `data` (rejects into `rejects`). */
export function finishChunk(batch: ColumnBatch, plan: ChunkStagesPlan, data: ByteSink, rejects: ByteSink): ChunkOutput {
  const anomalies = new ByteSink(new Uint8Array(0));
  const context = { dataset: plan.dataset ?? '', fileId: plan.fileId, chunkNo: plan.chunkNo, rejects, anomalies };
  const reports: ChunkReports = {};
  let typed = false;
  for (const stage of stagesFor(plan, batch)) {
    // The stages after transform read numbers: parse them once, from the transformed text.
    if (!typed && stage.name !== 'transform') { fillTypedValues(batch); typed = true; }
    stage.process(batch, context);
    reports[stage.name] = stage.report();
  }
  const binary = plan.copyFormat === 'binary';
  if (binary && !typed) fillTypedValues(batch);
  const rows = binary
    ? encodeBinaryCopy(batch, plan.fileId, data)
    : encodeCsvCopy(batch, plan.fileId, plan.copyDelimiter, plan.copyQuote, data);
  return { rows, reports, anomalies: anomalies.view().slice() };
}
