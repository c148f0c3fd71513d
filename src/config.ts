import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { ConfigInput } from './configuration/config-schema.js';
import { SluiceError } from './errors.js';
import type { LineageOptions } from './lineage/attach-lineage.js';
import type { CopyFormat } from './stages/chunk-stages.js';

/** Everything an engine can be told. Every field has a default that suits the host. */
export interface EngineOptions {
  /** PostgreSQL to load into. Default: `DATABASE_URL`; without it, an embedded server Sluice starts itself. */
  databaseUrl?: string;
  /** Where Sluice keeps local state (the embedded database). Default: `SLUICE_HOME` or `./.sluice`. */
  home?: string;
  /**
   * Worker threads that parse and encode chunks. Default: one fewer than the CPUs (at least one):
   * the main thread plans and feeds the writers, and PostgreSQL needs cores for COPY.
   */
  workers?: number;
  /** Concurrent COPY connections. Default: 2 (throughput falls past a few concurrent COPYs). */
  writers?: number;
  /** Bytes per chunk (each chunk is one COPY and one transaction). Default: 4 MiB. */
  chunkSize?: number;
  /** Encoded chunks that may wait for a writer. Default: 2 × writers. */
  queueBound?: number;
  /**
   * A row that does not end within this many bytes: a single over-long line is rejected
   * (LINE_TOO_LONG) and loading goes on at the next line; a quoted field still open after this
   * many bytes (an unclosed quote) fails the file. Raised to `chunkSize` when smaller, so that a
   * long line is judged the same wherever it falls in the file. Default: 64 MiB.
   */
  maxRowBytes?: number;
  /** Largest file Sluice spools: a download, or the decompressed content of a .gz. Default: 10 GiB. */
  maxDownloadBytes?: number;
  /** Downloads: connect, headers and body idle timeout, each. Default: 30 s. */
  downloadTimeoutMs?: number;
  /** Downloads: attempts in all, retries included (transient failures, 5xx, 429). Default: 5. */
  downloadAttempts?: number;
  /** Downloads: the first retry's delay; it doubles per retry (up to 30 s), with jitter. Default: 500 ms. */
  downloadBackoffMs?: number;
  /** Rows with invalid UTF-8: rejected (default) or loaded with U+FFFD replacements. */
  invalidUtf8?: 'reject' | 'replace';
  /**
   * How workers hand rows to PostgreSQL: `binary` COPY (values parsed once, in the workers) or
   * `csv` COPY (PostgreSQL parses the text again). Default: binary, measured faster end to end
   * (bench/copy-format-vs-psql-copy.ts). A table with a column binary COPY
   * cannot write (a type Sluice does not create, such as smallint or json) loads by csv.
   */
  copyFormat?: CopyFormat;
  /**
   * How long a load waits for PostgreSQL to come back (a restart, a failover, killed connections)
   * before the file fails with SLUICE_ERR_DATABASE_UNAVAILABLE. Loading pauses meanwhile and
   * resumes where it stopped. Default: 60 s.
   */
  dbOutageTimeoutMs?: number;
  /** Redis for pipeline events (pub/sub channel `sluice:events`) and quality alerts (`sluice:alerts`). Default: `REDIS_URL`; none: both stay in process. */
  redisUrl?: string;
  /** Diagnostic lines (embedded database start, retries). Default: silent. */
  log?: (line: string) => void;
  /**
   * The configuration file (datasets: match globs, columns, transforms, rules, …): its path, or its
   * content already parsed. Default: the file `SLUICE_CONFIG` names, else ./sluice.yaml, ./sluice.yml
   * or ./sluice.json when present, else none.
   */
  config?: string | ConfigInput;
  /** OpenLineage: `url` (default OPENLINEAGE_URL) to also send run events to, `apiKey` (OPENLINEAGE_API_KEY), delivery limits. */
  openLineage?: LineageOptions;
}

export interface ResolvedOptions {
  databaseUrl: string | undefined;
  home: string;
  workers: number;
  writers: number;
  chunkSize: number;
  queueBound: number;
  maxRowBytes: number;
  maxDownloadBytes: number;
  downloadTimeoutMs: number;
  downloadAttempts: number;
  downloadBackoffMs: number;
  invalidUtf8: 'reject' | 'replace';
  copyFormat: CopyFormat;
  dbOutageTimeoutMs: number;
  redisUrl: string | undefined;
  log: (line: string) => void;
}

function positiveInteger(name: string, value: number | undefined, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `option ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

export function resolveOptions(options: EngineOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  const workers = positiveInteger('workers', options.workers, Math.max(1, availableParallelism() - 1), 1, 256);
  const writers = positiveInteger('writers', options.writers, 2, 1, 64);
  const chunkSize = positiveInteger('chunkSize', options.chunkSize, 4 * 1024 * 1024, 64, 512 * 1024 * 1024);
  const queueBound = positiveInteger('queueBound', options.queueBound, 2 * writers, 1, 1024);
  // A row is judged over-long only where no chunk read holds its end; with chunks larger than
  // maxRowBytes, the same line would load inside a chunk and be rejected at a chunk's start.
  const maxRowBytes = Math.max(chunkSize, positiveInteger('maxRowBytes', options.maxRowBytes, 64 * 1024 * 1024, 1024, 1024 * 1024 * 1024));
  const maxDownloadBytes = positiveInteger('maxDownloadBytes', options.maxDownloadBytes, 10 * 1024 ** 3);
  const downloadTimeoutMs = positiveInteger('downloadTimeoutMs', options.downloadTimeoutMs, 30_000, 1, 3_600_000);
  const downloadAttempts = positiveInteger('downloadAttempts', options.downloadAttempts, 5, 1, 100);
  const downloadBackoffMs = positiveInteger('downloadBackoffMs', options.downloadBackoffMs, 500, 1, 60_000);
  const invalidUtf8 = options.invalidUtf8 ?? 'reject';
  if (invalidUtf8 !== 'reject' && invalidUtf8 !== 'replace') {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `option invalidUtf8 must be 'reject' or 'replace', got ${String(invalidUtf8)}`);
  }
  const copyFormat = options.copyFormat ?? 'binary';
  if (copyFormat !== 'csv' && copyFormat !== 'binary') {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `option copyFormat must be 'csv' or 'binary', got ${String(copyFormat)}`);
  }
  const dbOutageTimeoutMs = positiveInteger('dbOutageTimeoutMs', options.dbOutageTimeoutMs, 60_000, 0, 24 * 3_600_000);
  const databaseUrl = options.databaseUrl ?? (env.DATABASE_URL || undefined);
  return {
    databaseUrl,
    home: resolve(options.home ?? env.SLUICE_HOME ?? '.sluice'),
    workers, writers, chunkSize, queueBound, maxRowBytes, invalidUtf8, copyFormat, dbOutageTimeoutMs,
    redisUrl: options.redisUrl ?? (env.REDIS_URL || undefined),
    maxDownloadBytes, downloadTimeoutMs, downloadAttempts, downloadBackoffMs,
    log: options.log ?? (() => undefined),
  };
}
