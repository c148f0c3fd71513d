import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';

/**
 * The pool's entry file: a CommonJS shim (see workers/pool-entry.cts for why) in front of
 * workers/chunk-worker.js. A path, not a file: URL: piscina tries require() first, which takes
 * paths only, and the shim relies on being required: the handler named `ready`, which piscina
 * looks up and awaits at thread start, is a promise of its modules (see the shim). Every task
 * names its own handler.
 */
const POOL_ENTRY = fileURLToPath(new URL('../workers/pool-entry.cjs', import.meta.url));

function newPool(threads: number): Piscina {
  return new Piscina({ filename: POOL_ENTRY, name: 'ready', minThreads: threads, maxThreads: threads, idleTimeout: 30_000 });
}

/** A pool started before anything asked for one (prestartWorkerPool), until createWorkerPool takes it. */
let prestarted: Piscina | undefined;

/**
 * Starts the pool ahead of time: a worker thread spends ~180 ms loading its modules, and started
 * before the process loads its own (the CLI's commands, ~300 ms), the two overlap instead of the
 * first sniff waiting for both. The next createWorkerPool takes it; discardPrestartedPool stops
 * it when nothing did.
 */
export function prestartWorkerPool(threads: number): Piscina {
  prestarted ??= newPool(threads);
  return prestarted;
}

/** Stops a prestarted pool nothing took (a command that refused its arguments, one that needs no pool): its threads are released rather than left idle until exit. */
export async function discardPrestartedPool(): Promise<void> {
  const unused = prestarted;
  prestarted = undefined;
  await unused?.destroy();
}

/** The worker pool that sniffs and encodes: a fixed number of threads, started at once (or earlier, by prestartWorkerPool). */
export function createWorkerPool(threads: number): Piscina {
  const early = prestarted;
  prestarted = undefined;
  if (early !== undefined && early.options.maxThreads === threads) return early;
  void early?.destroy();
  return newPool(threads);
}
