import assert from 'node:assert/strict';
import pg from 'pg';
import { SluiceError } from '../errors.js';
import { readingFileRows } from '../sink/file-rows-index.js';
import { type FinishedLoad, type FinisherResult, registerFinisher } from '../stages/load-finish.js';
import { columnFigures } from '../stages/profile/column-profile.js';
import type { ProfileReport } from '../stages/profile/profile-stage.js';
import { type SeriesDecision, assessSeries } from './series-assessment.js';
import { chooseSeriesColumns, type ColumnFacts, hasTimeColumn, mayBeKey, type SeriesColumns } from './series-columns.js';
import { MAX_IDENTIFIER_BYTES } from '../schema/identifiers.js';
import { type FileSeries, readFileSeries, type SeriesZone } from './read-file-series.js';
import { NaiveTimes } from './naive-times.js';
import type { ZoneReport } from '../stages/zone/zone-stage.js';
import { runSeriesTasks } from './run-series-tasks.js';
import { featureColumns, type SeriesOptions } from './series-options.js';
import { clearSeriesAnomalies, recordSeriesAnomalies } from './series-anomaly-rows.js';
import { clearStoredSpans } from './stored-series.js';
import { optionsFor, seriesSettings } from './series-settings.js';
import { ensureSeriesTables } from './series-tables.js';
import { spanFor } from './partition-span.js';
import { formatInterval } from './sampling-interval.js';

/**
 * The time-series second pass (ARCHITECTURE.md, "After the last chunk"), as a load finisher: in
 * the completing transaction, so timeseries.<dataset> and features.<dataset> change exactly when
 * the file is marked loaded (a crash or a lost connection rolls all of it back, and the resumed
 * load runs it again). Its steps:
 *
 *   columns (time, keys, values) ─ read the file's rows back, by series ─ assess (interval,
 *   regularity: is it a series?) ─ tables ─ clear a reloaded range and the stored rows after it
 *   within the windows' reach (read back first), read stored tails ─ workers (a series or a
 *   slice per task) ─ COPY their rows ─ series anomalies ─ summary
 *
 * Loads of one dataset take turns here (a transaction-scoped advisory lock), so two files
 * continuing the same series neither interleave nor deadlock on partitions.
 */

/** Rows read back to judge whether a load is time series before reading all of it. */
const ASSESS_ROWS = 50_000;

export interface TimeseriesSummary {
  detected: boolean;
  confidence: number;
  /** Why the dataset was not processed as time series (detected false), else null. */
  reason: string | null;
  time_column: string | null;
  keys: string[];
  values: string[];
  interval: string | null;
  series: number;
  points: number;
  duplicates: number;
  gaps: number;
  missing: number;
  imputed: number;
  open_gaps: number;
  /** Anomaly events (consecutive flagged points of a column count once). */
  anomalies: number;
  /** Rows flagged is_anomaly. */
  anomalous_points: number;
  /** When the pass could not write the series (the file still loads): why; else null. */
  error: { code: string; message: string } | null;
  /** Rows without a time or with a NULL key: in staging, in no series. */
  unkeyed: number;
  ambiguous_times: number;
  nonexistent_times: number;
  tables: string[];
  duration_ms: number;
}

function notASeries(reason: string, confidence = 0, columns?: { time: string; keys: string[]; values: string[] }): TimeseriesSummary {
  return {
    detected: false, confidence, reason, time_column: columns?.time ?? null, keys: columns?.keys ?? [], values: columns?.values ?? [], interval: null,
    series: 0, points: 0, duplicates: 0, gaps: 0, missing: 0, imputed: 0, open_gaps: 0, anomalies: 0, anomalous_points: 0, unkeyed: 0,
    ambiguous_times: 0, nonexistent_times: 0, tables: [], duration_ms: 0, error: null,
  };
}

/** The load's columns with their distinct counts from the profile (when it ran). */
function columnFacts(load: FinishedLoad): ColumnFacts[] {
  const profile = load.reports.profile as ProfileReport | undefined;
  return load.columns.map((c) => {
    const profiled = profile?.[c.name];
    return { name: c.name, type: c.type, ...(profiled === undefined ? {} : { distinct: columnFigures(c.name, profiled).distinct }) };
  });
}

/**
 * Without a profile (profiling off), the distinct values of the columns that may be keys, counted
 * by PostgreSQL over at most ASSESS_ROWS of the load's rows (the other columns need no count).
 */
async function sampledDistinct(client: pg.ClientBase, load: FinishedLoad, facts: ColumnFacts[]): Promise<ColumnFacts[]> {
  const candidates = facts.filter(mayBeKey);
  if (candidates.length === 0) return facts;
  const { rows } = await readingFileRows(client, () => client.query<Record<string, number>>(
    `SELECT ${candidates.map((f, i) => `count(DISTINCT ${pg.escapeIdentifier(f.name)})::float8 AS c${i}`).join(', ')}
       FROM (SELECT * FROM ${load.table} WHERE _file = $1 LIMIT ${ASSESS_ROWS}) sample`, [load.fileId]));
  return facts.map((f) => (candidates.includes(f) ? { ...f, distinct: rows[0][`c${candidates.indexOf(f)}`] } : f));
}

