import { EventEmitter } from 'node:events';
import type { QualityAlert } from '../stages/history/quality-alerts.js';
import type { FileSummary, MetricAnomaly } from '../summary.js';

/**
 * What happens in a pipeline, as events: the one vocabulary the API's Server-Sent Events, the
 * Redis channel, the metrics, the lineage writer and an embedding service all read. Names are
 * `<subject>.<verb>`; payloads are plain JSON (no class instances), so an event can be sent as it is.
 */
export interface PipelineEventMap {
  /** A file was seen (by the watcher, an upload, a CLI argument) and queued for loading. */
  'file.discovered': { path: string; source: 'watch' | 'upload' | 'cli' | 'api' };
  /**
   * A load began: `runId` (a UUID v7) names this attempt (OpenLineage's run id) in every later
   * event of it; `dataset` is where it is expected to go (the one asked for, the configuration's
   * match, else the file's stem), null when no name can be made of the path.
   */
  'file.started': { runId: string; path: string; dataset: string | null };
  /** A chunk's rows and rejects committed in one transaction. */
  'chunk.committed': { path: string; chunkNo: number; rows: number; rejected: number; bytes: number; ms: number };
  /** A load ended; one event per dataset (a workbook's sheets each give one). */
  'file.loaded': { runId: string; path: string; summary: FileSummary };
  'file.skipped': { runId: string; path: string; summary: FileSummary };
  'file.failed': { runId: string; path: string; summary: FileSummary };
  /**
   * A run ended, after its file.* events (one, or one per workbook sheet): OpenLineage's COMPLETE
   * or FAIL. `error` when the load threw before any summary (the database went away, …).
   */
  'run.finished': { runId: string; path: string; error: { code: string; message: string } | null };
  /** A loaded file's metric departed from its dataset's history (summary.history.anomalies; kind metric in ingest.anomalies). */
  'metric.anomaly': { runId: string; path: string; dataset: string | null; anomaly: MetricAnomaly };
  /** A loaded file crossed an alert threshold of its dataset: the alert in its versioned format (README, "Alerts"). */
  'quality.alert': QualityAlert;
  /** A circuit breaker around a dependency changed state. */
  'breaker.changed': { name: string; state: 'closed' | 'open' | 'half-open' | 'isolated' };
}

export type PipelineEventType = keyof PipelineEventMap;

/** A circuit breaker's state, as `breaker.changed` reports it and status, health and metrics show it. */
export type BreakerState = PipelineEventMap['breaker.changed']['state'];

export interface BreakerStatus {
  name: string;
  state: BreakerState;
}

/** The breakers to show: a list kept up to date by their owner, or a function that reads them now. */
export type BreakerSource = readonly BreakerStatus[] | (() => readonly BreakerStatus[]);

export function readBreakers(source: BreakerSource | undefined): readonly BreakerStatus[] {
  if (source === undefined) return [];
  return typeof source === 'function' ? source() : source;
}

/** One event as it is delivered: its type, when (ISO 8601) and its payload. */
export type PipelineEvent = { [K in PipelineEventType]: { type: K; time: string; data: PipelineEventMap[K] } }[PipelineEventType];

/**
 * An in-process bus. `emit` never throws: a listener that fails is logged by the bus's owner
 * (`onListenerError`) and the pipeline goes on.
 */
export class PipelineEvents {
  private readonly emitter = new EventEmitter();

  constructor(private readonly onListenerError: (error: unknown) => void = () => undefined) {
    // Many subscribers (SSE clients, metrics, Redis, lineage) are normal.
    this.emitter.setMaxListeners(0);
  }

  emit<K extends PipelineEventType>(type: K, data: PipelineEventMap[K]): void {
    const event = { type, time: new Date().toISOString(), data } as PipelineEvent;
    for (const listener of this.emitter.listeners('event') as ((event: PipelineEvent) => void)[]) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  /** Calls `listener` for every event; returns the function that unsubscribes it. */
  /** Listeners subscribed now (SSE clients among them). */
  get subscribers(): number {
    return this.emitter.listenerCount('event');
  }

  subscribe(listener: (event: PipelineEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
