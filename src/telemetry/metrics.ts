import { Counter, Gauge, Histogram, type MetricObjectWithValues, type MetricValue, Registry } from 'prom-client';
import type { EngineStatus } from '../engine.js';
import { type BreakerSource, type BreakerState, type PipelineEvent, readBreakers } from '../events/pipeline-events.js';
import type { SecondBuckets } from './second-buckets.js';

/**
 * The engine's metrics, in a prom-client Registry of its own (never the global default one, so
 * two engines or services in a process keep apart). The registry lives in the main thread:
 * workers' figures reach it as pipeline events (chunk.committed, file.loaded | skipped | failed
 * with the summary), since prom-client keeps metrics per thread.
 *
 * Names follow Prometheus practice: `sluice_` prefix, base units (`_seconds`, `_bytes`), counters
 * end in `_total`. Labels never carry a file name or id; a dataset is a label, but a dataset is by
 * default the file's stem, so at most MAX_DATASET_LABELS distinct ones are used and the rest are
 * counted under `_other`.
 */

export interface MetricsSources {
  /** The engine's state, read at each scrape (queue depths, pool, in-flight files). */
  engine?: () => EngineStatus;
  /** Circuit breakers, read at each scrape (their owner keeps the list up to date). */
  breakers?: BreakerSource;
  /** Per-second counters, for the throughput gauges. */
  realtime?: SecondBuckets;
  /** Whether Redis is connected; absent when no Redis is configured (and so is the gauge). */
  redisConnected?: () => boolean;
}

export const MAX_DATASET_LABELS = 100;
/** Throughput gauges average over this many seconds. */
export const THROUGHPUT_WINDOW_SECONDS = 10;

