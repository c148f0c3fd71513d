import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { SluiceError } from '../errors.js';
import type { IngestOptions } from '../engine.js';
import type { PipelineEvents } from '../events/pipeline-events.js';
import { openSpoolEntry, type SpoolEntry, spoolStream } from '../sources/spool.js';
import type { FileSummary } from '../summary.js';
import { ApiError, apiError } from './api-error.js';
import { MultipartFile, multipartBoundary } from './multipart-file.js';
import { requireToken } from './require-token.js';

/**
 * `POST /ingest` (or PUT; mounted under /api): a file uploaded as the raw body (`?name=data.csv`) or as
 * the one file part of a multipart/form-data body, streamed to the spool as it arrives — counted,
 * hashed and cut off past `maxBytes` (413, also for chunked bodies with no Content-Length; the
 * partial file is removed) — then handed to the engine. Hono's bodyLimit and parseBody are not
 * used: both read the whole body into memory first.
 *
 * Answers 202 with the file's id — the sha256 of its content, the ledger's identity of a file —
 * and a Location (`/api/files/<sha256>`); with `?wait=true`, 200 and the load's summary once it
 * has loaded (or been skipped, or failed: the summary's status says which).
 */
export interface IngestDeps {
  engine: { ingest(path: string, options?: IngestOptions): Promise<FileSummary>; readonly events: PipelineEvents };
  /** Where uploads are spooled (the engine's `<home>/spool`). */
  spoolDir: string;
  /** Largest upload in bytes (the file's content; a multipart body may be slightly larger). */
  maxBytes: number;
  /** SLUICE_API_TOKEN; undefined: no token (the server then listens on 127.0.0.1 only). */
  token: string | undefined;
  log?: (line: string) => void;
}

export interface IngestAccepted {
  id: string;
  name: string;
  bytes: number;
  status: 'accepted';
  location: string;
}

/** Multipart framing (boundaries, part headers, small fields) allowed on top of the file's bytes. */
const MULTIPART_OVERHEAD = 1024 * 1024;

/**
 * A name for the uploaded file: one path segment, so nothing lands outside its spool directory.
 * Refused (400): empty, a path separator, `..`, a NUL or other control character, an absolute or
 * drive path, more than 255 bytes.
 */
export function checkUploadName(name: string | undefined): string {
  if (name === undefined || name === '') throw new ApiError(400, 'SLUICE_ERR_UPLOAD_NAME', 'the file needs a name: ?name=data.csv (or a filename in the multipart part)');
  if (/[/\\]/.test(name) || name.includes('..') || /[\u0000-\u001f\u007f]/.test(name) || /^[A-Za-z]:/.test(name) || name === '.') {
    throw new ApiError(400, 'SLUICE_ERR_UPLOAD_NAME', `${JSON.stringify(name)} is not a plain file name (no path separators, "..", control characters or absolute paths)`);
  }
  if (Buffer.byteLength(name) > 255) throw new ApiError(400, 'SLUICE_ERR_UPLOAD_NAME', 'the file name is longer than 255 bytes');
  return name;
}

function tooLarge(maxBytes: number): () => SluiceError {
  return () => new SluiceError('SLUICE_ERR_SOURCE_TOO_LARGE', `the upload is larger than the limit of ${maxBytes} bytes`);
}

export function ingestRoutes(deps: IngestDeps): Hono {
  const app = new Hono();
  const log = deps.log ?? (() => undefined);

  // PUT as well: `curl -T file URL` uploads with PUT.
  app.on(['POST', 'PUT'], '/ingest', requireToken(deps.token), async (c) => {
    let entry: SpoolEntry | undefined;
    let handedOver = false;
    try {
      const contentType = c.req.header('content-type');
      const boundary = multipartBoundary(contentType);
      const queryName = c.req.query('name');
      // A raw body is named by ?name=; a multipart part by its filename unless ?name= says otherwise.
      if (queryName !== undefined || boundary === undefined) checkUploadName(queryName);
      const limit = boundary === undefined ? deps.maxBytes : deps.maxBytes + MULTIPART_OVERHEAD;
      const declared = Number(c.req.header('content-length') ?? NaN);
      if (declared > limit) throw new ApiError(413, 'SLUICE_ERR_UPLOAD_TOO_LARGE', `the upload (${declared} bytes) is larger than the limit of ${deps.maxBytes} bytes`);
      const body = c.req.raw.body;
      if (body === null) throw new ApiError(400, 'SLUICE_ERR_UPLOAD_EMPTY', 'the request has no body');

      entry = await openSpoolEntry(deps.spoolDir);
      const source = Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>);
      const parts = boundary === undefined ? [source] : [source, new MultipartFile(boundary, (name) => { if (queryName === undefined) checkUploadName(name); })];
      const received = join(entry.dir, 'upload');
      const spooled = await spoolStream(parts, received, deps.maxBytes, tooLarge(deps.maxBytes));
      const name = queryName ?? (parts[1] as MultipartFile).fileName!;
      const path = join(entry.dir, name);
      await rename(received, path);

      deps.engine.events.emit('file.discovered', { path, source: 'upload' });
      const spoolEntry = entry;
      handedOver = true;
      const loading = deps.engine.ingest(path).finally(() => spoolEntry.remove());
      if (c.req.query('wait') === 'true') return c.json(await loading, 200);
      loading.catch((error: unknown) => log(`upload ${name}: ${(error as Error).message}`));
      const location = `/api/files/${spooled.sha256}`;
      c.header('Location', location);
      return c.json({ id: spooled.sha256, name, bytes: spooled.bytes, status: 'accepted', location } satisfies IngestAccepted, 202);
    } catch (error) {
      if (!handedOver) await entry?.remove();
      if (error instanceof ApiError) return apiError(c, error.status, error.code, error.message);
      if (error instanceof SluiceError && error.code === 'SLUICE_ERR_SOURCE_TOO_LARGE') {
        // The client may still be sending: say so, and close the connection rather than read the rest.
        c.header('Connection', 'close');
        return apiError(c, 413, 'SLUICE_ERR_UPLOAD_TOO_LARGE', error.message);
      }
      if (error instanceof SluiceError && error.code === 'SLUICE_ERR_ENGINE_CLOSED') return apiError(c, 503, error.code, 'the server is shutting down');
      const code = (error as { code?: unknown }).code;
      // The client went away mid-upload (an aborted body): nothing to answer to.
      if (code === 'ABORT_ERR' || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') return apiError(c, 400, 'SLUICE_ERR_UPLOAD_ABORTED', 'the upload was interrupted');
      log(`upload failed: ${(error as Error).message}`);
      return apiError(c, 500, 'SLUICE_ERR_UPLOAD_SPOOL', `the upload could not be spooled: ${(error as Error).message}`);
    }
  });

  return app;
}
