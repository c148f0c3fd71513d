import type pg from 'pg';
import type { DatasetConfig } from '../configuration/config-schema.js';
import type { PreparedFile } from '../formats/prepared-file.js';
import { type ColumnShape, columnShape } from '../schedule/column-shape.js';
import { columnTypeFromPostgres } from '../schema/column-type.js';
import { tableColumns } from '../sink/staging-table.js';

/**
 * A dataset's schema policy (`datasets.<name>.schema.policy`). `evolve` (the default): a file's new
 * columns are added to the table and a value that needs a wider type widens its column.
 * `freeze`: once the table exists, it keeps its columns and types — a value that does not fit is a
 * SCHEMA reject instead of a widening, and a column the table does not have is not added (a row
 * with a value in it is a SCHEMA reject; stages/conform). The first file of a dataset makes its
 * table under either policy.
 */
export async function frozenShape(client: pg.ClientBase, dataset: string, prepared: PreparedFile, config: DatasetConfig | undefined,
  shape: ColumnShape): Promise<{ shape: ColumnShape; frozen: boolean }> {
  if (config?.schema?.policy !== 'freeze') return { shape, frozen: false };
  const rows = await tableColumns(client, dataset);
  if (rows.length === 0) return { shape, frozen: false };
  const table = new Map(rows.map((r) => [r.name, columnTypeFromPostgres(r.type)]));
  return { shape: columnShape(prepared, config, dataset, table), frozen: true };
}
