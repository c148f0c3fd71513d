import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Piscina } from 'piscina';
import { detectFormat } from '../detect-format.js';
import type { CsvFileSniff } from './sniff-encoded.js';
import { sniffFile } from './sniff-file.js';
import type { SniffOverrides } from './sniffer.js';

/**
 * A sniff started before the load asks for it. `sluice load file.csv` spends its first ~300 ms
 * importing its modules on the main thread while the worker, started first (worker-pool.ts), has
 * nothing to do; a cold sniff then takes the worker another 100–160 ms before the first chunk can
 * be planned. Started here, as soon as the pool is, the sniff runs while the main thread imports,
 * and the load takes its result instead of sniffing again.
 *
 * Only with no overrides and no chosen encoding (the load's own request decides: a request with
 * any, from flags or configuration, sniffs as before), only for a CSV file, and only while the file
 * is the one sniffed (same size and modification time). A sniff is pure — the same bytes and options
 * give the same result — so taking it is the same as sniffing again; the one left untaken costs
 * a worker's 100–160 ms, once per process.
 */

interface Ahead {
  outcome: Promise<{ ok: true; sniff: CsvFileSniff; size: number; mtimeMs: number } | { ok: false }>;
}

const started = new Map<string, Ahead>();

/**
 * Starts sniffing `path` with the default options when it is a local CSV file; any failure here
 * (not a file, another format, unreadable, a pool that is gone) leaves it to the load. The promise
 * settles when the sniff has (nothing needs to wait for it).
 */
export function sniffAhead(piscina: Piscina, path: string): Promise<void> {
  const absolute = resolve(path);
  const running = started.get(absolute);
  if (running !== undefined) return running.outcome.then(() => undefined);
  const outcome = (async () => {
    const found = await stat(absolute);
    if (!found.isFile() || found.size === 0 || await detectFormat(absolute) !== 'csv') return { ok: false } as const;
    const sniff = await sniffFile(piscina, absolute, found.size, {}, undefined);
    return { ok: true, sniff, size: found.size, mtimeMs: found.mtimeMs } as const;
  })().catch(() => ({ ok: false }) as const);
  started.set(absolute, { outcome });
  return outcome.then(() => undefined);
}

function isDefault(overrides: SniffOverrides, encoding: string | undefined): boolean {
  return encoding === undefined && Object.values(overrides).every((value) => value === undefined);
}

/**
 * The sniff started ahead for this file, when it was started with the options asked for and the
 * file is still the one it read; it is handed out once. Undefined: sniff it now.
 */
export async function takeSniffAhead(path: string, size: number, overrides: SniffOverrides, encoding: string | undefined): Promise<CsvFileSniff | undefined> {
  const absolute = resolve(path);
  const entry = started.get(absolute);
  if (entry === undefined || !isDefault(overrides, encoding)) return undefined;
  started.delete(absolute);
  const result = await entry.outcome;
  if (!result.ok || result.size !== size) return undefined;
  const now = await stat(absolute).catch(() => null);
  return now !== null && now.size === result.size && now.mtimeMs === result.mtimeMs ? result.sniff : undefined;
}
