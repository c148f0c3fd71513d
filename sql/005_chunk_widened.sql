-- Columns a chunk needed wider than the table had (a value the sniffer's sample did not show):
-- [{ "column": name, "from": type, "to": type, "chunk_line": n, "byte_offset": n }], committed with
-- the chunk, so the summary reports every widening of a file, across resumed attempts too.
ALTER TABLE ingest.chunks ADD COLUMN widened jsonb;
