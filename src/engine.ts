import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Piscina } from 'piscina';
import { type EngineOptions, type ResolvedOptions, resolveOptions } from './config.js';
import type { SluiceConfig } from './configuration/config-schema.js';
import { loadConfiguration } from './configuration/locate-config.js';
import { type Database, openDatabase } from './database/database.js';
import { SluiceError } from './errors.js';
import { PipelineEvents } from './events/pipeline-events.js';
import { DependencyBreakers } from './resilience/dependency-breakers.js';
import { RedisEventPublisher } from './telemetry/redis-events.js';
import { loadInput, type LoadRequest } from './schedule/file-loader.js';
import { CopyWriter } from './sink/copy-writer.js';
import { createWorkerPool } from './worker-pool.js';
import type { FileSummary } from './summary.js';
import type { FormatOverrides } from './formats/overrides.js';

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
  /**
   * Pipeline events (file.started, chunk.committed, file.loaded | skipped | failed, …): what the
   * API, metrics, lineage and an embedding service subscribe to.
   */
  readonly events: PipelineEvents;
  /** The circuit breakers around PostgreSQL and Redis (`breakers.list()`: name and state of each). */
  readonly breakers: DependencyBreakers;
  /** Publishes the pipeline events to Redis when `redisUrl` (REDIS_URL) is set; started by start(). */
  redisEvents: RedisEventPublisher | undefined;

  constructor(options: EngineOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.events = new PipelineEvents((error) => this.options.log(`event listener failed: ${(error as Error).message ?? String(error)}`));
    this.breakers = new DependencyBreakers({ events: this.events, outageTimeoutMs: this.options.dbOutageTimeoutMs, log: this.options.log });
    // Read here, so a bad file fails createEngine before anything starts.
    const { config, source } = loadConfiguration({ config: options.config });
    this.configuration = config;
    this.configurationSource = source;
  }

  /** The URL of the database in use (the embedded one's when no URL was given). */
  get databaseUrl(): string | undefined {
    return this.database?.url;
  }

  /** Opens the database (starting the embedded one if needed), applies migrations, starts the pool. */
  start(): Promise<void> {
    this.starting ??= this.open();
    return this.starting;
  }

  private async open(): Promise<void> {
    if (this.options.redisUrl !== undefined) {
      this.redisEvents = new RedisEventPublisher(this.events, this.breakers.redis, { url: this.options.redisUrl, log: this.options.log });
    }
    // Workers start first: their start-up (loading modules) overlaps connecting and migrating.
    this.piscina = createWorkerPool(this.options.workers);
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
    const run = this.tail.then(async () => {
      await this.start();
      const runId = randomUUID();
      this.events.emit('file.started', { runId, path, dataset: options.dataset ?? null });
      const request: LoadRequest = {
        ...options,
        onProgress: (doneBytes, totalBytes) => this.emit('progress', { file: path, doneBytes, totalBytes }),
        onChunk: (chunk) => this.events.emit('chunk.committed', { path, ...chunk }),
      };
      const summaries = await loadInput({
        pool: this.database!.pool, piscina: this.piscina!, writers: this.writers, options: this.options, configuration: this.configuration, postgres: this.breakers.postgres,
      }, path, request);
      for (const summary of summaries) {
        this.emit('file', summary);
        this.events.emit(`file.${summary.status}`, { runId, path, summary });
      }
      return summaries;
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Waits for accepted files to finish, then stops the pool, the writers and the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    if (this.starting !== undefined) await this.starting.catch(() => undefined);
    await Promise.all(this.writers.map((w) => w.close()));
    await this.piscina?.destroy();
    await this.database?.close();
    await this.redisEvents?.close();
  }
}

export function createEngine(options: EngineOptions = {}): Engine {
  return new Engine(options);
}
