import { EventEmitter } from 'node:events';
import { basename } from 'node:path';
import type pg from 'pg';
import type { Piscina } from 'piscina';
import { type EngineOptions, type ResolvedOptions, resolveOptions } from './config.js';
import type { SluiceConfig } from './configuration/config-schema.js';
import { datasetIdentity } from './configuration/dataset-identity.js';
import { loadConfiguration } from './configuration/locate-config.js';
import { type Database, openDatabase } from './database/database.js';
import { type PlainError, SluiceError, toPlainError } from './errors.js';
import { PipelineEvents } from './events/pipeline-events.js';
import { attachLineage, type Lineage } from './lineage/attach-lineage.js';
import { uuidV7 } from './lineage/uuid-v7.js';
import { RecentAlerts } from './events/recent-alerts.js';
import { qualityAlert } from './stages/history/quality-alerts.js';
import { DependencyBreakers } from './resilience/dependency-breakers.js';
import type { RedisEventPublisher } from './telemetry/redis-events.js';
import { loadInput, type LoadRequest } from './schedule/file-loader.js';
import { CopyWriter } from './sink/copy-writer.js';
import { createWorkerPool } from './worker-pool.js';
import type { FileSummary } from './summary.js';
import type { FormatOverrides } from './formats/overrides.js';
import type { QueueDepth } from './schedule/load-pipeline.js';

/** Events an engine emits. */
export interface EngineEvents {
  /** A file finished: loaded, skipped or failed. */
  file: [summary: FileSummary];
  /** Bytes of a file committed (or found committed) so far. */
  progress: [progress: { file: string; doneBytes: number; totalBytes: number }];
}

export interface IngestOptions {
  /** Dataset (staging table) name; default: from the file name. */
  dataset?: string;
  /** Load again even if this content was loaded before (a new generation). */
  force?: boolean;
  /** Decisions made by the caller instead of the sniffer (delimiter, header, types, encoding, …). */
  overrides?: FormatOverrides;
  /** Write the lines before a CSV file's table to ingest.rejects (reason PREAMBLE) instead of only counting them. */
  keepPreamble?: boolean;
  /** true: process the dataset as time series (timeseries.* and features.*); false: never; default: its configuration, else when detected. */
  timeseries?: boolean;
}

/** Where an engine is in its life: `new` until start(), `failed` when start() failed. */
export type EngineState = 'new' | 'starting' | 'idle' | 'loading' | 'closing' | 'closed' | 'failed';

/** A file being loaded now. */
export interface InFlightFile {
  run_id: string;
  path: string;
  dataset: string | null;
  started_at: string;
}

/** What an engine is doing, read on demand (the API's /api/status and the metrics' gauges). */
export interface EngineStatus {
  state: EngineState;
  /** Worker pool: threads, busy share of its lifetime (0..1), tasks waiting for a thread, tasks done; null before start. */
  workers: { threads: number; utilization: number; queue_size: number; completed: number } | null;
  /** Control connections to PostgreSQL: open, idle, callers waiting for one; null before start. */
  database_pool: { total: number; idle: number; waiting: number } | null;
  queues: {
    /** Files accepted by ingest() that have not started. */
    files: number;
    /** Encoded chunks waiting for a COPY writer, and the bound. */
    writer: { depth: number; capacity: number };
  };
  in_flight: InFlightFile[];
}

/**
 * The ingestion engine: one database, one worker pool, N COPY writers. Files are loaded one after
 * another, each split across all workers and writers, so one big file uses the whole machine and
 * the order of results is the order of calls.
 */
