import type pg from 'pg';
import { columnTypeFromPostgres, postgresTypeName } from '../schema/column-type.js';
import { joinTypes } from '../schema/type-widening.js';
import { displayTable, type StagingColumn, widenStagingColumns } from '../sink/staging-table.js';
import type { SummaryWidening } from '../summary.js';

/** The loader's two steps of widening a column during a load (README "Widening"). */

/**
 * Widens the dataset's table on the load's control connection: it is idle whenever a writer may
 * write (the loader awaits the pipeline then), and a connection of its own from the pool could wait
 * forever behind the control connections of other loads.
 */
export async function widenTable(client: pg.ClientBase, dataset: string, columns: readonly StagingColumn[], log: (line: string) => void): Promise<void> {
  const changes = await widenStagingColumns(client, dataset, columns);
  for (const change of changes) log(`${displayTable(dataset)}: widened ${change.name} from ${postgresTypeName(change.from)} to ${postgresTypeName(change.to)}`);
}

/**
 * What the file's chunks widened (ingest.chunks.widened, so earlier attempts count too): one entry
 * per column — the type before the first widening, the column's type now, and the first line
 * (absolute, as reject lines are) of the values found that needed it.
 */
export async function fileWidenings(client: pg.ClientBase, fileId: number, firstDataLine: number, columns: readonly StagingColumn[]): Promise<SummaryWidening[]> {
  const result = await client.query<{ column: string; from: string; line: string; byte_offset: string }>(
    `SELECT w->>'column' AS column, w->>'from' AS from, c.first_line + (w->>'chunk_line')::bigint - 1 AS line, (w->>'byte_offset')::bigint AS byte_offset
       FROM (SELECT widened, $2::bigint + coalesce(sum(lines) OVER (ORDER BY chunk_no ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS first_line
               FROM ingest.chunks WHERE file_id = $1) c
       CROSS JOIN LATERAL jsonb_array_elements(c.widened) w
      WHERE c.widened IS NOT NULL
      ORDER BY byte_offset`, [fileId, firstDataLine]);
  const byColumn = new Map<string, SummaryWidening>();
  for (const row of result.rows) {
    const known = byColumn.get(row.column);
    const from = columnTypeFromPostgres(row.from);
    // The narrowest type any chunk saw the column with is where the file's widening started.
    if (known === undefined) {
      const now = columns.find((c) => c.name === row.column)?.type;
      byColumn.set(row.column, { column: row.column, from: row.from, to: now === undefined ? row.from : postgresTypeName(now), line: Number(row.line), byte_offset: Number(row.byte_offset) });
    } else if (joinTypes(from, columnTypeFromPostgres(known.from)) !== from) {
      known.from = row.from;
    }
  }
  return [...byColumn.values()];
}
