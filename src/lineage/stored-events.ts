import type pg from 'pg';
import type { Page } from '../catalog/metadata-store.js';
import type { RunEvent, RunEventType } from './run-event.js';

/** A run event as ingest.lineage_events keeps it. */
export interface StoredRunEvent {
  id: number;
  run_id: string;
  event_type: RunEventType;
  event_time: string;
  job_name: string;
  /** When the OpenLineage endpoint accepted it; null when not sent (or not yet). */
  delivered_at: string | null;
  event: RunEvent;
}

/**
 * Run events, newest first: of one run, and/or about one dataset — a Sluice dataset (`sales`), a
 * table (`staging.sales`) or an OpenLineage dataset name (`db.staging.sales`, a file's path).
 */
export async function listRunEvents(pool: pg.Pool, query: { runId: string | null; dataset: string | null; limit: number; offset: number }): Promise<Page<StoredRunEvent>> {
  const where = '($1::uuid IS NULL OR run_id = $1) AND ($2::text IS NULL OR $2 = ANY(datasets))';
  const params = [query.runId, query.dataset];
  const [rows, count] = await Promise.all([
    pool.query<{ id: string; run_id: string; event_type: RunEventType; event_time: Date; job_name: string; delivered_at: Date | null; event: RunEvent }>(
      `SELECT id, run_id, event_type, event_time, job_name, delivered_at, event FROM ingest.lineage_events WHERE ${where}
        ORDER BY id DESC LIMIT $3 OFFSET $4`, [...params, query.limit, query.offset]),
    pool.query<{ total: number }>(`SELECT count(*)::float8 AS total FROM ingest.lineage_events WHERE ${where}`, params),
  ]);
  return {
    items: rows.rows.map((r) => ({
      id: Number(r.id), run_id: r.run_id, event_type: r.event_type, event_time: r.event_time.toISOString(), job_name: r.job_name,
      delivered_at: r.delivered_at?.toISOString() ?? null, event: r.event,
    })),
    total: count.rows[0].total, limit: query.limit, offset: query.offset,
  };
}
