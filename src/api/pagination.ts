import type { Context } from 'hono';
import { ApiError } from './api-error.js';

/**
 * Every list route pages the same way: `?limit=N&offset=M` (limit 1..500, default 50), answered
 * as `{ items, total, limit, offset, next_offset }`, where `next_offset` is null on the last page.
 * A limit or offset that is not a whole number in range is a 400, not silently clamped: a client
 * asking for 10,000 rows should learn that it gets 500.
 */

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 500;

export interface Page {
  limit: number;
  offset: number;
}

export interface PageOf<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
  next_offset: number | null;
}

function wholeNumber(c: Context, name: string, fallback: number, min: number, max: number): number {
  const text = c.req.query(name);
  if (text === undefined) return fallback;
  const value = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw new ApiError(400, 'SLUICE_ERR_BAD_PAGINATION', `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

export function readPage(c: Context, defaultLimit = DEFAULT_PAGE_LIMIT, maxLimit = MAX_PAGE_LIMIT): Page {
  return {
    limit: wholeNumber(c, 'limit', defaultLimit, 1, maxLimit),
    offset: wholeNumber(c, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
  };
}

export function pageOf<T>(items: T[], total: number, page: Page): PageOf<T> {
  const next = page.offset + items.length;
  return { items, total, limit: page.limit, offset: page.offset, next_offset: items.length > 0 && next < total ? next : null };
}
