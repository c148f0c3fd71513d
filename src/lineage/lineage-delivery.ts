import { ExponentialBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel';
import { request } from 'undici';
import type { RunEvent } from './run-event.js';

/**
 * Sends run events to an OpenLineage endpoint (`POST <url>/api/v1/lineage`) without ever holding
 * up a load: `enqueue` only appends to a bounded queue (full: the event is dropped and counted),
 * and one sender posts them in order (a START before its COMPLETE), each retried with exponential
 * backoff and jitter on a network error, a timeout, 408, 429 or 5xx. Other 4xx answers are not
 * retried: the endpoint refused the event as it is. `close` gives the queue a time limit to empty,
 * then aborts what is in flight and counts the rest as dropped.
 */

export interface DeliveryOptions {
  /** OPENLINEAGE_URL: the endpoint's base URL (`http://marquez:5000`). */
  url: string;
  /** Sent as `Authorization: Bearer <apiKey>` (OPENLINEAGE_API_KEY). */
  apiKey?: string;
  /** Events that may wait to be sent. Default 1,000. */
  capacity?: number;
  /** Retries after the first attempt. Default 5. */
  retries?: number;
  /** First retry delay; grows ×2 per retry with jitter, up to maxDelayMs. Defaults 250 ms, 10 s. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Per attempt: time allowed for the answer's headers and body. Default 10 s. */
  requestTimeoutMs?: number;
  log?: (line: string) => void;
  /** Called after the endpoint accepted an event. */
  onDelivered?: (event: RunEvent) => void;
}

export interface DeliveryStats {
  queued: number;
  delivered: number;
  /** Refused by the endpoint, or still failing after the retries. */
  failed: number;
  /** Not sent: the queue was full, or still waiting when close's time limit passed. */
  dropped: number;
}

/** An answer that retrying will not change. */
class RefusedEvent extends Error {}

export class LineageDelivery {
  private readonly endpoint: string;
  private readonly queue: RunEvent[] = [];
  private readonly capacity: number;
  private readonly policy: RetryPolicy;
  private readonly abort = new AbortController();
  private sending: Promise<void> | undefined;
  private closed = false;
  private readonly counts = { delivered: 0, failed: 0, dropped: 0 };

  constructor(private readonly options: DeliveryOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, '')}/api/v1/lineage`;
    this.capacity = options.capacity ?? 1000;
    this.policy = retry(handleWhen((error) => !(error instanceof RefusedEvent) && !this.abort.signal.aborted), {
      maxAttempts: options.retries ?? 5,
      backoff: new ExponentialBackoff({ initialDelay: options.initialDelayMs ?? 250, maxDelay: options.maxDelayMs ?? 10_000 }),
    }).dangerouslyUnref();
  }

  /** Queues an event; false when it was dropped (the queue is full, or delivery closed). */
  enqueue(event: RunEvent): boolean {
    if (this.closed || this.queue.length >= this.capacity) {
      this.counts.dropped++;
      return false;
    }
    this.queue.push(event);
    this.sending ??= this.send().finally(() => { this.sending = undefined; });
    return true;
  }

  stats(): DeliveryStats {
    return { queued: this.queue.length, ...this.counts };
  }

  /** Waits up to `timeoutMs` for the queue to empty, then aborts and drops what is left. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    if (this.sending !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); });
      await Promise.race([this.sending, limit]);
      clearTimeout(timer);
    }
    this.abort.abort();
    this.counts.dropped += this.queue.length;
    this.queue.length = 0;
    await this.sending;
  }

  private async send(): Promise<void> {
    for (let event = this.queue.shift(); event !== undefined && !this.abort.signal.aborted; event = this.queue.shift()) {
      try {
        await this.policy.execute(({ signal }) => this.post(event!, signal), this.abort.signal);
        this.counts.delivered++;
        this.options.onDelivered?.(event);
      } catch (error) {
        if (this.abort.signal.aborted) {
          this.counts.dropped++;
          break;
        }
        this.counts.failed++;
        this.options.log?.(`OpenLineage: ${event.eventType} of run ${event.run.runId} not delivered to ${this.endpoint}: ${(error as Error).message}`);
      }
    }
  }

  private async post(event: RunEvent, signal: AbortSignal): Promise<void> {
    const timeout = this.options.requestTimeoutMs ?? 10_000;
    const response = await request(this.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.options.apiKey === undefined ? {} : { authorization: `Bearer ${this.options.apiKey}` }) },
      body: JSON.stringify(event),
      headersTimeout: timeout,
      bodyTimeout: timeout,
      signal,
    });
    await response.body.dump();
    const status = response.statusCode;
    if (status >= 200 && status < 300) return;
    const message = `the endpoint answered ${status}`;
    if (status === 408 || status === 429 || status >= 500) throw new Error(message);
    throw new RefusedEvent(message);
  }
}
