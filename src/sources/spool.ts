import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SluiceError } from '../errors.js';

/**
 * The spool (`<home>/spool`): where inputs that are not plain local files — downloads, the
 * decompressed content of a .gz — are written before they load like any other file.
 *
 * Each input gets a directory of its own, `<host>-<pid>-<random>/`, holding the file under its
 * original name (format detection and the dataset name come from it). A file is written as
 * `<name>.part` and renamed into place only when complete, so nothing half-written is ever loaded;
 * the directory is removed when the load ends. A process killed part way leaves its directory
 * behind: the next process on the same host removes directories whose process is gone.
 */

export interface SpoolEntry {
  dir: string;
  /** Removes the directory and everything in it. */
  remove(): Promise<void>;
}

export interface SpooledFile {
  path: string;
  bytes: number;
  /** sha256 of the bytes written, computed while writing (saves a second read of the file). */
  sha256: string;
}

const ENTRY = /^(.+)-(\d+)-[0-9a-f]+$/;
const swept = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the spool directories of processes on this host that no longer run. */
export async function sweepSpool(spoolDir: string): Promise<string[]> {
  const host = hostname();
  const removed: string[] = [];
  const entries = await readdir(spoolDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const match = ENTRY.exec(entry.name);
    if (!entry.isDirectory() || match === null || match[1] !== host) continue;
    const pid = Number(match[2]);
    if (pid === process.pid || processAlive(pid)) continue;
    await rm(join(spoolDir, entry.name), { recursive: true, force: true });
    removed.push(entry.name);
  }
  return removed;
}

export async function openSpoolEntry(spoolDir: string): Promise<SpoolEntry> {
  await mkdir(spoolDir, { recursive: true });
  if (!swept.has(spoolDir)) {
    swept.add(spoolDir);
    await sweepSpool(spoolDir);
  }
  const dir = join(spoolDir, `${hostname()}-${process.pid}-${randomBytes(6).toString('hex')}`);
  await mkdir(dir);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A name that is safe as one path segment, whatever a URL or a header said. */
export function spoolFileName(name: string, fallback = 'download'): string {
  const cleaned = name.replace(/[/\\\0]/g, '_').replace(/^\.+$/, '');
  const bounded = Buffer.byteLength(cleaned) > 200 ? Buffer.from(cleaned).subarray(0, 200).toString('utf8').replace(/\uFFFD+$/, '') : cleaned;
  return bounded === '' ? fallback : bounded;
}

/** Counts and hashes what passes, and fails once more than `maxBytes` have passed. */
class Meter extends Transform {
  bytes = 0;
  readonly hash = createHash('sha256');

  constructor(private readonly maxBytes: number, private readonly tooLarge: () => SluiceError) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(this.tooLarge());
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
}

/**
 * Streams `stages` (a source, then transforms) into `path` through `path.part`, counting, hashing
 * and enforcing `maxBytes` as it goes: an oversized input fails after at most `maxBytes` plus one
 * stream buffer were written, and the partial file is removed. Backpressure runs end to end, so
 * memory stays flat.
 */
export async function spoolStream(stages: NodeJS.ReadableStream[], path: string, maxBytes: number, tooLarge: () => SluiceError): Promise<SpooledFile> {
  const part = `${path}.part`;
  const meter = new Meter(maxBytes, tooLarge);
  try {
    await pipeline([...stages, meter, createWriteStream(part)]);
  } catch (error) {
    await rm(part, { force: true });
    throw error;
  }
  await rename(part, path);
  return { path, bytes: meter.bytes, sha256: meter.hash.digest('hex') };
}
