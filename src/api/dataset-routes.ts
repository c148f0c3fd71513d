import { Hono } from 'hono';
import { readStoredAnomalies } from '../stages/detect/stored-anomalies.js';
import { readStoredProfile } from '../stages/profile/stored-profile.js';
import { ApiError } from './api-error.js';
import { type ApiDeps, poolOf } from './app.js';
import { datasetExists, readDatasetSchema } from './ledger-reads.js';
import { pageOf, readPage } from './pagination.js';

/**
 * GET /api/datasets/:id/schema | profile | anomalies, where the id is the dataset's name (as
 * given or as its table name). What `sluice profile` and `sluice anomalies` print, as JSON.
 */

function notFound(dataset: string, what = 'load'): ApiError {
  return new ApiError(404, 'SLUICE_ERR_NOT_FOUND', `no ${what} of dataset ${JSON.stringify(dataset)} in the ledger`);
}

export function datasetRoutes(deps: ApiDeps): Hono {
  const routes = new Hono();

  routes.get('/:id/schema', async (c) => {
    const dataset = c.req.param('id');
    const schema = await readDatasetSchema(poolOf(deps), dataset);
    if (schema === null) throw notFound(dataset);
    return c.json(schema);
  });

  /** The latest profiled load's column figures and quality; `?file=ID|PATH` for a given load's. */
  routes.get('/:id/profile', async (c) => {
    const dataset = c.req.param('id');
    const pool = poolOf(deps);
    const profile = await readStoredProfile(pool, dataset, c.req.query('file'));
    if (profile === null) throw notFound(dataset, await datasetExists(pool, dataset) ? 'profiled load' : 'load');
    return c.json(profile);
  });

  /** Value anomalies, newest load first, then in file order; paginated. */
  routes.get('/:id/anomalies', async (c) => {
    const dataset = c.req.param('id');
    const page = readPage(c);
    const pool = poolOf(deps);
    if (!await datasetExists(pool, dataset)) throw notFound(dataset);
    const found = await readStoredAnomalies(pool, dataset, page.limit, page.offset);
    return c.json(pageOf(found.rows, found.total, page));
  });

  return routes;
}
