import { HISTORY_DEFAULTS } from '../../configuration/history-defaults.js';
import type { HistorySummary, MetricAnomaly } from '../../summary.js';
import { type FinishedLoad, type FinisherResult, registerFinisher } from '../load-finish.js';
import type { ProfileReport } from '../profile/profile-stage.js';
import { raisedRoots } from './explained-departures.js';
import { distinctFigureCompared, type LoadMetric, loadMetrics, metricKey } from './load-metrics.js';
import { compareMetric, type MetricComparison, type MetricPoint, scaleFloor } from './metric-baselines.js';

/**
 * After the quality finisher, in the completing transaction: this load's metrics (load-metrics.ts)
 * against the dataset's history in ingest.quality_history, then this load's metrics added to it.
 *
 * Why a table of its own rather than reading ingest.files, ingest.profiles and ingest.quality: a
 * metric's history needs a per-point "anomalous" mark (so past anomalies stay out of baselines),
 * row count and reject rate are kept even when profiling is off, and one narrow indexed table is
 * read per load instead of three joined with jsonb figures.
 *
 * A load is compared once `min_loads` earlier loads are recorded (else the summary says "not enough
 * history"); each metric once it has `min_loads` non-anomalous points of its own (a column first
 * seen last week is not compared yet). A departure no other explains (explained-departures.ts) is
 * a row of kind `metric` in ingest.anomalies and an entry of the summary's `history.anomalies`;
 * every departed metric, raised or explained, is stored anomalous. Completing the same load again
 * replaces what an earlier attempt wrote.
 */

interface Departed {
  metric: LoadMetric;
  comparison: MetricComparison;
  direction: 1 | -1;
}

async function readHistory(load: FinishedLoad, maxLoads: number): Promise<{ loads: number; points: Map<string, MetricPoint[]> }> {
  const result = await load.client.query<{ metric: string; column_name: string; value: number; at: number; file_id: number }>(
    `WITH earlier AS (
       SELECT file_id FROM ingest.quality_history
        WHERE dataset = $1 AND metric = 'row_count' AND column_name = '' AND file_id <> $2
        ORDER BY at DESC, file_id DESC LIMIT $3)
     SELECT h.metric, h.column_name, h.value, (extract(epoch FROM h.at) * 1000)::float8 AS at, h.file_id::float8 AS file_id
       FROM ingest.quality_history h JOIN earlier USING (file_id)
      WHERE NOT h.anomalous
      ORDER BY h.at, h.file_id`, [load.dataset, load.fileId, maxLoads]);
  const loads = await load.client.query<{ n: number }>(
    `SELECT count(*)::float8 AS n FROM (SELECT 1 FROM ingest.quality_history
       WHERE dataset = $1 AND metric = 'row_count' AND column_name = '' AND file_id <> $2 LIMIT $3) l`, [load.dataset, load.fileId, maxLoads]);
  const points = new Map<string, MetricPoint[]>();
  for (const row of result.rows) {
    const key = metricKey({ metric: row.metric, column: row.column_name === '' ? null : row.column_name });
    let list = points.get(key);
    if (list === undefined) points.set(key, (list = []));
    list.push({ value: row.value, at: row.at });
  }
  return { loads: loads.rows[0].n, points };
}

function anomalyOf(departed: Departed, explained: readonly Departed[]): MetricAnomaly {
  const primary = departed.comparison.departures[0];
  return {
    metric: departed.metric.metric, column: departed.metric.column, value: departed.metric.value, method: primary.method, score: primary.score,
    expected: { center: primary.center, lower: primary.lower, upper: primary.upper },
    methods: departed.comparison.departures.map((d) => d.method),
    explains: explained.map((e) => ({ metric: e.metric.metric, column: e.metric.column, value: e.metric.value })),
  };
}

export async function finishHistory(load: FinishedLoad): Promise<FinisherResult> {
  const settings = load.datasetConfig?.history ?? HISTORY_DEFAULTS;
  if (!settings.enabled) return { summary: { history: null } };
  const { client, fileId, dataset } = load;
  const at = Date.now();
  const metrics = loadMetrics({
    rows: load.rows, rejected: load.rejected, profile: load.reports.profile as ProfileReport | undefined, quality: load.summary.quality, timeseries: load.summary.timeseries,
  });
  await client.query('DELETE FROM ingest.quality_history WHERE file_id = $1', [fileId]);
  await client.query(`DELETE FROM ingest.anomalies WHERE file_id = $1 AND kind = 'metric'`, [fileId]);
  const history = await readHistory(load, settings.max_loads);

  const departed: Departed[] = [];
  let checked = 0;
  if (history.loads >= settings.min_loads) {
    for (const metric of metrics) {
      const points = history.points.get(metricKey(metric)) ?? [];
      if (points.length < settings.min_loads) continue;
      const ratios = history.points.get(metricKey({ metric: 'distinct_ratio', column: metric.column })) ?? [];
      if (!distinctFigureCompared(metric.metric, ratios.map((p) => p.value))) continue;
      checked++;
      const comparison = compareMetric(metric.kind, metric.value, at, points, (center) => scaleFloor(metric.kind, center, settings, metric), settings);
      if (comparison.departures.length === 0) continue;
      departed.push({ metric, comparison, direction: metric.value >= comparison.departures[0].center ? 1 : -1 });
    }
  }
  const roots = raisedRoots(departed.map((d) => ({ metric: d.metric.metric, column: d.metric.column, direction: d.direction })));
  const anomalies = departed.flatMap((d, i) => (roots[i] === i ? [anomalyOf(d, departed.filter((_, j) => j !== i && roots[j] === i))] : []));

  const anomalous = new Set(departed.map((d) => metricKey(d.metric)));
  await client.query(
    `INSERT INTO ingest.quality_history (file_id, dataset, metric, column_name, value, anomalous, at)
     SELECT $1, $2, r.metric, r.column_name, r.value, r.anomalous, to_timestamp($4::float8 / 1000)
       FROM jsonb_to_recordset($3::jsonb) AS r(metric text, column_name text, value float8, anomalous boolean)`,
    [fileId, dataset, JSON.stringify(metrics.map((m) => ({ metric: m.metric, column_name: m.column ?? '', value: m.value, anomalous: anomalous.has(metricKey(m)) }))), at]);
  if (anomalies.length > 0) {
    await client.query(
      `INSERT INTO ingest.anomalies (kind, dataset, file_id, at, metric, column_name, value, score, method, detail)
       SELECT 'metric', $2, $1, to_timestamp($4::float8 / 1000), r.metric, r.column_name, r.value, r.score, r.method, r.detail
         FROM jsonb_to_recordset($3::jsonb) AS r(metric text, column_name text, value text, score float8, method text, detail jsonb)`,
      [fileId, dataset, JSON.stringify(anomalies.map((a) => ({
        metric: a.metric, column_name: a.column, value: String(a.value), score: a.score, method: a.method,
        detail: { expected: a.expected, methods: a.methods, explains: a.explains, loads: history.loads },
      }))), at]);
  }
  const summary: HistorySummary = {
    status: history.loads >= settings.min_loads ? 'checked' : 'not enough history', loads: history.loads, min_loads: settings.min_loads, checked, anomalies,
  };
  return { summary: { history: summary } };
}

registerFinisher({ name: 'history', finish: finishHistory });