/** Breaker states as numbers, so a dashboard can graph them: 0 closed, 1 half-open, 2 open, 3 isolated. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2, isolated: 3 };

const CHUNK_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LOAD_SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export class SluiceMetrics {
  readonly registry = new Registry();
  private readonly files: Counter<'status'>;
  private readonly rows: Counter;
  private readonly rejected: Counter;
  private readonly bytes: Counter;
  private readonly chunks: Counter;
  private readonly chunkSeconds: Histogram;
  private readonly loadSeconds: Histogram<'status'>;
  private readonly validationFailures: Counter<'dataset' | 'rule' | 'severity'>;
  private readonly valueAnomalies: Counter<'dataset'>;
  private readonly qualityScore: Gauge<'dataset'>;
  private readonly events: Counter<'type'>;
  private readonly datasets = new Set<string>();
  /** Breaker states as breaker.changed last reported them; the breakers source, when given, wins. */
  private readonly breakerStates = new Map<string, BreakerState>();

  constructor(private readonly sources: MetricsSources = {}) {
    const registers = [this.registry];
    this.files = new Counter({ name: 'sluice_files_total', help: 'Files (or workbook sheets) finished, by status: loaded, skipped, failed', labelNames: ['status'], registers });
    this.rows = new Counter({ name: 'sluice_rows_total', help: 'Rows committed to staging tables', registers });
    this.rejected = new Counter({ name: 'sluice_rejected_rows_total', help: 'Rows committed to ingest.rejects', registers });
    this.bytes = new Counter({ name: 'sluice_bytes_total', help: 'Input bytes of committed chunks', registers });
    this.chunks = new Counter({ name: 'sluice_chunks_total', help: 'Chunks committed (one COPY and one transaction each)', registers });
    this.chunkSeconds = new Histogram({ name: 'sluice_chunk_commit_duration_seconds', help: 'Time from a chunk\'s write starting to its commit', buckets: CHUNK_SECONDS_BUCKETS, registers });
    this.loadSeconds = new Histogram({ name: 'sluice_load_duration_seconds', help: 'Time a file took, from start to summary, by status', labelNames: ['status'], buckets: LOAD_SECONDS_BUCKETS, registers });
    this.validationFailures = new Counter({ name: 'sluice_validation_failures_total', help: 'Rows (or loads, for a row-count rule) that failed a validation rule', labelNames: ['dataset', 'rule', 'severity'], registers });
    this.valueAnomalies = new Counter({ name: 'sluice_value_anomalies_total', help: 'Value anomalies the detect stage found', labelNames: ['dataset'], registers });
    this.qualityScore = new Gauge({ name: 'sluice_quality_score', help: 'The latest load\'s aggregate quality score (0..1), by dataset', labelNames: ['dataset'], registers });
    // Every status present from the start, so rate() sees the first failure as a step from 0.
    for (const status of ['loaded', 'skipped', 'failed']) this.files.inc({ status }, 0);
    this.events = new Counter({ name: 'sluice_events_total', help: 'Pipeline events, by type', labelNames: ['type'], registers });

    const engine = sources.engine;
    const realtime = sources.realtime;
    new Gauge({
      name: 'sluice_queue_depth', help: 'Items waiting: files accepted and not started, encoded chunks waiting for a writer, tasks waiting for a worker thread',
      labelNames: ['queue'], registers,
      collect() {
        const status = engine?.();
        if (status === undefined) return;
        this.set({ queue: 'files' }, status.queues.files);
        this.set({ queue: 'writer' }, status.queues.writer.depth);
        this.set({ queue: 'workers' }, status.workers?.queue_size ?? 0);
      },
    });
    new Gauge({
      name: 'sluice_queue_capacity', help: 'Bound of the writer queue (encoded chunks)', labelNames: ['queue'], registers,
      collect() {
        const status = engine?.();
        if (status !== undefined) this.set({ queue: 'writer' }, status.queues.writer.capacity);
      },
    });
    new Gauge({
      name: 'sluice_files_in_flight', help: 'Files being loaded now', registers,
      collect() {
        const status = engine?.();
        if (status !== undefined) this.set(status.in_flight.length);
      },
    });
    new Gauge({
      name: 'sluice_worker_threads', help: 'Worker threads in the pool', registers,
      collect() {
        const status = engine?.();
        if (status !== undefined) this.set(status.workers?.threads ?? 0);
      },
    });
    new Gauge({
      name: 'sluice_worker_utilization_ratio', help: 'Share of the worker pool\'s lifetime its threads were busy (0..1)', registers,
      collect() {
        const status = engine?.();
        if (status !== undefined) this.set(status.workers?.utilization ?? 0);
      },
    });
    new Gauge({
      name: 'sluice_database_pool_connections', help: 'Control connections to PostgreSQL, by state', labelNames: ['state'], registers,
      collect() {
        const pool = engine?.().database_pool;
        if (pool === undefined || pool === null) return;
        this.set({ state: 'idle' }, pool.idle);
        this.set({ state: 'busy' }, pool.total - pool.idle);
      },
    });
    new Gauge({
      name: 'sluice_database_pool_waiting_clients', help: 'Callers waiting for a control connection', registers,
      collect() {
        const pool = engine?.().database_pool;
        if (pool !== undefined && pool !== null) this.set(pool.waiting);
      },
    });
    new Gauge({
      name: 'sluice_copy_throughput_bytes_per_second', help: `Input bytes committed per second, over the last ${THROUGHPUT_WINDOW_SECONDS} s`, registers,
      collect() {
        if (realtime !== undefined) this.set(realtime.rate('bytes', THROUGHPUT_WINDOW_SECONDS));
      },
    });
    new Gauge({
      name: 'sluice_copy_throughput_rows_per_second', help: `Rows committed per second, over the last ${THROUGHPUT_WINDOW_SECONDS} s`, registers,
      collect() {
        if (realtime !== undefined) this.set(realtime.rate('rows', THROUGHPUT_WINDOW_SECONDS));
      },
    });
    const breakers = (): readonly { name: string; state: BreakerState }[] => this.breakers();
    new Gauge({
      name: 'sluice_breaker_state', help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open, 3 isolated', labelNames: ['breaker'], registers,
      collect() {
        for (const breaker of breakers()) this.set({ breaker: breaker.name }, BREAKER_STATE_VALUE[breaker.state]);
      },
    });
    const redisConnected = sources.redisConnected;
    if (redisConnected !== undefined) {
      new Gauge({
        name: 'sluice_redis_connected', help: 'Whether the Redis telemetry connection is up (1) or not (0)', registers,
        collect() { this.set(redisConnected() ? 1 : 0); },
      });
    }
    new Gauge({ name: 'sluice_process_start_time_seconds', help: 'When this process started, in seconds since the epoch', registers })
      .set(Math.round((Date.now() - process.uptime() * 1000) / 1000));
  }

  /** Counts one pipeline event (the engine's bus calls this for every event). */
  record(event: PipelineEvent): void {
    this.events.inc({ type: event.type });
    switch (event.type) {
      case 'chunk.committed': {
        const chunk = event.data;
        this.chunks.inc();
        this.rows.inc(chunk.rows);
        this.rejected.inc(chunk.rejected);
        this.bytes.inc(chunk.bytes);
        this.chunkSeconds.observe(chunk.ms / 1000);
        return;
      }
      case 'file.loaded': case 'file.skipped': case 'file.failed': {
        const summary = event.data.summary;
        this.files.inc({ status: summary.status });
        this.loadSeconds.observe({ status: summary.status }, summary.duration_ms / 1000);
        if (summary.status !== 'loaded' || summary.dataset === null) return;
        const dataset = this.datasetLabel(summary.dataset);
        for (const rule of summary.validation ?? []) {
          if (rule.failed > 0) this.validationFailures.inc({ dataset, rule: rule.rule, severity: rule.severity }, rule.failed);
        }
        const anomalies = Object.values(summary.anomalies ?? {}).reduce((sum, n) => sum + n, 0);
        if (anomalies > 0) this.valueAnomalies.inc({ dataset }, anomalies);
        if (summary.quality?.score != null) this.qualityScore.set({ dataset }, summary.quality.score);
        return;
      }
      case 'breaker.changed':
        this.breakerStates.set(event.data.name, event.data.state);
        return;
      default:
        return;
    }
  }

  /** Every breaker known: the source's, and those only events have told of. */
  breakers(): { name: string; state: BreakerState }[] {
    const merged = new Map(this.breakerStates);
    for (const breaker of readBreakers(this.sources.breakers)) merged.set(breaker.name, breaker.state);
    return [...merged].map(([name, state]) => ({ name, state })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Prometheus text exposition format (version 0.0.4); ends with a newline. */
  prometheus(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The same figures as JSON: one object per metric with its type, help and labelled values. */
  async json(): Promise<MetricJson[]> {
    const metrics = await this.registry.getMetricsAsJSON() as MetricObjectWithValues<MetricValue<string>>[];
    return metrics.map((m) => ({
      name: m.name, type: String(m.type), help: m.help,
      values: m.values.map((v) => ({ labels: { ...v.labels }, value: v.value, ...('metricName' in v && typeof v.metricName === 'string' ? { name: v.metricName } : {}) })),
    }));
  }

  private datasetLabel(dataset: string): string {
    if (this.datasets.has(dataset)) return dataset;
    if (this.datasets.size >= MAX_DATASET_LABELS) return '_other';
    this.datasets.add(dataset);
    return dataset;
  }
}

export interface MetricJson {
  name: string;
  type: string;
  help: string;
  /** `name` is set on a histogram's series (`…_bucket`, `…_sum`, `…_count`). */
  values: { labels: Record<string, string | number | undefined>; value: number; name?: string }[];
}
