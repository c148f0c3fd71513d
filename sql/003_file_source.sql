-- Where a file's bytes came from: the URL of a download, or the path the user gave (the .gz for a
-- compressed file). ingest.files.path is where they were read from, which for a download or a
-- decompressed file is a spool copy that no longer exists after the load.
ALTER TABLE ingest.files ADD COLUMN source text;
UPDATE ingest.files SET source = path WHERE source IS NULL;
