-- The catalog as a service: what each dataset holds (tables, format, columns, rows, quality, time
-- range), who owns it and how to find it (tags, description, search), soft deletion, the run that
-- last wrote each lineage edge, and the OpenLineage run events of every load.

-- 'external': registered through the API (a table or report Sluice does not load itself).
ALTER TABLE metadata_datasets DROP CONSTRAINT metadata_datasets_kind_check;
ALTER TABLE metadata_datasets ADD CONSTRAINT metadata_datasets_kind_check
  CHECK (kind IN ('file', 'staging', 'timeseries', 'features', 'external'));

ALTER TABLE metadata_datasets
  -- The tables that hold the dataset (staging, and later its time-series and features tables).
  ADD COLUMN tables        text[]      NOT NULL DEFAULT '{}',
  ADD COLUMN format        text,
  -- As the summary gives them: name, source (header text), type (PostgreSQL), confidence.
  ADD COLUMN columns       jsonb       NOT NULL DEFAULT '[]',
  ADD COLUMN row_count     bigint,
  ADD COLUMN quality_score double precision,
  -- The first timestamptz or date column, and the range of its values over the whole table.
  ADD COLUMN time_column   text,
  ADD COLUMN time_min      timestamptz,
  ADD COLUMN time_max      timestamptz,
  -- The engine's run id (UUID v7) of the load that last registered it.
  ADD COLUMN run_id        uuid,
  -- Soft deletion: hidden from the API until a new load registers the dataset again.
  ADD COLUMN deleted_at    timestamptz;

UPDATE metadata_datasets SET columns = schema -> 'columns' WHERE jsonb_typeof(schema -> 'columns') = 'array';
UPDATE metadata_datasets SET tables = ARRAY[name] WHERE kind IN ('staging', 'timeseries', 'features');
CREATE INDEX metadata_datasets_tags ON metadata_datasets USING gin (tags);

-- Each load sums its dataset's completed loads for the catalog's row count.
CREATE INDEX files_loaded_dataset ON ingest.files (dataset) WHERE status = 'loaded';

ALTER TABLE metadata_lineage ADD COLUMN run_id uuid;
CREATE INDEX metadata_lineage_target ON metadata_lineage (target);
CREATE INDEX metadata_lineage_run ON metadata_lineage (run_id);

-- OpenLineage run events as built (and, with OPENLINEAGE_URL, as sent): START, then COMPLETE or FAIL.
CREATE TABLE ingest.lineage_events (
  id            bigserial   PRIMARY KEY,
  run_id        uuid        NOT NULL,
  event_type    text        NOT NULL CHECK (event_type IN ('START', 'COMPLETE', 'FAIL')),
  event_time    timestamptz NOT NULL,
  job_name      text        NOT NULL,
  -- Sluice dataset names and OpenLineage dataset names (inputs and outputs), for filtering.
  datasets      text[]      NOT NULL DEFAULT '{}',
  event         jsonb       NOT NULL,
  -- Set when the OpenLineage endpoint accepted the event.
  delivered_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (run_id, event_type)
);
CREATE INDEX lineage_events_datasets ON ingest.lineage_events USING gin (datasets);
-- A run ends once: COMPLETE or FAIL, never both.
CREATE UNIQUE INDEX lineage_events_one_end ON ingest.lineage_events (run_id) WHERE event_type <> 'START';