export class Engine extends EventEmitter<EngineEvents> {
  readonly options: ResolvedOptions;
  /** The configuration file in use (`config`, else SLUICE_CONFIG, else ./sluice.yaml|yml|json), validated. */
  readonly configuration: SluiceConfig;
  /** Where the configuration was read from; null when given in memory or absent. */
  readonly configurationSource: string | null;
  private database: Database | undefined;
  private piscina: Piscina | undefined;
  private writers: CopyWriter[] = [];
  private starting: Promise<void> | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private state: EngineState = 'new';
  private waitingFiles = 0;
  private readonly inFlight = new Map<string, InFlightFile>();
  private writerQueue: QueueDepth | undefined;
  /**
   * Pipeline events (file.started, chunk.committed, file.loaded | skipped | failed, …): what the
   * API, metrics, lineage and an embedding service subscribe to.
   */
  readonly events: PipelineEvents;
  /** OpenLineage run events of every load: in ingest.lineage_events, and sent to OPENLINEAGE_URL when set. */
  readonly lineage: Lineage;
  /** The latest quality.alert events, newest first (`alerts.list()`), for the status API. */
  readonly alerts: RecentAlerts;
  /** The circuit breakers around PostgreSQL and Redis (`breakers.list()`: name and state of each). */
  readonly breakers: DependencyBreakers;
  /** Publishes the pipeline events (and quality alerts on their own channel) to Redis when `redisUrl` (REDIS_URL) is set; started by start(). */
  redisEvents: RedisEventPublisher | undefined;

  constructor(options: EngineOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.events = new PipelineEvents((error) => this.options.log(`event listener failed: ${(error as Error).message ?? String(error)}`));
    this.alerts = new RecentAlerts(this.events);
    this.breakers = new DependencyBreakers({ events: this.events, outageTimeoutMs: this.options.dbOutageTimeoutMs, log: this.options.log });
    // Read here, so a bad file fails createEngine before anything starts.
    const { config, source } = loadConfiguration({ config: options.config });
    this.configuration = config;
    this.configurationSource = source;
    this.lineage = attachLineage({ events: this.events, database: () => this.database, log: this.options.log }, {
      ...options.openLineage,
      url: options.openLineage?.url ?? (process.env.OPENLINEAGE_URL || undefined),
      apiKey: options.openLineage?.apiKey ?? (process.env.OPENLINEAGE_API_KEY || undefined),
    });
  }

  /** The URL of the database in use (the embedded one's when no URL was given). */
  get databaseUrl(): string | undefined {
    return this.database?.url;
  }

  /** Opens the database (starting the embedded one if needed), applies migrations, starts the pool. */
  start(): Promise<void> {
    if (this.starting === undefined) {
      this.state = 'starting';
      this.starting = this.open().then(() => { if (this.state === 'starting') this.state = 'idle'; }, (error: unknown) => {
        if (this.state === 'starting') this.state = 'failed';
        throw error;
      });
    }
    return this.starting;
  }

  /** The database's control pool (ledger, catalog, API reads); undefined until start() has finished. */
  get databasePool(): pg.Pool | undefined {
    return this.database?.pool;
  }

  status(): EngineStatus {
    const piscina = this.piscina;
    const pool = this.database?.pool;
    return {
      state: this.state,
      workers: piscina === undefined ? null : { threads: piscina.threads.length, utilization: piscina.utilization, queue_size: piscina.queueSize, completed: piscina.completed },
      database_pool: pool === undefined ? null : { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount },
      queues: { files: this.waitingFiles, writer: { depth: this.writerQueue?.size ?? 0, capacity: this.writerQueue?.capacity ?? this.options.workers + this.options.queueBound } },
      in_flight: [...this.inFlight.values()],
    };
  }

  private async open(): Promise<void> {
    // Workers start first: their start-up (loading modules) overlaps connecting and migrating.
    this.piscina = createWorkerPool(this.options.workers);
    if (this.options.redisUrl !== undefined) {
      // Imported when used: ioredis costs a load without REDIS_URL nothing.
      const { RedisEventPublisher } = await import('./telemetry/redis-events.js');
      this.redisEvents = new RedisEventPublisher(this.events, this.breakers.redis, { url: this.options.redisUrl, log: this.options.log });
    }
    try {
      this.database = await openDatabase(this.options, this.breakers.postgres);
    } catch (error) {
      await this.piscina.destroy();
      this.piscina = undefined;
      await this.redisEvents?.close();
      this.redisEvents = undefined;
      throw error;
    }
    const database = this.database;
    this.writers = Array.from({ length: this.options.writers }, () => new CopyWriter(() => database.connectWriter(), this.options.log, this.breakers.postgres));
    for (const writer of this.writers) writer.prepare();
  }

  /**
   * Loads one file and resolves with its summary; never rejects for a bad file (status `failed`).
   * A workbook loads one dataset per sheet: this resolves with the first failed sheet's summary,
   * else the first sheet's (`ingestAll` gives every sheet's; `'file'` is emitted for each).
   */
  async ingest(path: string, options: IngestOptions = {}): Promise<FileSummary> {
    const summaries = await this.ingestAll(path, options);
    return summaries.find((s) => s.status === 'failed') ?? summaries[0];
  }

