import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher, request as undiciRequest } from 'undici';
import { SluiceError } from '../errors.js';
import { backoffDelay } from '../resilience/backoff.js';
import { type SpooledFile, spoolFileName, spoolStream } from './spool.js';

/**
 * Downloads an http(s) URL into the spool with undici, so that it then loads like a local file.
 *
 * - Size: a Content-Length above `maxBytes` is refused before the body is read; a body without one
 *   (chunked) is counted as it streams and cut off once it passes `maxBytes`. Either way the
 *   connection is closed and the partial file removed: a hostile or mistaken server cannot fill
 *   the disk.
 * - Time: `timeoutMs` bounds connecting, waiting for the headers, and each silence in the body
 *   (an idle timeout, not a total one: a large file on a slow link is fine while bytes arrive).
 * - Retries: only what may pass by itself — connection refused/reset, timeouts, a body cut short,
 *   5xx, and 429 — with exponential backoff and jitter, up to `attempts` in all. A Retry-After is
 *   honoured (never retried earlier); one beyond MAX_RETRY_AFTER_MS ends the download instead of
 *   sleeping for it. Other 4xx are the request's fault and are never retried. Each attempt starts
 *   from byte 0 (no Range resume: the spool file is rewritten), and the file is renamed into place
 *   only when complete.
 */

export interface DownloadOptions {
  maxBytes: number;
  timeoutMs: number;
  attempts: number;
  backoffMs: number;
  log: (line: string) => void;
}

const MAX_BACKOFF_MS = 30_000;
const MAX_RETRY_AFTER_MS = 60_000;
const MAX_REDIRECTIONS = 5;

/** Failures of the connection or the transfer, not of the request: worth another attempt. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH',
  'UND_ERR_SOCKET', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

export function isRemoteInput(input: string): boolean {
  return /^https?:\/\//i.test(input);
}

/** The URL without a password, for messages and the ledger (a query string is kept). */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** The file name a URL names (its last path segment), for the spool and the dataset name. */
export function remoteFileName(url: URL): string {
  const segment = url.pathname.split('/').filter((s) => s !== '').at(-1) ?? '';
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // A malformed escape: keep the segment as written.
  }
  return spoolFileName(decoded);
}

/** Milliseconds a Retry-After header asks for (delay-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

type Attempt = { ok: true; file: SpooledFile } | { ok: false; error: SluiceError; retry: boolean; retryAfterMs?: number };

function tooLarge(url: string, maxBytes: number, declared?: number): SluiceError {
  const size = declared === undefined ? 'more than' : `${declared} bytes, more than`;
  return new SluiceError('SLUICE_ERR_SOURCE_TOO_LARGE', `${displayUrl(url)} is ${size} maxDownloadBytes (${maxBytes} bytes)`);
}

function transferFailure(url: string, error: unknown): Attempt {
  if (error instanceof SluiceError) return { ok: false, error, retry: false };
  const code = String((error as { code?: unknown }).code ?? '');
  const message = `GET ${displayUrl(url)}: ${(error as Error).message}${code === '' ? '' : ` (${code})`}`;
  if (TRANSIENT_CODES.has(code)) {
    return { ok: false, retry: true, error: new SluiceError(TIMEOUT_CODES.has(code) ? 'SLUICE_ERR_SOURCE_TIMEOUT' : 'SLUICE_ERR_SOURCE_NETWORK', message, { cause: error }) };
  }
  // A file-system error names its path: the spool could not be written (disk full, permissions),
  // which another download would not mend.
  if (typeof (error as { path?: unknown }).path === 'string') {
    return { ok: false, retry: false, error: new SluiceError('SLUICE_ERR_SOURCE_SPOOL', `cannot spool ${displayUrl(url)}: ${(error as Error).message}`, { cause: error }) };
  }
  // Unknown host, TLS, a malformed response: the same again would fail the same way.
  return { ok: false, retry: false, error: new SluiceError('SLUICE_ERR_SOURCE_NETWORK', message, { cause: error }) };
}

type Undici = typeof import('undici');

/** undici takes ~90 ms to import: a run that loads only local files should not pay for it. */
let undici: Promise<Undici> | undefined;

function loadUndici(): Promise<Undici> {
  undici ??= import('undici');
  return undici;
}

async function attemptDownload(dispatcher: Dispatcher, url: string, path: string, options: DownloadOptions): Promise<Attempt> {
  const { request } = await loadUndici();
  let response: Awaited<ReturnType<typeof undiciRequest>>;
  try {
    response = await request(url, {
      dispatcher, method: 'GET',
      // The file as stored: request() does not undo a Content-Encoding, so none is asked for.
      headers: { 'accept-encoding': 'identity', 'user-agent': 'sluice' },
    });
  } catch (error) {
    return transferFailure(url, error);
  }
  const { statusCode, headers, body } = response;
  if (statusCode < 200 || statusCode >= 300) {
    await body.dump().catch(() => undefined);
    const retry = statusCode === 429 || statusCode >= 500;
    const error = new SluiceError('SLUICE_ERR_SOURCE_HTTP', `GET ${displayUrl(url)}: HTTP ${statusCode}`);
    return { ok: false, error, retry, retryAfterMs: retry ? parseRetryAfter(headers['retry-after']) : undefined };
  }
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    body.destroy();
    return { ok: false, retry: false, error: tooLarge(url, options.maxBytes, declared) };
  }
  try {
    return { ok: true, file: await spoolStream([body], path, options.maxBytes, () => tooLarge(url, options.maxBytes)) };
  } catch (error) {
    return transferFailure(url, error);
  }
}

/** Downloads `url` to `path` (through `path.part`); throws a SluiceError with a SLUICE_ERR_SOURCE_* code. */
export async function downloadFile(url: string, path: string, options: DownloadOptions): Promise<SpooledFile> {
  const { Agent, interceptors } = await loadUndici();
  const agent = new Agent({ connectTimeout: options.timeoutMs, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
  const dispatcher = agent.compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTIONS }));
  try {
    for (let attempt = 1; ; attempt++) {
      const outcome = await attemptDownload(dispatcher, url, path, options);
      if (outcome.ok) return outcome.file;
      const { error } = outcome;
      if (!outcome.retry) throw error;
      if (attempt >= options.attempts) {
        throw new SluiceError(error.code, `${error.message}; gave up after ${attempt} attempt${attempt === 1 ? '' : 's'}`, { cause: error.cause });
      }
      let delay = backoffDelay(attempt, options.backoffMs, MAX_BACKOFF_MS);
      if (outcome.retryAfterMs !== undefined) {
        if (outcome.retryAfterMs > MAX_RETRY_AFTER_MS) {
          throw new SluiceError(error.code, `${error.message}; the server asks to retry after ${Math.ceil(outcome.retryAfterMs / 1000)} s, more than ${MAX_RETRY_AFTER_MS / 1000} s`);
        }
        delay = outcome.retryAfterMs;
      }
      options.log(`${error.message}; retry ${attempt} of ${options.attempts - 1} in ${delay} ms`);
      await sleep(delay);
    }
  } finally {
    // Destroy, not close: nothing of this agent is needed again, and close() would wait for a
    // connection a misbehaving server keeps open.
    await agent.destroy();
  }
}
