import { open } from 'node:fs/promises';
import type { Piscina } from 'piscina';
import { SluiceError, type SluiceErrorCode } from '../../errors.js';
import type { CsvFileSniff } from './sniff-encoded.js';
import type { SniffTask, SniffTaskResult } from './sniff-task.js';
import type { SniffOverrides } from './sniffer.js';

/**
 * The main-thread side of sniffing: read a sample — the head of the file, stretches spread through
 * the rest and one at its very end (or the whole rest, when short) — into shared buffers and let a
 * worker sniff it. A change of values
 * later in the file (nulls, wider numbers, text in a numeric column) is seen before the table exists.
 */

const SNIFF_HEAD_BYTES = 1024 * 1024;
const SNIFF_SPOT_BYTES = 128 * 1024;
const SNIFF_SPOTS = 4;

/**
 * Where the stretches after the head start, and how long each is: when the rest of the file is
 * short it is read whole (one stretch); else SNIFF_SPOTS spread through it and one at the very end,
 * so a value that only appears late (text in a numeric column, a wider number) is seen whatever the
 * file's size.
 */
export function spotRanges(size: number, headLength: number): { position: number; length: number }[] {
  const rest = size - headLength;
  if (rest <= 0) return [];
  if (rest <= (SNIFF_SPOTS + 1) * SNIFF_SPOT_BYTES) return [{ position: headLength, length: rest }];
  const ranges = Array.from({ length: SNIFF_SPOTS }, (_, k) => ({
    position: headLength + Math.floor(((rest - SNIFF_SPOT_BYTES) * (k + 1)) / (SNIFF_SPOTS + 1)), length: SNIFF_SPOT_BYTES,
  }));
  ranges.push({ position: size - SNIFF_SPOT_BYTES, length: SNIFF_SPOT_BYTES });
  return ranges;
}

async function readSniffSample(path: string, size: number, overrides: SniffOverrides, encoding: string | undefined): Promise<SniffTask> {
  const file = await open(path, 'r');
  try {
    const headLength = Math.min(size, SNIFF_HEAD_BYTES);
    const head = new SharedArrayBuffer(Math.max(1, headLength));
    await file.read(new Uint8Array(head), 0, headLength, 0);
    const spots: SniffTask['spots'] = [];
    for (const { position, length } of spotRanges(size, headLength)) {
      const buffer = new SharedArrayBuffer(length);
      const { bytesRead } = await file.read(new Uint8Array(buffer), 0, length, position);
      spots.push({ buffer, length: bytesRead, position, endsFile: position + bytesRead === size });
    }
    return { head, headLength, headIsWholeFile: headLength === size, spots, overrides, encoding };
  } finally {
    await file.close();
  }
}

/** `encoding`: a canonical name the user chose (`--encoding`); else the worker detects it. */
export async function sniffFile(piscina: Piscina, path: string, size: number, overrides: SniffOverrides = {}, encoding?: string): Promise<CsvFileSniff> {
  const task = await readSniffSample(path, size, overrides, encoding);
  const outcome = await piscina.run(task, { name: 'sniff' }) as SniffTaskResult;
  if (!outcome.ok) throw new SluiceError(outcome.error.code as SluiceErrorCode, outcome.error.message);
  return outcome.result;
}
