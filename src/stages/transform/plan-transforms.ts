import { ColumnBatch } from '../../batch/column-batch.js';
import type { TransformStepConfig } from '../../configuration/config-schema.js';
import { ByteSink } from '../../formats/byte-sink.js';
import { ColumnType, type ColumnTypeCode, columnTypeName } from '../../schema/column-type.js';
import { candidatesFor, ColumnTypeAccumulator } from '../../schema/type-inference.js';
import { ValueFormat } from '../../schema/value-format.js';
import type { StageColumn } from '../stage.js';
import { compileTransforms, type ProgramColumn, resolveSteps } from './transform-program.js';
import type { TransformOptions } from './transform-stage.js';

/**
 * The loader's side of the transform stage, on the main thread before the table exists: which
 * columns the parser must read as text, the table's columns after the steps, and the final type of
 * every changed column — inferred, as the sniffer infers, from the sampled values after running
 * the very operations the workers run on them (so the sample and the load cannot disagree).
 */

export interface TransformPlan {
  /** Per sniffed column: the parser reads it as text (a step changes it, or it is dropped: its values are not checked). */
  readAsText: boolean[];
  /** The sniffed columns as the parser fills the batch: text where readAsText. */
  parserColumns: StageColumn[];
  /** The batch after the stage: the sniffed columns (renamed, retyped, dropped) then the derived ones. */
  batchColumns: ProgramColumn[];
  /** The staging table's columns: batchColumns not dropped. */
  tableColumns: StageColumn[];
  /** The stage's options (plan.stages.transform). */
  options: TransformOptions;
}

/** Plain formats only: a transformed value is typed only when PostgreSQL reads it as it is (no date or thousands rewriting after a transform). */
const PLAIN_CANDIDATES = candidatesFor({}, false).filter((c) => c.format === ValueFormat.plain);

/**
 * `columns`: as sniffed (names, types); `sample`: sampled values per sniffed column, rows aligned
 * across columns (null: NULL), as the CSV sniffer keeps them. Throws SLUICE_ERR_CONFIG_INVALID when a step names a column the file does not have, or an
 * expression does not fit the columns' types.
 */
export function planTransforms(columns: readonly StageColumn[], steps: readonly TransformStepConfig[],
  sample: ReadonlyArray<ReadonlyArray<string | null>> = []): TransformPlan {
  const key = JSON.stringify([columns.map((c) => [c.name, c.type]), steps]);
  if (lastPlan === undefined || lastPlan.sample !== sample || lastPlan.key !== key) lastPlan = { sample, key, plan: computePlan(columns, steps, sample) };
  return structuredClone(lastPlan.plan);
}

/**
 * The loader asks for one file's plan several times before its first chunk is read (the column
 * shape, then the transform and validate stages' plans), and each runs the steps over the whole
 * sample on the main thread (~40 ms in all for the benchmark file's two transforms): the last plan
 * is kept, by the sample it came from and the columns and steps, and handed out as a copy.
 */
let lastPlan: { sample: ReadonlyArray<ReadonlyArray<string | null>>; key: string; plan: TransformPlan } | undefined;

function computePlan(columns: readonly StageColumn[], steps: readonly TransformStepConfig[], sample: ReadonlyArray<ReadonlyArray<string | null>>): TransformPlan {
  const { tracked } = resolveSteps(columns, steps);
  const readAsText = columns.map((_, i) => tracked[i].changed || tracked[i].dropped);
  const parserColumns = columns.map((c, i) => ({ name: c.name, type: readAsText[i] ? ColumnType.text : c.type }));

  const batch = new ColumnBatch();
  batch.reset(new Uint8Array(0), 0, 0, parserColumns);
  const rows = Math.max(0, ...sample.map((values) => values.length));
  for (let r = 0; r < rows; r++) {
    const row = batch.addRow(r, r + 1, 0, 0);
    parserColumns.forEach((_, c) => {
      const value = sample[c]?.[r] ?? null;
      if (value === null) batch.setNull(batch.columns[c], row);
      else batch.appendString(batch.columns[c], row, value);
    });
  }
  const context = { fileId: 0, chunkNo: 0, rejects: new ByteSink(new Uint8Array(0)) };
  const types: Record<string, ReturnType<typeof columnTypeName>> = {};
  const program = compileTransforms(parserColumns, steps, ({ index, name }, natural) => {
    const type = natural ?? inferredType(batch, index) ?? columns[index]?.type ?? ColumnType.text;
    types[name] = columnTypeName(type);
    return type;
  }, (operation) => operation.process(batch, context));

  return {
    readAsText, parserColumns, batchColumns: program.columns,
    tableColumns: program.columns.filter((c) => !c.dropped).map((c) => ({ name: c.name, type: c.type })),
    options: { steps: [...steps], types },
  };
}

/** The type every transformed sample value of the column fits; undefined when the sample has none (its sniffed type then stands). */
function inferredType(batch: ColumnBatch, index: number): ColumnTypeCode | undefined {
  const column = batch.columns[index];
  const accumulator = new ColumnTypeAccumulator(1, PLAIN_CANDIDATES);
  for (let r = 0; r < batch.rowCount; r++) {
    if (batch.rejected[r] === 0 && column.nulls[r] === 0) accumulator.addField(0, batch.bytes, column.starts[r], column.ends[r]);
  }
  const [inferred] = accumulator.result();
  return inferred.nonEmpty === 0 ? undefined : inferred.type;
}
