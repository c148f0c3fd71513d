import { basename } from 'node:path';
import type pg from 'pg';
import { type PlainError, SluiceError } from '../errors.js';
import type { PipelineEvent, PipelineEvents } from '../events/pipeline-events.js';
import { datasetNameFor } from '../schema/identifiers.js';
import { displayTable } from '../sink/staging-table.js';
import type { ColumnFigures } from '../stages/profile/column-profile.js';
import type { FileSummary } from '../summary.js';
import type { DeliveryOptions, DeliveryStats, LineageDelivery } from './lineage-delivery.js';
import { DEFAULT_PRODUCER, RunEventBuilder, type RunEvent, type RunStart, warehouseNaming } from './run-event.js';

/**
 * OpenLineage for every load, from the pipeline events:
 *
 *   file.started ──▶ START ───────────────┐
 *   file.loaded | skipped | failed (1..n) ├─▶ ingest.lineage_events (in order, per run)
 *   run.finished ──▶ COMPLETE or FAIL ────┘   └─▶ OPENLINEAGE_URL (bounded queue, retried; never waited for)
 *
 * A skipped file (content loaded before) still ends its run: COMPLETE, 0 rows written. The rows are
 * written off the load path; the engine waits for them (`recorded`) before a load's promise
 * resolves, so a caller that reads ingest.lineage_events after a load finds its events there.
 */

export interface LineageOptions {
  /** OPENLINEAGE_URL: also POST every event to `<url>/api/v1/lineage`. Default: not sent. */
  url?: string;
  /** OPENLINEAGE_API_KEY: sent as a bearer token. */
  apiKey?: string;
  /** `producer` and every facet's `_producer`. Default `urn:sluice:<version>`. */
  producer?: string;
  /** Time close() gives the delivery queue to empty. Default 5 s. */
  drainTimeoutMs?: number;
  delivery?: Omit<DeliveryOptions, 'url' | 'apiKey' | 'log' | 'onDelivered'>;
}

/** What lineage needs of an engine: its events, and its database once started. */
export interface LineageHost {
  events: PipelineEvents;
  database(): { pool: pg.Pool; url: string } | undefined;
  log(line: string): void;
}

export interface Lineage {
  /** Resolves when every event built so far is in ingest.lineage_events. */
  recorded(): Promise<void>;
  /** Delivery counters; null without a URL. */
  deliveryStats(): DeliveryStats | null;
  /** Stops listening, waits for the rows, gives delivery `drainTimeoutMs` to finish. */
  close(): Promise<void>;
}

interface OpenRun {
  start: RunStart;
  summaries: FileSummary[];
  /** The run's rows are written in order: START before COMPLETE. */
  chain: Promise<void>;
}

