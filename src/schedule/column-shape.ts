import type { DatasetConfig } from '../configuration/config-schema.js';
import type { PreparedFile } from '../formats/prepared-file.js';
import type { ColumnTypeCode } from '../schema/column-type.js';
import { inDataset } from '../stages/dataset-config-error.js';
import { planTransforms } from '../stages/transform/plan-transforms.js';

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
  /** Transforms change the columns or their types: the parser's columns are not the table's. */
  reshaped: boolean;
}

export function columnShape(prepared: PreparedFile, datasetConfig: DatasetConfig | undefined, dataset: string): ColumnShape {
  const sniffed = prepared.columns.map((c) => ({ name: c.name, type: c.type }));
  const steps = datasetConfig?.transforms ?? [];
  if (steps.length === 0) return { sniffed, parser: sniffed, table: sniffed, reshaped: false };
  const plan = inDataset(dataset, () => planTransforms(sniffed, steps, prepared.sampleValues));
  const reshaped = plan.tableColumns.length !== sniffed.length || plan.tableColumns.some((c, i) => c.name !== sniffed[i].name || c.type !== sniffed[i].type)
    || plan.parserColumns.some((c, i) => c.type !== sniffed[i].type);
  return { sniffed, parser: plan.parserColumns, table: plan.tableColumns, reshaped };
}
