-- The schema registry: every distinct schema a dataset's files have loaded under is a version.
-- A schema is the staging table's columns after a load (name, type, nullability) with the source
-- header (or JSON key) each was loaded from in that file — null where the file had no such column.
CREATE TABLE ingest.schema_versions (
  dataset      text        NOT NULL,
  version      integer     NOT NULL,
  -- sha256 of the columns' JSON: the same schema again is the same version.
  fingerprint  text        NOT NULL,
  -- [{name, type, nullable, source}] in table order.
  columns      jsonb       NOT NULL,
  -- What changed from the version before it: [{change, column, from, to}] (see src/datasets/schema-versions.ts).
  changes      jsonb       NOT NULL,
  -- The load that introduced it.
  file_id      bigint      REFERENCES ingest.files (id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dataset, version),
  UNIQUE (dataset, fingerprint)
);

-- The version each load recorded.
ALTER TABLE ingest.files ADD COLUMN schema_version integer;
