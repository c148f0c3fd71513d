import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * Every API error has one shape, `{ error: { code, message } }`, and the HTTP status that says
 * what kind of error it is (400 bad request, 401 no or wrong token, 404 not found, 413 too large…).
 * Codes are the engine's `SLUICE_ERR_*` where one fits, else `SLUICE_ERR_HTTP_<status>`.
 */
export interface ApiErrorBody {
  error: { code: string; message: string };
}

export function apiError(c: Context, status: ContentfulStatusCode, code: string, message: string): Response {
  return c.json({ error: { code, message } } satisfies ApiErrorBody, status);
}

/** Thrown by route code to answer with an error (the app's onError turns it into the JSON shape). */
export class ApiError extends Error {
  constructor(readonly status: ContentfulStatusCode, readonly code: string, message: string) {
    super(message);
  }
}
