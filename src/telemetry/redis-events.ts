import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import type { CircularBuffer as CircularBufferClass } from 'mnemonist';
import type { PipelineEvent, PipelineEvents } from '../events/pipeline-events.js';
import type { DependencyGuard } from '../resilience/dependency-guard.js';

const CircularBuffer = createRequire(import.meta.url)('mnemonist/circular-buffer.js') as typeof CircularBufferClass;

/**
 * Publishes pipeline events on a Redis pub/sub channel (`sluice:events`, one JSON event per
 * message) behind the Redis circuit breaker, and each quality alert also on its own channel
 * (`sluice:alerts`, the alert alone in its versioned format: README, "Alerts"). Redis is never
 * waited for: while it is down the messages wait in a bounded backlog (the newest `backlog` of
 * them; older ones are dropped and counted), loading goes on, and the backlog goes out in order
 * once Redis answers again.
 */
export interface RedisEventsOptions {
  url: string;
  channel?: string;
  /** Channel of quality alerts. Default `sluice:alerts`. */
  alertChannel?: string;
  /** Events kept while Redis is down. Default: 1,000. */
  backlog?: number;
  log?: (line: string) => void;
}

/** A message waiting to be published: its channel and text. */
interface Pending {
  channel: string;
  message: string;
}

export class RedisEventPublisher {
  readonly channel: string;
  readonly alertChannel: string;
  private readonly redis: Redis;
  private readonly pending: CircularBufferClass<Pending>;
  private readonly unsubscribe: () => void;
  private flushing = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Events published, and events dropped from a full backlog. */
  published = 0;
  dropped = 0;

  constructor(events: PipelineEvents, private readonly guard: DependencyGuard, options: RedisEventsOptions) {
    this.channel = options.channel ?? 'sluice:events';
    this.alertChannel = options.alertChannel ?? 'sluice:alerts';
    const log = options.log ?? (() => undefined);
    this.pending = new CircularBuffer<Pending>(Array, options.backlog ?? 1_000);
    this.redis = new Redis(options.url, {
      // Fail a command at once while disconnected (the backlog holds it), and keep reconnecting.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(2_000, 100 * 2 ** Math.min(times, 5)),
      lazyConnect: false,
    });
    // ioredis emits 'error' on every failed reconnect: unheard, the first would crash the process.
    let reported = false;
    this.redis.on('error', (error: Error) => {
      if (!reported) log(`redis: ${error.message}`);
      reported = true;
    });
    this.redis.on('ready', () => {
      reported = false;
      void this.flush();
    });
    this.unsubscribe = events.subscribe((event) => this.enqueue(event));
  }

  /** `up`, or `degraded` while Redis is unreachable or events wait to be published. */
  get state(): 'up' | 'degraded' {
    return this.redis.status === 'ready' && this.guard.state === 'closed' && this.pending.size === 0 ? 'up' : 'degraded';
  }

  private enqueue(event: PipelineEvent): void {
    if (this.closed) return;
    this.push({ channel: this.channel, message: JSON.stringify(event) });
    if (event.type === 'quality.alert') this.push({ channel: this.alertChannel, message: JSON.stringify(event.data) });
    void this.flush();
  }

  private push(item: Pending): void {
    if (this.pending.size === this.pending.capacity) this.dropped++;
    this.pending.push(item);
  }

  /** Sends the backlog in order; stops at the first failure and tries again a little later. */
  private async flush(): Promise<void> {
    if (this.flushing || this.closed) return;
    this.flushing = true;
    try {
      for (let next = this.pending.peekFirst(); next !== undefined; next = this.pending.peekFirst()) {
        const { channel, message } = next;
        await this.guard.tryOnce(() => this.redis.publish(channel, message));
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

  /** Stops listening; what is pending goes out if Redis answers within a moment. */
  async close(): Promise<void> {
    this.unsubscribe();
    await Promise.race([this.flush(), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.redis.disconnect();
  }
}
