import { Redis } from 'ioredis';
import { redact } from '../database/database.js';
import type { PipelineEvent } from '../events/pipeline-events.js';
import type { RealtimeCounter } from './second-buckets.js';

/**
 * Real-time counters and pipeline events in Redis, for dashboards and other services:
 *
 *   <prefix>rt:<counter>:<epoch second>   INCRBY + EXPIRE (one pipeline per event)
 *   PUBLISH <prefix>events <event JSON>   every pipeline event, as /api/events sends it
 *
 * Redis is optional and may go away at any time: this never throws and never crashes the process
 * (an 'error' listener, no offline queue — a command while disconnected fails at once instead of
 * piling up in memory — and reconnects with capped, jittered backoff). What is written while Redis
 * is down is lost from Redis only: the same counts are kept in process (second-buckets.ts).
 */

export interface RedisTelemetryOptions {
  url: string;
  /** Key and channel prefix. Default `sluice:`. */
  prefix?: string;
  /** Pub/sub channel of pipeline events. Default `<prefix>events`. */
  channel?: string;
  /** Publish the events too (default true); false when the engine publishes them itself (telemetry/redis-events.ts). */
  publishEvents?: boolean;
  /** How long a per-second bucket is kept. Default 3600 s. */
  retentionSeconds?: number;
  /** Connect timeout. Default 2000 ms. */
  connectTimeoutMs?: number;
  log?: (line: string) => void;
}

/** Reconnect delays: 200 ms doubling to 5 s, each with up to half of it taken off at random. */
function reconnectDelay(attempt: number): number {
  const ceiling = Math.min(5000, 100 * 2 ** Math.min(attempt, 6));
  return Math.round(ceiling * (0.5 + Math.random() / 2));
}

export class RedisTelemetry {
  readonly prefix: string;
  readonly channel: string;
  private readonly publishEvents: boolean;
  private readonly retentionSeconds: number;
  private readonly client: Redis;
  private readonly log: (line: string) => void;
  private down = false;
  private closed = false;
  /** Writes that did not reach Redis (it was down or refused them). */
  dropped = 0;

  constructor(options: RedisTelemetryOptions) {
    this.prefix = options.prefix ?? 'sluice:';
    this.channel = options.channel ?? `${this.prefix}events`;
    this.publishEvents = options.publishEvents ?? true;
    this.retentionSeconds = options.retentionSeconds ?? 3600;
    this.log = options.log ?? (() => undefined);
    const where = redact(options.url);
    this.client = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: options.connectTimeoutMs ?? 2000,
      retryStrategy: (attempt) => (this.closed ? null : reconnectDelay(attempt)),
      lazyConnect: false,
    });
    // One line when Redis goes away and one when it is back, not one per reconnect attempt. A
    // server that shuts down cleanly closes the connection without an error.
    const lost = (why: string): void => {
      if (this.down || this.closed) return;
      this.down = true;
      this.log(`redis at ${where} unavailable (${why}); real-time counters kept in process, retrying`);
    };
    this.client.on('error', (error: Error) => lost(error.message));
    this.client.on('close', () => lost('connection closed'));
    this.client.on('ready', () => {
      if (this.down) this.log(`redis at ${where} is back`);
      this.down = false;
    });
  }

  /** True while the connection is up and ready for commands. */
  get connected(): boolean {
    return this.client.status === 'ready';
  }

  /** ioredis's connection state: connecting, connect, ready, reconnecting, end, … */
  get state(): string {
    return this.client.status;
  }

  /** The key of a counter's bucket for an epoch second. */
  bucketKey(counter: RealtimeCounter, second: number): string {
    return `${this.prefix}rt:${counter}:${second}`;
  }

  /** Adds the event's counts to this second's buckets and publishes it, in one round trip. */
  record(event: PipelineEvent, counts: Partial<Record<RealtimeCounter, number>>, atMs = Date.now()): void {
    if (!this.connected) {
      this.dropped++;
      return;
    }
    const second = Math.floor(atMs / 1000);
    const pipeline = this.client.pipeline();
    for (const [counter, amount] of Object.entries(counts) as [RealtimeCounter, number][]) {
      if (amount === 0) continue;
      const key = this.bucketKey(counter, second);
      pipeline.incrby(key, amount);
      pipeline.expire(key, this.retentionSeconds);
    }
    if (this.publishEvents) pipeline.publish(this.channel, JSON.stringify(event));
    pipeline.exec().then((results) => {
      if (results?.some(([error]) => error !== null)) this.dropped++;
    }, () => { this.dropped++; });
  }

  /** Round-trip time of a PING, or a rejection (down, or no answer within `timeoutMs`). */
  async ping(timeoutMs: number): Promise<number> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs); });
    try {
      await Promise.race([this.client.ping(), timeout]);
      return performance.now() - started;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.connected) await this.client.quit().catch(() => undefined);
    this.client.disconnect();
  }
}
