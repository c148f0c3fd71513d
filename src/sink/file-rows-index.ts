import type pg from 'pg';

/**
 * A BRIN index on `staging.<dataset>(_file)`. A file's rows are appended together, so a block
 * range holds one file or a few, and the index is a few pages per million rows that COPY does not
 * maintain row by row (a new range is summarized by autovacuum, `autosummarize`). What reads one
 * file's rows back after its load — the time-series detection and pass, per-load rules — then
 * reads that file's blocks and the not yet summarized ones, not every row the dataset ever loaded:
 * without it, a load into a dataset of 100M rows scanned all of them.
 */

/** Creates the index on a table Sluice created, when it has none yet (tables made before it). */
export async function ensureFileRowsIndex(client: pg.ClientBase, table: string): Promise<void> {
  const { rows } = await client.query<{ present: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
        WHERE i.indrelid = to_regclass($1) AND am.amname = 'brin' AND a.attname = '_file') AS present`, [table]);
  // Unnamed: PostgreSQL picks a name free in the schema (a dataset's name may be as long as a name can be).
  if (!rows[0].present) await client.query(`CREATE INDEX ON ${table} USING brin (_file) WITH (autosummarize = on)`);
}

/**
 * Runs `read` (a query of one file's rows, `WHERE _file = …`) with sequential scans discouraged,
 * in the caller's transaction: right after a load the table's statistics do not know the new
 * file yet, and the planner would scan the whole table rather than use the index. And without
 * JIT: a query of a big table (or, on a table without the index, the cost a discouraged scan
 * is given) passes JIT's cost thresholds, and compiling it with LLVM took 100–200 ms — more than
 * reading 50,000 rows (~30 ms).
 */
export async function readingFileRows<T>(client: pg.ClientBase, read: () => Promise<T>): Promise<T> {
  await client.query('SET LOCAL enable_seqscan = off; SET LOCAL jit = off');
  try {
    return await read();
  } finally {
    await client.query('SET LOCAL enable_seqscan TO DEFAULT; SET LOCAL jit TO DEFAULT').catch(() => undefined);
  }
}
