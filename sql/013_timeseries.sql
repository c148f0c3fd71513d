-- The time-series pass writes timeseries.<dataset> (the processed series: normalised, gap-filled,
-- flagged) and features.<dataset> (rolling statistics, EWMA, lags, calendar parts), created per
-- dataset by the pass (src/timeseries/series-tables.ts): hypertables with TimescaleDB, else tables
-- partitioned by range of time.
CREATE SCHEMA IF NOT EXISTS timeseries;
CREATE SCHEMA IF NOT EXISTS features;
