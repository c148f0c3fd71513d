import type { EngineStatus } from '../engine.js';
import type { BreakerSource, PipelineEvent, PipelineEvents } from '../events/pipeline-events.js';
import { SluiceMetrics } from './metrics.js';
import { RedisTelemetry } from './redis-telemetry.js';
import { type RealtimeCounter, SecondBuckets } from './second-buckets.js';

/**
 * Telemetry for one engine: its pipeline events feed the metrics registry, the per-second counters
 * in process and, with a Redis URL, the same counters in Redis plus every event on its channel.
 *
 *   engine.events ──▶ SluiceMetrics (prom-client registry)      /api/metrics
 *                 ├─▶ SecondBuckets (in process, always)         /api/status, throughput gauges
 *                 └─▶ RedisTelemetry (INCRBY/EXPIRE + PUBLISH)   other services
 */

export interface TelemetryOptions {
  events: PipelineEvents;
  /** The engine's state, read by the gauges at each scrape. */
  engine?: () => EngineStatus;
  breakers?: BreakerSource;
  /** Mirror counters and events to this Redis (REDIS_URL); none: in process only. */
  redisUrl?: string;
  /** Redis key and channel prefix (default `sluice:`). */
  redisPrefix?: string;
  /** Publish the events on Redis too (default true): false when the engine already does (Engine.redisEvents). */
  publishEvents?: boolean;
  log?: (line: string) => void;
}

export interface Telemetry {
  readonly metrics: SluiceMetrics;
  readonly realtime: SecondBuckets;
  readonly redis: RedisTelemetry | null;
  /** Stops listening to the engine and closes the Redis connection. */
  close(): Promise<void>;
}

/** What an event adds to the real-time counters. */
export function realtimeCounts(event: PipelineEvent): Partial<Record<RealtimeCounter, number>> {
  switch (event.type) {
    case 'chunk.committed': return { rows: event.data.rows, bytes: event.data.bytes, rejected: event.data.rejected, chunks: 1 };
    case 'file.loaded': case 'file.skipped': case 'file.failed': return { files: 1 };
    default: return {};
  }
}

export function startTelemetry(options: TelemetryOptions): Telemetry {
  const realtime = new SecondBuckets();
  const redis = options.redisUrl === undefined ? null : new RedisTelemetry({ url: options.redisUrl, prefix: options.redisPrefix, publishEvents: options.publishEvents, log: options.log });
  const metrics = new SluiceMetrics({
    engine: options.engine, breakers: options.breakers, realtime, redisConnected: redis === null ? undefined : () => redis.connected,
  });
  const unsubscribe = options.events.subscribe((event) => {
    metrics.record(event);
    const counts = realtimeCounts(event);
    const now = Date.now();
    for (const [counter, amount] of Object.entries(counts) as [RealtimeCounter, number][]) realtime.add(counter, amount, now);
    redis?.record(event, counts, now);
  });
  return {
    metrics, realtime, redis,
    async close() {
      unsubscribe();
      await redis?.close();
    },
  };
}
