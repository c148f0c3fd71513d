-- The metadata catalog: every file and table Sluice knows of, and how data flowed between them.
CREATE TABLE metadata_datasets (
  id           bigserial PRIMARY KEY,
  -- 'file:<sha256>' for a file, the schema-qualified name for a table.
  name         text        NOT NULL UNIQUE,
  kind         text        NOT NULL CHECK (kind IN ('file', 'staging', 'timeseries', 'features')),
  dataset      text        NOT NULL,
  schema       jsonb,
  profile      jsonb,
  tags         text[]      NOT NULL DEFAULT '{}',
  owner        text,
  description  text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE metadata_lineage (
  id           bigserial PRIMARY KEY,
  source       text        NOT NULL,
  target       text        NOT NULL,
  relation     text        NOT NULL,
  file_id      bigint,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source, target, relation)
);