export async function finishTimeseries(load: FinishedLoad): Promise<FinisherResult> {
  const started = performance.now();
  const settings = seriesSettings(load.datasetConfig?.timeseries, load.timeseries);
  if (settings.mode === 'off' || load.rows === 0) return { summary: { timeseries: null } };
  const { client, dataset, fileId } = load;

  // Nothing that looks like time: no second pass, nothing to count, and nothing to report.
  if (settings.columns.time === undefined && !hasTimeColumn(load.columns)) {
    if (settings.mode === 'on') throw new SluiceError('SLUICE_ERR_TIMESERIES_COLUMNS', `${dataset} cannot be processed as time series: no timestamptz or date column`);
    return { summary: { timeseries: null } };
  }
  const counted = settings.columns.keys === undefined && load.reports.profile === undefined;
  const facts = counted ? await sampledDistinct(client, load, columnFacts(load)) : columnFacts(load);
  const choice = chooseSeriesColumns(facts, counted ? Math.min(load.rows, ASSESS_ROWS) : load.rows, settings.columns);
  if (choice.columns === null) {
    if (settings.mode === 'on') throw new SluiceError('SLUICE_ERR_TIMESERIES_COLUMNS', `${dataset} cannot be processed as time series: ${choice.reason}`);
    return { summary: { timeseries: notASeries(choice.reason!) } };
  }
  const columns = choice.columns;
  const named = { time: columns.time, keys: columns.keys.map((k) => k.name), values: columns.values };
  const imputeNames = typeof settings.impute === 'object' ? Object.keys(settings.impute) : [];
  const strayImpute = imputeNames.filter((name) => !columns.values.includes(name));
  if (strayImpute.length > 0) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `datasets.${dataset}.timeseries.impute names ${strayImpute.join(', ')}, not among the value columns (${columns.values.join(', ')})`);
  }

  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sluice:timeseries:${dataset}`]);
  const options = optionsFor(settings, columns.values);
  // A file's series are held in memory a group of keys at a time (each series whole in one group).
  const groups = columns.keys.length === 0 ? 1 : Math.max(1, Math.ceil(load.rows / settings.memoryPoints));
  // Judged on a sample first: a load that is no series pays for reading a few rows back, not all.
  const sampled = groups > 1 || (load.rows > ASSESS_ROWS && settings.mode === 'auto');
  // The judgement reads times alone: a sample is read without its values.
  const zone: SeriesZone | null = settings.zone === null ? null
    : { name: settings.zone, naive: NaiveTimes.of(columns.timeType, (load.reports.zone as ZoneReport | undefined)?.[columns.time]) };
  const first = await readFileSeries(client, dataset, fileId, sampled ? { ...columns, values: [] } : columns, zone, sampled ? { limit: ASSESS_ROWS } : {});
  const decision: SeriesDecision = assessSeries(first.series, columns, options.interval);
  if (settings.mode === 'auto' && !decision.detected) {
    return { summary: { timeseries: { ...notASeries(decision.reason ?? 'not regular enough', decision.confidence, named), unkeyed: first.unkeyed } } };
  }

  const features = featureColumns(options, columns.values);
  const clash = nameClash(columns, features);
  if (clash !== null) return { summary: { timeseries: { ...notASeries(clash, decision.confidence, named), detected: true, error: { code: 'SLUICE_ERR_TIMESERIES_COLUMNS', message: clash } } } };

  // The pass is the load's extra: a statement PostgreSQL refuses in it (a type it cannot cast, a
  // name it truncates into another) is reported in the summary and the file still loads. A lost
  // connection is not caught here: the completing step runs again, this pass with it.
  await client.query('SAVEPOINT sluice_timeseries');
  let written: Awaited<ReturnType<typeof writeSeries>>;
  try {
    written = await writeSeries(load, { columns, features, options, decision, groups, zone, read: sampled ? null : first });
    await client.query('RELEASE SAVEPOINT sluice_timeseries');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // Data (22), constraint (23), name or definition (42) and limit (54: columns, sizes) errors.
    if (typeof code !== 'string' || !/^(22|23|42|54)/.test(code)) throw error;
    await client.query('ROLLBACK TO SAVEPOINT sluice_timeseries');
    const message = `the time-series pass failed: ${(error as Error).message}`;
    return { summary: { timeseries: { ...notASeries(message, decision.confidence, named), detected: true, error: { code: `SLUICE_ERR_TIMESERIES_WRITE`, message } } } };
  }
  const { tables, counts, events, read } = written;
  const summary: TimeseriesSummary = {
    detected: true, confidence: decision.confidence, reason: null, ...{ time_column: named.time, keys: named.keys, values: named.values },
    interval: decision.interval === null ? null : formatInterval(decision.interval),
    series: read.series, points: counts.points, duplicates: counts.duplicates, gaps: counts.gaps, missing: counts.missing,
    imputed: counts.imputed, open_gaps: counts.openGaps, anomalies: events, anomalous_points: counts.anomalies,
    unkeyed: read.unkeyed, ambiguous_times: read.ambiguous, nonexistent_times: read.nonexistent,
    tables: tables.names, duration_ms: Math.round(performance.now() - started), error: null,
  };
  return { summary: { timeseries: summary } };
}

/**
 * The pass's writing steps: the tables, then per group of keys (one group unless the file holds
 * more points than `memory_points`) its series read back, a reloaded range (and the rows after it
 * that it reaches) cleared, the stored tails, the workers' rows and the anomaly rows.
 */
async function writeSeries(load: FinishedLoad, pass: {
  columns: SeriesColumns; features: string[]; options: SeriesOptions; decision: SeriesDecision; groups: number; zone: SeriesZone | null; read: FileSeries | null;
}) {
  const { client, dataset, fileId } = load;
  const { columns, features, options, decision, groups } = pass;
  const calendar = options.calendarZone === null ? 0 : 3;
  const tables = await ensureSeriesTables(client, dataset, columns, features.map((name, i) => ({ name, type: i >= features.length - calendar ? 'integer' : 'double precision' })), spanFor(decision.interval));
  await clearSeriesAnomalies(client, fileId);
  assert(load.piscina !== undefined, 'the time-series pass runs where the loader passes its worker pool');
  const counts = { points: 0, duplicates: 0, gaps: 0, missing: 0, imputed: 0, openGaps: 0, anomalies: 0 };
  const read = { series: 0, unkeyed: 0, ambiguous: 0, nonexistent: 0 };
  let events = 0;
  for (let group = 0; group < groups; group++) {
    const found = pass.read ?? await readFileSeries(client, dataset, fileId, columns, pass.zone, groups === 1 ? {} : { group: { count: groups, index: group } });
    const { series } = found;
    const { tails, restored } = await clearStoredSpans(client, tables, dataset, columns, series, options, decision.interval);
    const written = await runSeriesTasks(load.piscina, client, { tables, dataset, fileId, series, tails, restored, options, integerFeatures: calendar, keyFieldCount: columns.keys.length });
    await recordSeriesAnomalies(client, { dataset, fileId, columns, series, events: written.events });
    for (const key of Object.keys(counts) as Array<keyof typeof counts>) counts[key] += written.counts[key];
    events += written.events.length;
    read.series += series.length;
    read.unkeyed += found.unkeyed;
    read.ambiguous += found.ambiguous;
    read.nonexistent += found.nonexistent;
  }
  return { tables, counts, events, read };
}

const SERIES_COLUMNS = ['is_imputed', 'is_anomaly', 'anomaly_score', '_file'];
/** PostgreSQL's limit on a table's columns. */
const MAX_TABLE_COLUMNS = 1600;

/** Why the series tables cannot hold these columns (a name used twice, one of their own, or longer than PostgreSQL keeps), or null. */
function nameClash(columns: SeriesColumns, features: readonly string[]): string | null {
  const names = [columns.time, ...columns.keys.map((k) => k.name), ...columns.values];
  const own = names.find((n) => SERIES_COLUMNS.includes(n));
  if (own !== undefined) return `column ${own} has the name of a column timeseries.* adds (${SERIES_COLUMNS.join(', ')}): rename it (transforms) to process the dataset as time series`;
  const long = [...names, ...features].find((n) => Buffer.byteLength(n, 'utf8') > MAX_IDENTIFIER_BYTES);
  if (long !== undefined) return `column ${long} is longer than the ${MAX_IDENTIFIER_BYTES} bytes PostgreSQL keeps of a name: shorten the value column's name`;
  const width = SERIES_COLUMNS.length + 1 + columns.keys.length + Math.max(columns.values.length, features.length);
  if (width > MAX_TABLE_COLUMNS) {
    return `${columns.values.length} value columns make ${features.length} feature columns, more than a PostgreSQL table holds (${MAX_TABLE_COLUMNS}): name fewer in timeseries.values, or fewer windows and lags`;
  }
  const seen = new Set<string>();
  const twice = [...names, ...features].find((n) => (seen.has(n) ? true : (seen.add(n), false)));
  return twice === undefined ? null : `a feature column would be named ${twice}, as another column is: rename the value column`;
}

registerFinisher({ name: 'timeseries', finish: finishTimeseries });
