import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mulberry32 } from '../../helpers/random.js';

/**
 * Files of one dataset as a daily export would give them: ids unique across files, a status from
 * a small fixed set, an amount around 50 (never negative), a note NULL in about one row in ten.
 * Each file has other rows, so the ledger never takes one for a reload.
 */
export const STATUSES = ['ok', 'late', 'lost', 'held'] as const;

let nextId = 1;

export function seriesRows(count: number, seed: number): string[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const id = nextId++;
    const status = STATUSES[Math.floor(random() * STATUSES.length)];
    const amount = (20 + random() * 60).toFixed(2);
    const note = random() < 0.1 ? '' : `n${Math.floor(random() * 50)}`;
    return `${id},${status},${amount},${note}`;
  });
}

export const SERIES_HEADER = 'id,status,amount,note';

/** Writes a file of `count` rows (and any extra lines as they are) and returns its path. */
export async function writeSeriesFile(dir: string, name: string, count: number, seed: number, extra: string[] = []): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${SERIES_HEADER}\n${[...seriesRows(count, seed), ...extra].join('\n')}\n`);
  return path;
}

/** Ten row counts within 1000 ± 3 %. */
export const NORMAL_COUNTS = [1000, 982, 1017, 995, 1024, 971, 1008, 990, 1029, 976];
