import { createRequire } from 'node:module';
import type { TransformOptions } from './transform-options.js';
import type { ColumnBatch } from '../../batch/column-batch.js';
import { ColumnType } from '../../schema/column-type.js';
import { registerStage } from '../chunk-stages.js';
import { inDataset } from '../dataset-config-error.js';
import { loadSteps, type Stage, type StageColumn, type StageContext, type StageSpec } from '../stage.js';
import { planTransforms } from './plan-transforms.js';
import { compileTransforms, type TransformProgram } from './transform-program.js';

export type { TransformOptions } from './transform-options.js';

const require = createRequire(import.meta.url);

/**
 * The transform stage: the dataset's `transforms` steps, in order, on each chunk's batch (see
 * transform-program.ts). Nothing changes unless a step is configured. The final type of each
 * changed column is decided on the main thread from the sniffed sample (plan-transforms.ts) and
 * travels in the options, so every worker gives the same column the same type.
 */



export interface TransformReport {
  /** Rows refused because a transformed value did not fit its column's final type. */
  rejected: number;
}

/** The program the options give for these columns (the stage's, and the loader's to know the columns after it). */
export function transformProgram(options: TransformOptions, columns: readonly StageColumn[]): TransformProgram {
  return compileTransforms(columns, options.steps, ({ name }, natural) => {
    const named = options.types[name];
    return named !== undefined ? ColumnType[named] : natural ?? ColumnType.text;
  });
}

class TransformStage implements Stage<TransformReport> {
  readonly name = 'transform' as const;
  private rejected = 0;

  constructor(private readonly program: TransformProgram) {}

  process(batch: ColumnBatch, context: StageContext): void {
    const before = batch.rejectedCount;
    for (const operation of this.program.operations) operation.process(batch, context);
    this.rejected += batch.rejectedCount - before;
  }

  report(): TransformReport {
    const report = { rejected: this.rejected };
    this.rejected = 0;
    return report;
  }
}

export const transformStage: StageSpec<TransformOptions, TransformReport> = {
  name: 'transform',
  description: 'trim, null tokens, case, value maps, boolean words, unit conversion, rename, drop and derived columns, in the configured order',
  // Loaded on first use (the plan, on the main thread): see transform-options.ts.
  get options() { return (require('./transform-options.js') as typeof import('./transform-options.js')).transformOptions; },
  create: (options, columns) => new TransformStage(transformProgram(options, columns)),
  columnsAfter: (options, columns) => transformProgram(options, columns).columns,
  planFor: (load) => {
    const steps = loadSteps(load);
    return steps.length === 0 ? undefined : inDataset(load.dataset, () => planTransforms(load.columns, steps, load.sampleValues).options);
  },
  merge: (a, b) => ({ rejected: a.rejected + b.rejected }),
};

registerStage(transformStage);
