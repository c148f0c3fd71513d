#!/usr/bin/env node
/**
 * The `sluice` command. Kept small on purpose: for a command that reads files, the worker pool is
 * started here, before the commands' modules are imported, so the workers' start-up (loading their
 * own modules) overlaps this process's instead of following it (worker-pool.ts); and the first
 * file named is sniffed at once, while those modules load (formats/csv/sniff-ahead.ts).
 */
import { resolveOptions } from './config.js';
import { sniffAhead } from './formats/csv/sniff-ahead.js';
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
if (threads !== undefined) {
  const pool = prestartWorkerPool(threads);
  // `load FILE …` / `sniff FILE …`: the file right after the command (a flag there could be one
  // that takes a value, so nothing is guessed); the load takes the sniff only if it asks for the same.
  if ((command === 'load' || command === 'sniff') && args[0] !== undefined && !args[0].startsWith('-')) void sniffAhead(pool, args[0]);
}

// A closed pipe (`sluice load … --json | head`) is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const { main } = await import('./cli-commands.js');
process.exitCode = await main(process.argv.slice(2));
await discardPrestartedPool();
