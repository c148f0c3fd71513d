import type { DatasetConfig, TransformStepConfig } from '../configuration/config-schema.js';
import type { PreparedFile } from '../formats/prepared-file.js';
import type { ColumnTypeCode } from '../schema/column-type.js';
import { inDataset } from '../stages/dataset-config-error.js';
import { planTransforms } from '../stages/transform/plan-transforms.js';
import { standardColumnSteps } from '../datasets/standard-columns.js';

interface NamedColumn {
  name: string;
  type: ColumnTypeCode;
}

/**
 * The columns of a load at each end of the worker stages: what the parser reads (the file's
 * columns, as text where a transform step changes them) and what the table holds (after renames,
 * drops, derived columns and the types the transforms give). Without transforms both are the
 * sniffed columns. Throws SLUICE_ERR_CONFIG_INVALID (naming the dataset's key) when a step does not
 * fit the file.
 */
export interface ColumnShape {
  sniffed: NamedColumn[];
  parser: NamedColumn[];
  table: NamedColumn[];
  /** Per table column: the header text or JSON key it is read from (null: a derived column). */
  sources: (string | null)[];
  /** Per parser column: the name the steps give it in the table (a mapping's standard name), for reject details. */
  tableNames: string[];
  /** Every transform step of the load, in order (see StageLoad.steps). */
  steps: TransformStepConfig[];
  /** Under a frozen schema: the file's columns the table does not have (dropped by the last step; a row with a value in one is a SCHEMA reject). */
  frozenOut: string[];
  /** Transforms change the columns or their types: the parser's columns are not the table's. */
  reshaped: boolean;
}

/** A frozen table's columns (schema.policy freeze): its types are kept and what it lacks is not added. */
export type FrozenColumns = ReadonlyMap<string, ColumnTypeCode>;

export function columnShape(prepared: PreparedFile, datasetConfig: DatasetConfig | undefined, dataset: string, frozen?: FrozenColumns): ColumnShape {
  let sniffed = prepared.columns.map((c) => ({ name: c.name, type: c.type }));
  // Standard columns first (their names are what the dataset's own steps name).
  const configured: TransformStepConfig[] = [
    ...inDataset(dataset, () => standardColumnSteps(datasetConfig?.columns, prepared.columns)),
    ...(datasetConfig?.transforms ?? []),
  ];
  const headers = prepared.columns.map((c) => c.source);
  let steps = configured;
  let frozenOut: string[] = [];
  if (frozen !== undefined) {
    // A column the steps leave as it was is read under the frozen table's type (so a value that
    // does not fit is refused by the parser, not widened); one the table lacks is dropped.
    const after = configured.length === 0
      ? sniffed.map((c) => ({ ...c, changed: false, dropped: false }))
      : inDataset(dataset, () => planTransforms(sniffed, configured, prepared.sampleValues)).batchColumns;
    sniffed = sniffed.map((c, i) => {
      const type = after[i].changed || after[i].dropped ? undefined : frozen.get(after[i].name);
      return type === undefined ? c : { name: c.name, type };
    });
    frozenOut = after.filter((c) => !c.dropped && !frozen.has(c.name)).map((c) => c.name);
    if (frozenOut.length > 0) steps = [...configured, { drop: frozenOut } as TransformStepConfig];
  }
  if (steps.length === 0) return { sniffed, parser: sniffed, table: sniffed, sources: headers, tableNames: sniffed.map((c) => c.name), steps, frozenOut, reshaped: false };
  const plan = inDataset(dataset, () => planTransforms(sniffed, steps, prepared.sampleValues));
  // The batch keeps the sniffed columns' positions (renamed, retyped or dropped), derived ones after them.
  const sources = plan.batchColumns.flatMap((c, i) => c.dropped ? [] : [i < headers.length ? headers[i] : null]);
  const reshaped = plan.tableColumns.length !== sniffed.length || plan.tableColumns.some((c, i) => c.name !== sniffed[i].name || c.type !== sniffed[i].type)
    || plan.parserColumns.some((c, i) => c.type !== sniffed[i].type);
  const tableNames = plan.parserColumns.map((c, i) => plan.batchColumns[i]?.name ?? c.name);
  return { sniffed, parser: plan.parserColumns, table: plan.tableColumns, sources, tableNames, steps, frozenOut, reshaped };
}
