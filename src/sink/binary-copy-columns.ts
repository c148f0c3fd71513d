import type pg from 'pg';
import { qualifiedTable } from './staging-table.js';

/**
 * Whether binary COPY can write every column of a dataset's staging table. Binary input is read
 * by the column's own type: the encoder writes the types Sluice creates (staging-table.ts), and a
 * table someone else made may hold others it maps onto them — smallint or real (read as integer,
 * double precision: wrong widths in binary), json (no jsonb version byte), timestamp without
 * time zone, uuid. Such a table loads by CSV COPY, where PostgreSQL parses the text for each type.
 * A table that does not exist yet will be created with Sluice's types.
 */
const BINARY_WRITABLE = /^(boolean|integer|bigint|double precision|date|timestamp with time zone|text|jsonb|numeric(\(.*\))?|character varying(\(\d+\))?)$/;

export async function binaryCopyWritable(client: pg.ClientBase, dataset: string): Promise<boolean> {
  const { rows } = await client.query<{ type: string }>(
    `SELECT format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`, [qualifiedTable(dataset)]);
  return rows.every((r) => BINARY_WRITABLE.test(r.type));
}