export function attachLineage(host: LineageHost, options: LineageOptions = {}): Lineage {
  if (options.url !== undefined) checkEndpoint(options.url);
  const runs = new Map<string, OpenRun>();
  const pending = new Set<Promise<void>>();
  const producer = options.producer ?? DEFAULT_PRODUCER;
  const builders = new Map<string, RunEventBuilder>();
  let delivery: Promise<LineageDelivery> | undefined;
  let started: LineageDelivery | undefined;

  const track = (work: Promise<void>): Promise<void> => {
    const settled = work.catch((error: unknown) => host.log(`lineage: ${(error as Error).message}`));
    pending.add(settled);
    void settled.finally(() => pending.delete(settled));
    return settled;
  };

  const builderFor = (url: string): RunEventBuilder => {
    let builder = builders.get(url);
    if (builder === undefined) builders.set(url, builder = new RunEventBuilder(producer, warehouseNaming(url)));
    return builder;
  };

  // undici and cockatiel are loaded only when events are sent anywhere.
  const deliver = (event: RunEvent, pool: pg.Pool): void => {
    if (options.url === undefined) return;
    delivery ??= import('./lineage-delivery.js').then(({ LineageDelivery }) => new LineageDelivery({
      ...options.delivery, url: options.url!, apiKey: options.apiKey, log: host.log,
      onDelivered: (sent) => void track(markDelivered(pool, sent)),
    })).then((d) => (started = d));
    void delivery.then((d) => d.enqueue(event));
  };

  const write = (run: OpenRun, pool: pg.Pool, build: () => Promise<RunEvent>): void => {
    run.chain = track(run.chain.then(async () => {
      const event = await build();
      // Stored first, so the row is there to be marked delivered; sent even when it cannot be stored.
      try {
        await storeEvent(pool, event, datasetsOf(event, run));
      } finally {
        deliver(event, pool);
      }
    }));
  };

  const onEvent = (event: PipelineEvent): void => {
    const database = host.database();
    if (database === undefined) return;
    switch (event.type) {
      case 'file.started': {
        const { runId, path } = event.data;
        const start: RunStart = { runId, path, dataset: event.data.dataset ?? datasetNameFor(basename(path)), time: new Date(event.time) };
        const run: OpenRun = { start, summaries: [], chain: Promise.resolve() };
        runs.set(runId, run);
        const startEvent = builderFor(database.url).start(start);
        write(run, database.pool, async () => startEvent);
        break;
      }
      case 'file.loaded': case 'file.skipped': case 'file.failed':
        runs.get(event.data.runId)?.summaries.push(event.data.summary);
        break;
      case 'run.finished': {
        const run = runs.get(event.data.runId);
        if (run === undefined) return;
        runs.delete(event.data.runId);
        const time = new Date(event.time);
        const error: PlainError | null = event.data.error;
        const builder = builderFor(database.url);
        write(run, database.pool, async () => {
          // Without its metrics the run still ends: the profile is a detail of the COMPLETE.
          const profiles = await loadProfiles(database.pool, run).catch((failure: unknown) => {
            host.log(`lineage: the profile of run ${run.start.runId} could not be read: ${(failure as Error).message}`);
            return new Map<string, ColumnFigures[]>();
          });
          return builder.end(run.start, { summaries: run.summaries, profiles, error, time });
        });
        break;
      }
      default:
    }
  };
  const unsubscribe = host.events.subscribe(onEvent);

  const recorded = async (): Promise<void> => {
    while (pending.size > 0) await Promise.all([...pending]);
  };

  return {
    recorded,
    deliveryStats: () => (options.url === undefined ? null : started?.stats() ?? { queued: 0, delivered: 0, failed: 0, dropped: 0 }),
    async close() {
      unsubscribe();
      await recorded();
      if (delivery !== undefined) await (await delivery).close(options.drainTimeoutMs ?? 5000);
      await recorded();
    },
  };
}

/** A bad OPENLINEAGE_URL fails the engine at once, not every event later. */
function checkEndpoint(url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `OPENLINEAGE_URL (openLineage.url) must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
}

async function storeEvent(pool: pg.Pool, event: RunEvent, datasets: string[]): Promise<void> {
  await pool.query(
    `INSERT INTO ingest.lineage_events (run_id, event_type, event_time, job_name, datasets, event)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [event.run.runId, event.eventType, event.eventTime, event.job.name, datasets, JSON.stringify(event)]);
}

async function markDelivered(pool: pg.Pool, event: RunEvent): Promise<void> {
  await pool.query('UPDATE ingest.lineage_events SET delivered_at = now() WHERE run_id = $1 AND event_type = $2', [event.run.runId, event.eventType]);
}

/** The names a run's events are found by: Sluice's datasets and tables, OpenLineage's dataset names. */
function datasetsOf(event: RunEvent, run: OpenRun): string[] {
  const names = new Set<string>([run.start.dataset, displayTable(run.start.dataset)]);
  for (const summary of run.summaries) {
    if (summary.dataset !== null) names.add(summary.dataset);
    if (summary.table !== null) names.add(summary.table);
  }
  for (const dataset of [...event.inputs, ...event.outputs]) names.add(dataset.name);
  return [...names];
}

/**
 * The column figures of each table this run loaded, from ingest.profiles, found through the
 * lineage edge the catalog wrote with the run id (it names the ledger's file id).
 */
async function loadProfiles(pool: pg.Pool, run: OpenRun): Promise<Map<string, ColumnFigures[]>> {
  const profiles = new Map<string, ColumnFigures[]>();
  for (const summary of run.summaries) {
    if (summary.status !== 'loaded' || summary.table === null) continue;
    const found = await pool.query<{ stats: ColumnFigures }>(
      `SELECT p.stats FROM metadata_lineage l JOIN ingest.profiles p ON p.file_id = l.file_id
        WHERE l.run_id = $1 AND l.target = $2 ORDER BY p.column_no, p.column_name`, [run.start.runId, summary.table]);
    if (found.rows.length > 0) profiles.set(summary.table, found.rows.map((r) => r.stats));
  }
  return profiles;
}
