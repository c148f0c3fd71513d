import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { SluiceError } from '../errors.js';
import { type SpooledFile, spoolStream } from './spool.js';

/**
 * Gzip inputs are decompressed into the spool before they load: the chunk planner needs random
 * access (byte ranges, read again on resume), which a gzip stream does not give. Decompression is
 * streamed (zlib, constant memory) and bounded by the same limit as a download, so a gzip bomb —
 * a few kilobytes that expand to terabytes — stops at the limit with SLUICE_ERR_SOURCE_TOO_LARGE
 * and its partial output removed.
 */

/** Whether a file starts with the gzip magic bytes 1f 8b; false when it cannot be read (the loader reports that). */
export async function hasGzipMagic(path: string): Promise<boolean> {
  let file;
  try {
    file = await open(path, 'r');
    const head = Buffer.alloc(2);
    const { bytesRead } = await file.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } catch {
    return false;
  } finally {
    await file?.close();
  }
}

export function isGzipName(name: string): boolean {
  return /\.gz$/i.test(name);
}

/** `sales.csv.gz` → `sales.csv`: the inner name keeps the inner format's extension. */
export function gunzippedName(name: string): string {
  const inner = name.replace(/\.gz$/i, '');
  return inner === '' ? 'data' : inner;
}

/** Decompresses `path` to `target`; `label` names the input in errors (the path or the URL). */
export async function gunzipFile(path: string, target: string, maxBytes: number, label: string): Promise<SpooledFile> {
  try {
    return await spoolStream([createReadStream(path), createGunzip()], target, maxBytes, () => new SluiceError('SLUICE_ERR_SOURCE_TOO_LARGE',
      `${label} decompresses to more than maxDownloadBytes (${maxBytes} bytes)`));
  } catch (error) {
    if (error instanceof SluiceError) throw error;
    const code = String((error as { code?: unknown }).code ?? '');
    if ((error as { path?: unknown }).path === path) {
      throw new SluiceError('SLUICE_ERR_FILE_NOT_FOUND', `cannot read ${label}: ${(error as Error).message}`, { cause: error });
    }
    if (code.startsWith('Z_')) {
      throw new SluiceError('SLUICE_ERR_SOURCE_GZIP', `${label} is not a valid gzip file: ${(error as Error).message}`, { cause: error });
    }
    throw new SluiceError('SLUICE_ERR_FILE_READ', `cannot decompress ${label}: ${(error as Error).message}`, { cause: error });
  }
}
