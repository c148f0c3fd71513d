-- Quality history: every metric of every load of a dataset (row count, reject rate, per column
-- null rate, mean and distinct count, each quality dimension, the score), written by the history
-- finisher in the transaction that completes the file. A later load is compared with these rows;
-- `anomalous` rows (a departure, raised or explained by another) are left out of its baselines.
CREATE TABLE ingest.quality_history (
  file_id      bigint           NOT NULL REFERENCES ingest.files (id) ON DELETE CASCADE,
  dataset      text             NOT NULL,
  -- row_count, reject_rate, null_rate, mean, distinct, completeness … accuracy, score.
  metric       text             NOT NULL,
  -- The column of a column metric; '' for a metric of the load (so it can be part of the key).
  column_name  text             NOT NULL DEFAULT '',
  value        double precision NOT NULL,
  anomalous    boolean          NOT NULL DEFAULT false,
  -- When the load completed: the order of the history and its weekdays.
  at           timestamptz      NOT NULL,
  PRIMARY KEY (file_id, metric, column_name)
);
CREATE INDEX quality_history_dataset ON ingest.quality_history (dataset, at);

-- A metric anomaly names its metric (row_count, null_rate, …); column_name is its column or null.
ALTER TABLE ingest.anomalies ADD COLUMN metric text;
ALTER TABLE ingest.anomalies ADD CONSTRAINT anomalies_metric_named CHECK ((kind = 'metric') = (metric IS NOT NULL));