  /** Loads one file and resolves with one summary per dataset in it: one, or one per workbook sheet. */
  ingestAll(path: string, options: IngestOptions = {}): Promise<FileSummary[]> {
    if (this.closed) return Promise.reject(new SluiceError('SLUICE_ERR_ENGINE_CLOSED', 'the engine is closed'));
    this.waitingFiles++;
    const run = this.tail.then(async () => {
      this.waitingFiles--;
      await this.start();
      const runId = uuidV7();
      this.inFlight.set(runId, { run_id: runId, path, dataset: options.dataset ?? null, started_at: new Date().toISOString() });
      if (this.state === 'idle') this.state = 'loading';
      try {
        return await this.load(runId, path, options);
      } finally {
        this.inFlight.delete(runId);
        this.writerQueue = undefined;
        if (this.state === 'loading' && this.inFlight.size === 0) this.state = 'idle';
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async load(runId: string, path: string, options: IngestOptions): Promise<FileSummary[]> {
    this.events.emit('file.started', { runId, path, dataset: this.expectedDataset(path, options.dataset) });
    const request: LoadRequest = {
      ...options,
      runId,
      onProgress: (doneBytes, totalBytes) => this.emit('progress', { file: path, doneBytes, totalBytes }),
      onChunk: (chunk) => this.events.emit('chunk.committed', { path, ...chunk }),
    };
    const context = {
      pool: this.database!.pool, piscina: this.piscina!, writers: this.writers, options: this.options, configuration: this.configuration,
      onQueue: (queue: QueueDepth) => { this.writerQueue = queue; },
      postgres: this.breakers.postgres,
    };
    let error: PlainError | null = null;
    try {
      const summaries = await loadInput(context, path, request);
      for (const summary of summaries) {
        this.emit('file', summary);
        this.events.emit(`file.${summary.status}`, { runId, path, summary });
        this.emitQualityEvents(runId, path, summary);
      }
      return summaries;
    } catch (thrown) {
      error = toPlainError(thrown);
      throw thrown;
    } finally {
      this.events.emit('run.finished', { runId, path, error });
      await this.lineage.recorded();
    }
  }

  /** After a load committed: its metric anomalies and its alerts (README, "Alerts"), as events. */
  private emitQualityEvents(runId: string, path: string, summary: FileSummary): void {
    // A skipped file's summary is its earlier load's: its alerts were sent then.
    if (summary.status !== 'loaded') return;
    for (const anomaly of summary.history?.anomalies ?? []) this.events.emit('metric.anomaly', { runId, path, dataset: summary.dataset, anomaly });
    for (const alert of summary.alerts ?? []) this.events.emit('quality.alert', qualityAlert(summary, alert, runId));
  }

  /** Waits for accepted files to finish, then stops the pool, the writers and the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.state = 'closing';
    await this.tail;
    if (this.starting !== undefined) await this.starting.catch(() => undefined);
    // The pool's threads stop while the sessions close: neither waits for the other.
    const stopping = this.piscina?.destroy();
    stopping?.catch(() => undefined);
    // Lineage rows first (they need the database), and a time limit for OPENLINEAGE_URL.
    await this.lineage.close();
    await Promise.all(this.writers.map((w) => w.close()));
    await stopping;
    await this.database?.close();
    await this.redisEvents?.close();
    this.alerts.close();
    this.state = 'closed';
  }

  /**
   * The dataset a load is expected to go to, before the file is read: the one asked for, else the
   * configuration's `match`, else the file's stem (a `.gz` and a URL's query left out). The load
   * itself decides (file-loader); this names the run's job and is null when no name can be made.
   */
  private expectedDataset(path: string, requested: string | undefined): string | null {
    try {
      const remote = /^[a-z][a-z0-9+.-]*:\/\//i.test(path);
      const name = basename(remote ? new URL(path).pathname : path).replace(/\.gz$/i, '');
      return datasetIdentity(this.configuration, path, name, requested).name;
    } catch {
      return null;
    }
  }
}

export function createEngine(options: EngineOptions = {}): Engine {
  return new Engine(options);
}
