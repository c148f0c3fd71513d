-- Anomalies found in loads: kind 'value' (a value far from its column's robust centre, or a rare
-- category), 'series' (time series) and 'metric' (a load's metrics against the dataset's history).
-- Value anomalies are written by the workers' detect stage and committed with their chunk.
CREATE TABLE ingest.anomalies (
  id           bigserial PRIMARY KEY,
  kind         text        NOT NULL CHECK (kind IN ('value', 'series', 'metric')),
  dataset      text        NOT NULL,
  file_id      bigint      REFERENCES ingest.files (id) ON DELETE CASCADE,
  chunk_no     integer,
  -- The row's _offset in the file (value), or null.
  byte_offset  bigint,
  -- The series time (series) or the load time (metric), or null.
  at           timestamptz,
  column_name  text,
  value        text,
  score        double precision,
  method       text        NOT NULL,
  detail       jsonb,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX anomalies_dataset ON ingest.anomalies (dataset, kind, created_at);
CREATE INDEX anomalies_file ON ingest.anomalies (file_id, chunk_no);
