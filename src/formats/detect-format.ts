import { open } from 'node:fs/promises';
import { extname } from 'node:path';

/**
 * Which format a file is in, from its first bytes (magic numbers) and, where they cannot tell,
 * its extension — the content wins over the name.
 */
export type DetectedFormat = 'csv' | 'json' | 'ndjson' | 'xlsx' | 'gzip';

const PROBE_BYTES = 4096;

export function formatFromBytes(head: Uint8Array, path: string): DetectedFormat {
  const extension = extname(path).toLowerCase();
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'xlsx';
  if (extension === '.ndjson' || extension === '.jsonl') return 'ndjson';
  if (extension === '.json') return 'json';
  // A text file whose first non-blank character opens a JSON value.
  let i = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
  if (i < head.length && head[i] === 0x5b) return 'json';
  if (i < head.length && head[i] === 0x7b) return 'ndjson';
  return 'csv';
}

export async function detectFormat(path: string): Promise<DetectedFormat> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(PROBE_BYTES);
    const { bytesRead } = await file.read(head, 0, PROBE_BYTES, 0);
    return formatFromBytes(head.subarray(0, bytesRead), path);
  } finally {
    await file.close();
  }
}
