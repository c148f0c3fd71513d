import { Hono } from 'hono';
import { ApiError } from './api-error.js';
import { type ApiDeps, poolOf } from './app.js';
import { LEDGER_STATUSES, type LedgerStatus, listFiles, readLedgerFile } from './ledger-reads.js';
import { pageOf, readPage } from './pagination.js';

/**
 * GET /api/files (the ledger, newest first, paginated; `?status=loading|loaded|failed`,
 * `?dataset=NAME`) and GET /api/files/:id (by ledger id or sha256: the row, its summary, its
 * attempts and its first rejects).
 */
export function fileRoutes(deps: ApiDeps): Hono {
  const routes = new Hono();

  routes.get('/', async (c) => {
    const page = readPage(c);
    const status = c.req.query('status');
    if (status !== undefined && !(LEDGER_STATUSES as readonly string[]).includes(status)) {
      throw new ApiError(400, 'SLUICE_ERR_BAD_REQUEST', `status must be one of ${LEDGER_STATUSES.join(', ')}, got ${JSON.stringify(status)}`);
    }
    const dataset = c.req.query('dataset');
    const found = await listFiles(poolOf(deps), { status: status as LedgerStatus | undefined, dataset: dataset === '' ? undefined : dataset }, page);
    return c.json(pageOf(found.items, found.total, page));
  });

  routes.get('/:id', async (c) => {
    const id = c.req.param('id');
    let key: { id: number } | { sha256: string };
    if (/^\d{1,15}$/.test(id)) key = { id: Number(id) };
    else if (/^[0-9a-f]{64}$/i.test(id)) key = { sha256: id };
    else throw new ApiError(400, 'SLUICE_ERR_BAD_REQUEST', `a file is named by its ledger id or its sha256, got ${JSON.stringify(id)}`);
    const detail = await readLedgerFile(poolOf(deps), key);
    if (detail === null) throw new ApiError(404, 'SLUICE_ERR_NOT_FOUND', `no file ${id} in the ledger`);
    return c.json(detail);
  });

  return routes;
}
