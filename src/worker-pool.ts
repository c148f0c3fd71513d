import { Piscina } from 'piscina';

/** The pool's entry file: a CommonJS shim (see workers/pool-entry.cts for why) in front of workers/chunk-worker.js. */
const POOL_ENTRY = new URL('../workers/pool-entry.cjs', import.meta.url);

/** The worker pool that sniffs and encodes: a fixed number of threads, started at once. */
export function createWorkerPool(threads: number): Piscina {
  return new Piscina({ filename: POOL_ENTRY.href, minThreads: threads, maxThreads: threads, idleTimeout: 30_000 });
}
