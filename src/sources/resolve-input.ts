import { mkdir, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ResolvedOptions } from '../config.js';
import { type PlainError, SluiceError } from '../errors.js';
import { unreadableFormat } from '../formats/unreadable-format.js';
import { gunzipFile, gunzippedName, hasGzipMagic, isGzipName } from './gunzip-file.js';
import { displayUrl, downloadFile, isRemoteInput, remoteFileName } from './remote-file.js';
import { openSpoolEntry, type SpooledFile } from './spool.js';

/**
 * Turns what a user names — a path, a .gz, an http(s) URL, or a URL of a .gz — into a local,
 * uncompressed, complete file the loader can plan chunks over:
 *
 *   URL ──download (undici, retries, size limit)──▶ spool ─┐
 *   path ──────────────────────────────────────────────────┼─ gzip (.gz or 1f 8b)? ──gunzip (size limit)──▶ spool ──▶ load
 *                                                           └─ otherwise ────────────────────────────────────────────▶ load
 *
 * A plain local file is loaded where it is. Whatever was spooled is removed by `cleanup()`, which
 * the loader calls when the load ends — loaded or failed: a rerun downloads again anyway (the
 * ledger knows files by content, not by URL), so a kept copy would only fill the disk.
 */

export interface ResolvedInput {
  /** The file to load: the input itself, or its spooled (downloaded, decompressed) copy. */
  localPath: string;
  /** Where the bytes came from, for the ledger: the URL (without a password), or the absolute path given (the .gz for a compressed file). */
  source: string;
  /** The input as the user gave it (a URL without its password), for messages: never a spool path. */
  label: string;
  compression: 'gzip' | null;
  /** sha256 of `localPath`, when it was computed while spooling (the loader then need not read the file again). */
  sha256?: string;
  /** Removes what was spooled for this input. */
  cleanup(): Promise<void>;
}

export interface ResolveOptions {
  /** `<home>/spool`. */
  spoolDir: string;
  /** Largest file spooled: a download, or a decompressed .gz. */
  maxBytes: number;
  timeoutMs: number;
  attempts: number;
  backoffMs: number;
  log: (line: string) => void;
}

/** The engine's options as resolution needs them: the spool under `home`, the download limits. */
export function resolveOptionsFrom(options: ResolvedOptions): ResolveOptions {
  return {
    spoolDir: join(options.home, 'spool'), maxBytes: options.maxDownloadBytes, timeoutMs: options.downloadTimeoutMs,
    attempts: options.downloadAttempts, backoffMs: options.downloadBackoffMs, log: options.log,
  };
}

const nothingToClean = (): Promise<void> => Promise.resolve();

/** The URL an http(s) input names; undefined for a path. */
function remoteUrl(input: string): URL | undefined {
  if (!isRemoteInput(input)) return undefined;
  try {
    return new URL(input);
  } catch (error) {
    throw new SluiceError('SLUICE_ERR_SOURCE_URL', `not a valid URL: ${displayUrl(input)}`, { cause: error });
  }
}

/** The input as messages name it: as typed, a URL without its password. */
export function inputLabel(input: string): string {
  return isRemoteInput(input) ? displayUrl(input) : input;
}

/**
 * A failure in the user's terms: where its message names the local file — a spooled download or
 * decompressed copy, a sheet's CSV, the absolute form of a relative path (file-system errors
 * quote the path they were given) — it names the input as the user gave it.
 */
export function inUserTerms(error: PlainError, input: Pick<ResolvedInput, 'localPath' | 'label'>): PlainError {
  const { localPath, label } = input;
  if (localPath === label || !error.message.includes(localPath)) return error;
  // The label itself may hold the local path (`../../tmp/x.csv` holds `/tmp/x.csv`): keep it whole.
  const message = error.message.split(label).map((part) => part.split(localPath).join(label)).join(label);
  return { ...error, message };
}

export async function resolveInput(input: string, options: ResolveOptions): Promise<ResolvedInput> {
  const url = remoteUrl(input);
  const local = url === undefined ? resolve(input) : undefined;
  const label = inputLabel(input);
  if (local !== undefined && !isGzipName(local) && !(await hasGzipMagic(local))) {
    return { localPath: local, source: local, label, compression: null, cleanup: nothingToClean };
  }

  const source = local ?? displayUrl(input);
  const entry = await openSpoolEntry(options.spoolDir);
  try {
    let name: string;
    let path: string;
    let spooled: SpooledFile | undefined;
    if (url === undefined) {
      name = basename(local!);
      path = local!;
    } else {
      name = remoteFileName(url);
      // A name that says zstd, xz, … fails before a download that could only fail after it.
      const refused = unreadableFormat(new Uint8Array(0), name);
      if (refused !== null) throw refused;
      spooled = await downloadFile(input, join(entry.dir, name), options);
      path = spooled.path;
    }
    let compression: ResolvedInput['compression'] = null;
    if (isGzipName(name) || await hasGzipMagic(path)) {
      // A directory of its own: the inner name may equal the outer one (gzip bytes without .gz).
      const innerDir = join(entry.dir, 'gunzip');
      await mkdir(innerDir);
      spooled = await gunzipFile(path, join(innerDir, gunzippedName(name)), options.maxBytes, label);
      // The downloaded .gz is not needed any more; free its space before the load.
      if (local === undefined) await rm(path, { force: true });
      compression = 'gzip';
    }
    return { localPath: spooled!.path, source, label, compression, sha256: spooled!.sha256, cleanup: entry.remove };
  } catch (error) {
    await entry.remove();
    throw error;
  }
}
