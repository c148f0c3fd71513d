-- JSON keys a load of the file met past its sniffed sample, as the columns it added for them
-- ([{path, type, format, confidence}], type a PostgreSQL type name): an attempt that resumes the
-- file starts with them, so every attempt reads the file under the same columns and sources.
ALTER TABLE ingest.files ADD COLUMN late_columns jsonb;
