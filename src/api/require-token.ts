import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { apiError } from './api-error.js';

/**
 * Guards mutating routes with `Authorization: Bearer <token>`. The comparison is constant-time
 * over SHA-256 digests, so neither the token's bytes nor its length leak through timing.
 * `token` undefined: the server has no token and binds to 127.0.0.1 only (see serve), so local
 * callers may mutate without one.
 */
export function requireToken(token: string | undefined): MiddlewareHandler {
  const expected = token === undefined ? undefined : digest(token);
  return async (c, next) => {
    if (expected === undefined) return next();
    const header = c.req.header('authorization');
    if (header === undefined) return apiError(c, 401, 'SLUICE_ERR_UNAUTHORIZED', 'this route needs Authorization: Bearer <SLUICE_API_TOKEN>');
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (match === null) return apiError(c, 400, 'SLUICE_ERR_BAD_AUTHORIZATION', 'the Authorization header must be `Bearer <token>`');
    if (!timingSafeEqual(digest(match[1]), expected)) return apiError(c, 401, 'SLUICE_ERR_UNAUTHORIZED', 'wrong token');
    return next();
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
