-- Column profiles and quality scores per load, written by the profile stage's load finisher in
-- the transaction that marks the file loaded.
CREATE TABLE ingest.profiles (
  file_id      bigint      NOT NULL REFERENCES ingest.files (id) ON DELETE CASCADE,
  dataset      text        NOT NULL,
  -- The column's position in the table (provenance columns excluded), for display order.
  column_no    integer     NOT NULL,
  column_name  text        NOT NULL,
  -- PostgreSQL type name.
  column_type  text        NOT NULL,
  -- The merged sketch state ({type, origin, state}: see src/stages/profile/profile-stage.ts), so
  -- later loads can be merged with it or compared against it.
  state        jsonb       NOT NULL,
  -- The finished figures, as `sluice profile --json` prints them (src/stages/profile/column-profile.ts).
  stats        jsonb       NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (file_id, column_name)
);
CREATE INDEX profiles_dataset ON ingest.profiles (dataset, created_at);

-- The six dimensions (0..1, null when nothing assessed them) and their weighted score.
CREATE TABLE ingest.quality (
  file_id       bigint      PRIMARY KEY REFERENCES ingest.files (id) ON DELETE CASCADE,
  dataset       text        NOT NULL,
  completeness  double precision,
  uniqueness    double precision,
  validity      double precision,
  consistency   double precision,
  timeliness    double precision,
  accuracy      double precision,
  score         double precision,
  -- What each dimension counted (numerators, denominators, the columns and rules it used).
  detail        jsonb       NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quality_dataset ON ingest.quality (dataset, created_at);
