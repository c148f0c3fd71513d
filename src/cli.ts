#!/usr/bin/env node
/**
 * The `sluice` command. Kept small on purpose: for a command that reads files, the worker pool is
 * started here, before the commands' modules are imported, so the workers' start-up (loading their
 * own modules) overlaps this process's instead of following it (worker-pool.ts).
 */
import { resolveOptions } from './config.js';
import { discardPrestartedPool, prestartWorkerPool } from './worker-pool.js';

/** The commands that read files with the pool, and how many threads each starts it with. */
function poolThreads(command: string | undefined, args: readonly string[]): number | undefined {
  if (command === 'sniff') return 1;
  if (command !== 'load' && command !== 'watch' && command !== 'serve') return undefined;
  const at = args.findIndex((a) => a === '--workers' || a.startsWith('--workers='));
  const given = at < 0 ? undefined : Number(args[at].startsWith('--workers=') ? args[at].slice('--workers='.length) : args[at + 1]);
  try {
    return resolveOptions({ workers: given }).workers;
  } catch {
    // A bad value: the command reports it; nothing to start.
    return undefined;
  }
}

const [command, ...args] = process.argv.slice(2);
const threads = poolThreads(command, args);
if (threads !== undefined) prestartWorkerPool(threads);

// A closed pipe (`sluice load … --json | head`) is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const { main } = await import('./cli-commands.js');
process.exitCode = await main(process.argv.slice(2));
await discardPrestartedPool();
