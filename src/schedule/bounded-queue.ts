import { createRequire } from 'node:module';
import type { FixedDeque as FixedDequeClass } from 'mnemonist';

const FixedDeque = createRequire(import.meta.url)('mnemonist/fixed-deque.js') as typeof FixedDequeClass;

/**
 * The queue between the worker pool and the COPY writers. Bounded by construction (a FixedDeque
 * of fixed capacity): `push` returns false when full, as a stream's write does, and producers are
 * expected to hold back — in Sluice they are held back earlier, by the slot ring, so a push into a
 * full queue is a bug and throws. Consumers `take()` and wait without polling.
 */
export class BoundedQueue<T> {
  private readonly items: FixedDequeClass<T>;
  private readonly takers: ((item: T | undefined) => void)[] = [];
  private closed = false;

  constructor(readonly capacity: number) {
    this.items = new FixedDeque<T>(Array, capacity);
  }

  get size(): number {
    return this.items.size;
  }

  /** Hands the item to a waiting consumer or queues it; false when the queue is full. */
  push(item: T): boolean {
    if (this.closed) throw new Error('push on a closed queue');
    const taker = this.takers.shift();
    if (taker !== undefined) {
      taker(item);
      return true;
    }
    if (this.items.size >= this.capacity) return false;
    this.items.push(item);
    return true;
  }

  /** The next item; `undefined` once the queue is closed and empty. */
  take(): Promise<T | undefined> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.takers.push(resolve));
  }

  /** No more items will come: waiting consumers get `undefined` once the queue is empty. */
  close(): void {
    this.closed = true;
    for (const taker of this.takers.splice(0)) taker(undefined);
  }
}
