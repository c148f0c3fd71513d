import { Redis } from 'ioredis';
import type { PipelineEvents } from '../events/pipeline-events.js';

/**
 * Publishes every `quality.alert` on a Redis pub/sub channel (`sluice:alerts`), one alert per
 * message in its versioned JSON format (README, "Alerts"). Redis is never waited for and never
 * stops a load: the connection opens with the first alert (nothing to connect for on a quiet
 * engine), a publish while disconnected fails at once instead of queueing inside ioredis, alerts
 * wait in a bounded backlog (the newest `backlog`; older ones are dropped and counted) and go out
 * in order once Redis answers, and every connection error is heard (an unheard 'error' would
 * crash the process).
 */
export interface RedisAlertsOptions {
  url: string;
  channel?: string;
  /** Alerts kept while Redis is down. Default: 100. */
  backlog?: number;
  log?: (line: string) => void;
}

export class RedisAlertPublisher {
  readonly channel: string;
  private readonly redis: Redis;
  private readonly backlog: number;
  private readonly pending: string[] = [];
  private readonly unsubscribe: () => void;
  private flushing = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  published = 0;
  dropped = 0;

  constructor(events: PipelineEvents, options: RedisAlertsOptions) {
    this.channel = options.channel ?? 'sluice:alerts';
    this.backlog = options.backlog ?? 100;
    const log = options.log ?? (() => undefined);
    this.redis = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(5_000, 100 * 2 ** Math.min(times, 6)),
    });
    let reported = false;
    this.redis.on('error', (error: Error) => {
      if (!reported) log(`redis alerts: ${error.message}`);
      reported = true;
    });
    this.redis.on('ready', () => {
      reported = false;
      void this.flush();
    });
    this.unsubscribe = events.subscribe((event) => {
      if (event.type === 'quality.alert') this.enqueue(JSON.stringify(event.data));
    });
  }

  private enqueue(message: string): void {
    if (this.closed) return;
    this.pending.push(message);
    if (this.pending.length > this.backlog) {
      this.pending.shift();
      this.dropped++;
    }
    if (this.redis.status === 'wait') this.redis.connect().catch(() => undefined);
    void this.flush();
  }

  /** Sends the backlog in order; stops at the first failure and tries again a little later. */
  private async flush(): Promise<void> {
    if (this.flushing || this.closed || this.redis.status !== 'ready') return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        await this.redis.publish(this.channel, this.pending[0]);
        this.pending.shift();
        this.published++;
      }
    } catch {
      this.retryTimer ??= setTimeout(() => {
        this.retryTimer = undefined;
        void this.flush();
      }, 1_000).unref();
    } finally {
      this.flushing = false;
    }
  }

  /** Alerts waiting for Redis. */
  get waiting(): number {
    return this.pending.length;
  }

  /** Stops listening; what is waiting goes out if Redis answers within a moment. */
  async close(): Promise<void> {
    this.unsubscribe();
    await Promise.race([this.flush(), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.redis.disconnect();
  }
}
