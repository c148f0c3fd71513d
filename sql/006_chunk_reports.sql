-- What the worker stages found in a chunk (per stage: validation counts, profile sketch states,
-- anomaly counts), committed with the chunk. The load's figures are these folded in chunk order,
-- so a resumed load or a re-run chunk gives the same profile as one clean pass.
ALTER TABLE ingest.chunks ADD COLUMN reports jsonb;
