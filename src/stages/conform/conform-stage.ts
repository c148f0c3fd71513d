import { createRequire } from 'node:module';
import type { ConformOptions } from './conform-options.js';
import type { ColumnBatch } from '../../batch/column-batch.js';
import { rejectBatchRow } from '../batch-reject.js';
import { registerStage } from '../chunk-stages.js';
import type { Stage, StageColumn, StageContext, StageSpec } from '../stage.js';

export type { ConformOptions } from './conform-options.js';

const require = createRequire(import.meta.url);

/**
 * A frozen schema (`datasets.<name>.schema.policy: freeze`) keeps the staging table as it is: a
 * column of the file the table does not have is dropped by the load's last transform step, and a
 * row holding a value in such a column is rejected here as SCHEMA — its value would otherwise be
 * lost without a trace. Rows where the column is empty load without it.
 */


export interface ConformReport { rejected: number }

class ConformStage implements Stage<ConformReport> {
  readonly name = 'conform' as const;
  private rejected = 0;

  constructor(private readonly options: ConformOptions) {}

  process(batch: ColumnBatch, context: StageContext): void {
    const columns = batch.columns.filter((c) => this.options.columns.includes(c.name));
    for (let r = 0; r < batch.rowCount; r++) {
      if (batch.rejected[r] === 1) continue;
      const holding = columns.find((c) => c.nulls[r] === 0);
      if (holding === undefined) continue;
      rejectBatchRow(batch, r, context, 'SCHEMA',
        `column ${holding.name} is not in the frozen schema of dataset ${this.options.dataset} (schema.policy: freeze)`);
      this.rejected++;
    }
  }

  report(): ConformReport {
    const report = { rejected: this.rejected };
    this.rejected = 0;
    return report;
  }
}

export const conformStage: StageSpec<ConformOptions, ConformReport> = {
  name: 'conform',
  description: 'under a frozen schema, rejects rows with a value in a column the table does not have (SCHEMA)',
  // Loaded on first use (the plan, on the main thread): see conform-options.ts.
  get options() { return (require('./conform-options.js') as typeof import('./conform-options.js')).conformOptions; },
  create: (options, _columns: readonly StageColumn[]) => new ConformStage(options),
  planFor: (load) => load.frozenOut === undefined || load.frozenOut.length === 0 ? undefined : { dataset: load.dataset, columns: [...load.frozenOut] },
  merge: (a, b) => ({ rejected: a.rejected + b.rejected }),
};

registerStage(conformStage);
