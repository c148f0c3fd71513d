-- Chunk boundaries depend on maxRowBytes as well as on the chunk size: a line longer than
-- maxRowBytes becomes a chunk of its own (rejected as LINE_TOO_LONG). A resumed load re-plans with
-- the value it began with, like chunk_size. NULL for loads begun before this column existed; they
-- resume with the engine's current maxRowBytes.
ALTER TABLE ingest.files ADD COLUMN max_row_bytes bigint;
