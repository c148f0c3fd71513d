import type pg from 'pg';
import type { FileSummary } from '../summary.js';

/**
 * Records a completed load in the catalog: the file and the staging table as datasets (with their
 * schema, keeping each column's source header text), and the lineage edge file → staging table.
 */
export async function registerStagingLoad(client: pg.ClientBase, load: { fileId: number; summary: FileSummary }): Promise<void> {
  const { summary } = load;
  if (summary.table === null || summary.dataset === null || summary.sha256 === null) return;
  const fileName = `file:${summary.sha256}`;
  const schema = JSON.stringify({ columns: summary.columns });
  await client.query(
    `INSERT INTO metadata_datasets (name, kind, dataset, schema, description)
     VALUES ($1, 'file', $2, $3, $4)
     ON CONFLICT (name) DO UPDATE SET schema = EXCLUDED.schema, updated_at = now()`,
    [fileName, summary.dataset, JSON.stringify({ path: summary.file, format: summary.format, encoding: summary.encoding, delimiter: summary.delimiter, header: summary.header, columns: summary.columns }),
      `source file ${summary.file}`]);
  await client.query(
    `INSERT INTO metadata_datasets (name, kind, dataset, schema, description)
     VALUES ($1, 'staging', $2, $3, $4)
     ON CONFLICT (name) DO UPDATE SET schema = EXCLUDED.schema, updated_at = now()`,
    [summary.table, summary.dataset, schema, `typed rows of dataset ${summary.dataset}, with _file/_offset provenance`]);
  await client.query(
    `INSERT INTO metadata_lineage (source, target, relation, file_id) VALUES ($1, $2, 'loaded_into', $3)
     ON CONFLICT (source, target, relation) DO NOTHING`,
    [fileName, summary.table, load.fileId]);
}
