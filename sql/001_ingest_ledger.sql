-- The ingest ledger: which files were loaded, which chunks of each are committed, and what was
-- rejected. Exactly-once rests on ingest.chunks: a chunk's rows and its ledger row commit together.
CREATE SCHEMA IF NOT EXISTS ingest;
CREATE SCHEMA IF NOT EXISTS staging;

CREATE TABLE ingest.files (
  id           bigserial PRIMARY KEY,
  sha256       text        NOT NULL,
  -- A file's identity is its content; --force loads the same content again as a new generation.
  generation   integer     NOT NULL DEFAULT 1,
  path         text        NOT NULL,
  size_bytes   bigint      NOT NULL,
  dataset      text        NOT NULL,
  table_name   text        NOT NULL,
  format       text,
  encoding     text,
  delimiter    text,
  header       boolean,
  columns      jsonb,
  -- Chunk boundaries depend on the chunk size, so a resumed load re-plans with the size it began with.
  chunk_size   bigint      NOT NULL,
  status       text        NOT NULL CHECK (status IN ('loading', 'loaded', 'failed')),
  rows         bigint,
  rejected     bigint,
  error_code   text,
  error        text,
  summary      jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  UNIQUE (sha256, generation)
);

CREATE TABLE ingest.attempts (
  file_id         bigint      NOT NULL REFERENCES ingest.files (id) ON DELETE CASCADE,
  attempt         integer     NOT NULL,
  pid             integer     NOT NULL,
  host            text        NOT NULL,
  chunks_loaded   integer     NOT NULL DEFAULT 0,
  -- Chunks found already committed by an earlier attempt (a replay after a crash).
  chunks_skipped  integer     NOT NULL DEFAULT 0,
  status          text        NOT NULL DEFAULT 'running',
  started_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz,
  PRIMARY KEY (file_id, attempt)
);

CREATE TABLE ingest.chunks (
  file_id      bigint      NOT NULL REFERENCES ingest.files (id) ON DELETE CASCADE,
  chunk_no     integer     NOT NULL,
  byte_start   bigint      NOT NULL,
  byte_end     bigint      NOT NULL,
  rows         integer     NOT NULL,
  rejected     integer     NOT NULL,
  -- Row terminators in the chunk, so reject line numbers can be made absolute.
  lines        integer     NOT NULL,
  attempt      integer     NOT NULL,
  committed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (file_id, chunk_no)
);

CREATE TABLE ingest.rejects (
  id           bigserial PRIMARY KEY,
  file_id      bigint      NOT NULL REFERENCES ingest.files (id) ON DELETE CASCADE,
  chunk_no     integer     NOT NULL,
  chunk_line   integer     NOT NULL,
  -- 1-based line in the file; set when the file's last chunk has committed.
  line         bigint,
  byte_offset  bigint      NOT NULL,
  reason       text        NOT NULL,
  detail       text,
  raw          text,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rejects_file_chunk ON ingest.rejects (file_id, chunk_no);
