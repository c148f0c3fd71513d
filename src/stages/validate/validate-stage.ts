import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { ValidateOptions } from './validate-options.js';
import type { ColumnBatch } from '../../batch/column-batch.js';
import type { SummaryValidation } from '../../summary.js';
import { rejectBatchRow } from '../batch-reject.js';
import { registerStage } from '../chunk-stages.js';
import { loadSteps, type Stage, type StageColumn, type StageContext, type StageSpec } from '../stage.js';
import { inDataset } from '../dataset-config-error.js';
import { planTransforms } from '../transform/plan-transforms.js';
import { type BoundRule, bindRules } from './row-rules.js';

export type { ValidateOptions } from './validate-options.js';

const require = createRequire(import.meta.url);

/**
 * The validate stage: the dataset's row rules on each chunk's batch (row-rules.ts). Error rules
 * run first, in the configuration's order, and the first one a row fails rejects it as
 * RULE:<name> (one reject per row); warn rules then count the rows that will load. The report is
 * one entry per row rule with its failures, summed over chunks; the whole-load rules add theirs
 * when the load completes (load-rules.ts).
 */


export type ValidateReport = SummaryValidation[];

class ValidateStage implements Stage<ValidateReport> {
  readonly name = 'validate' as const;
  private readonly failed: Float64Array;
  /** Positions in `rules`, error rules first. */
  private readonly order: number[];
  /** The rows a rule fails in the chunk, reused from chunk to chunk. */
  private failing = new Int32Array(0);

  constructor(private readonly rules: BoundRule[]) {
    this.failed = new Float64Array(rules.length);
    const positions = rules.map((_, i) => i);
    this.order = [...positions.filter((i) => rules[i].rule.severity === 'error'), ...positions.filter((i) => rules[i].rule.severity === 'warn')];
  }

  process(batch: ColumnBatch, context: StageContext): void {
    // The rules were bound to the columns the stages before leave; a batch laid out otherwise would be read wrongly.
    for (const bound of this.rules) {
      for (const { index, name } of bound.reads) assert.equal(batch.columns[index]?.name, name, `validate: rule ${bound.rule.name} was bound to column ${name} at position ${index}`);
    }
    if (this.failing.length < batch.rowCount) this.failing = new Int32Array(batch.capacity);
    const failing = this.failing;
    for (const k of this.order) {
      const bound = this.rules[k];
      const failed = bound.failures(batch, failing);
      if (bound.rule.severity === 'error') {
        for (let i = 0; i < failed; i++) rejectBatchRow(batch, failing[i], context, `RULE:${bound.rule.name}`, bound.detail(batch, failing[i]));
      }
      this.failed[k] += failed;
    }
  }

  report(): ValidateReport {
    const report = this.rules.map((bound, k) => ({ rule: bound.rule.name, column: bound.rule.column ?? null, severity: bound.rule.severity, failed: this.failed[k] }));
    this.failed.fill(0);
    return report;
  }
}

export const validateStage: StageSpec<ValidateOptions, ValidateReport> = {
  name: 'validate',
  description: 'not_null, range, regex, in, length and check rules per row: error rejects the row as RULE:<name>, warn counts it',
  // Loaded on first use (the plan, on the main thread): see validate-options.ts.
  get options() { return (require('./validate-options.js') as typeof import('./validate-options.js')).validateOptions; },
  create: (options, columns: readonly StageColumn[]) => new ValidateStage(bindRules(options.rules, columns)),
  planFor: (load) => {
    const rules = load.datasetConfig?.rules ?? [];
    if (rules.length === 0) return undefined;
    // Rules name the columns the transforms leave: a rule on a column that is not there fails here, at start.
    const steps = loadSteps(load);
    return inDataset(load.dataset, () => {
      const columns = steps.length === 0 ? load.columns : planTransforms(load.columns, steps, load.sampleValues).batchColumns;
      return bindRules(rules, columns).length === 0 ? undefined : { rules };
    });
  },
  merge: (a, b) => a.map((entry, k) => {
    if (b[k]?.rule !== entry.rule) throw new RangeError(`validate reports of different rules: ${entry.rule} and ${b[k]?.rule}`);
    return { ...entry, failed: entry.failed + b[k].failed };
  }),
};

registerStage(validateStage);
