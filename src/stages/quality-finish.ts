import { postgresTypeName } from '../schema/column-type.js';
import type { FileSummary } from '../summary.js';
import type { DetectReport } from './detect/detect-stage.js';
import { type FinishedLoad, type FinisherResult, registerFinisher } from './load-finish.js';
import { columnFigures } from './profile/column-profile.js';
import type { ProfileReport } from './profile/profile-stage.js';
import { qualityOf, type RuleOutcome } from './quality-scores.js';

/**
 * After the last chunk, in the completing transaction: the merged profile per column into
 * ingest.profiles, the quality dimensions into ingest.quality, and the summary's `quality` and
 * `anomalies`. Registered after the validation finisher (stages/all-finishers.ts imports it after),
 * so its rule outcomes (summary.validation) and the rows it moved to the rejects are counted.
 * Writing replaces what an earlier attempt at completing the same load wrote.
 */
export async function finishQuality(load: FinishedLoad): Promise<FinisherResult> {
  const profile = load.reports.profile as ProfileReport | undefined;
  const detect = load.reports.detect as DetectReport | undefined;
  const anomalies = detect === undefined ? null : Object.fromEntries(Object.entries(detect).map(([column, counts]) => [column, counts.anomalies]));
  if (load.datasetConfig?.profile?.enabled === false) return { summary: { quality: null, anomalies } };

  const { client, fileId, dataset } = load;
  const reasons = await client.query<{ reason: string; count: number }>(
    'SELECT reason, count(*)::float8 AS count FROM ingest.rejects WHERE file_id = $1 GROUP BY reason ORDER BY reason', [fileId]);
  const rejectsByReason = Object.fromEntries(reasons.rows.map((r) => [r.reason, r.count]));
  const validation = (load.summary as { validation?: readonly RuleOutcome[] | null }).validation ?? undefined;
  const { quality, detail } = qualityOf({
    profile, detect, rows: load.rows, rejected: load.rejected, rejectsByReason, validation, datasetConfig: load.datasetConfig, now: Date.now(),
  });

  await client.query('DELETE FROM ingest.profiles WHERE file_id = $1', [fileId]);
  if (profile !== undefined) {
    const order = new Map(load.columns.map((c, i) => [c.name, i]));
    const names = Object.keys(profile).sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity) || (a < b ? -1 : 1));
    const rows = names.map((name, i) => ({
      column_no: order.get(name) ?? load.columns.length + i, column_name: name, column_type: postgresTypeName(profile[name].type),
      state: profile[name], stats: columnFigures(name, profile[name]),
    }));
    if (rows.length > 0) {
      await client.query(
        `INSERT INTO ingest.profiles (file_id, dataset, column_no, column_name, column_type, state, stats)
         SELECT $1, $2, r.column_no, r.column_name, r.column_type, r.state, r.stats
           FROM jsonb_to_recordset($3::jsonb) AS r(column_no integer, column_name text, column_type text, state jsonb, stats jsonb)`,
        [fileId, dataset, JSON.stringify(rows)]);
    }
  }
  await client.query(
    `INSERT INTO ingest.quality (file_id, dataset, completeness, uniqueness, validity, consistency, timeliness, accuracy, score, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (file_id) DO UPDATE SET dataset = EXCLUDED.dataset, completeness = EXCLUDED.completeness, uniqueness = EXCLUDED.uniqueness,
       validity = EXCLUDED.validity, consistency = EXCLUDED.consistency, timeliness = EXCLUDED.timeliness, accuracy = EXCLUDED.accuracy,
       score = EXCLUDED.score, detail = EXCLUDED.detail, created_at = now()`,
    [fileId, dataset, quality.completeness, quality.uniqueness, quality.validity, quality.consistency, quality.timeliness, quality.accuracy, quality.score, JSON.stringify(detail)]);
  const summary: Partial<FileSummary> = { quality, anomalies };
  return { summary };
}

registerFinisher({ name: 'quality', finish: finishQuality });
