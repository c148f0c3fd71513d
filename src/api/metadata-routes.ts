import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type pg from 'pg';
import { z } from 'zod';
import { MAX_QUERY_LENGTH, searchCatalog, searchTerms } from '../catalog/catalog-search.js';
import { addLineageEdge, type LineageDirection, lineageGraph, MAX_LINEAGE_DEPTH } from '../catalog/lineage-graph.js';
import { createEntry, DATASET_KINDS, type DatasetKind, deleteEntry, entryKey, getEntry, listEntries, updateEntry } from '../catalog/metadata-store.js';
import { formatPath } from '../configuration/config-issues.js';
import { listRunEvents } from '../lineage/stored-events.js';
import { ApiError, apiError } from './api-error.js';
import { requireToken } from './require-token.js';

/**
 * The catalog over HTTP, relative to `/api` (mounted with `app.route('/api', metadataRoutes(deps))`):
 *
 *   GET    /metadata                 ?limit&offset&tag&kind       entries, newest first
 *   POST   /metadata                 {name, kind, …}              register an entry (201; 409 when taken)
 *   GET    /metadata/search          ?q&limit&offset              ranked (catalog/catalog-search.ts)
 *   POST   /metadata/lineage         {source, target, relation}   add an edge (201; 200 when it existed)
 *   GET    /metadata/:id             id or name
 *   PUT    /metadata/:id             {tags, description, owner}   the keys given are replaced
 *   DELETE /metadata/:id             soft delete (204): 404 from then on, until a load registers it again
 *   GET    /metadata/:id/lineage     ?direction&depth             {root, nodes, edges}
 *   GET    /lineage/events           ?run_id&dataset&limit&offset OpenLineage run events, newest first
 *
 * Mutating routes need the bearer token. Every list is bounded (limit ≤ MAX_LIMIT), every body
 * too (MAX_BODY_BYTES), and every value reaches SQL as a parameter.
 */

export interface MetadataRouteDeps {
  pool: pg.Pool;
  token: string | undefined;
}

export const MAX_LIMIT = 200;
const DEFAULT_LIMIT = 50;
const MAX_OFFSET = 1_000_000;
const DEFAULT_DEPTH = 3;
const MAX_BODY_BYTES = 1024 * 1024;

const tag = z.string().trim().min(1).max(100);
const text = (max: number) => z.string().max(max).nullable();
const columnSpec = z.strictObject({
  name: z.string().min(1).max(300),
  type: z.string().min(1).max(100).optional(),
  source: z.string().max(1000).optional(),
});
const newEntryBody = z.strictObject({
  // Control characters would make names that cannot be typed or shown.
  name: z.string().min(1).max(300).regex(/^[^\p{Cc}]+$/u, 'no control characters'),
  kind: z.enum(DATASET_KINDS as [DatasetKind, ...DatasetKind[]]).default('external'),
  dataset: z.string().min(1).max(300).optional(),
  tables: z.array(z.string().min(1).max(300)).max(20).optional(),
  format: z.string().min(1).max(50).nullable().optional(),
  columns: z.array(columnSpec).max(5000).optional(),
  tags: z.array(tag).max(50).optional(),
  description: text(10_000).optional(),
  owner: text(200).optional(),
});
const patchBody = z.strictObject({
  tags: z.array(tag).max(50).optional(),
  description: text(10_000).optional(),
  owner: text(200).optional(),
}).refine((patch) => Object.keys(patch).length > 0, 'give at least one of tags, description, owner');
const entryRef = z.union([z.number().int().positive(), z.string().min(1).max(300)]);
const edgeBody = z.strictObject({
  source: entryRef,
  target: entryRef,
  relation: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'a lower-case word (letters, digits, _)').default('derived_from'),
  run_id: z.uuid().nullable().optional(),
});

function invalid(message: string): ApiError {
  return new ApiError(400, 'SLUICE_ERR_METADATA_INVALID', message);
}

function notFound(what: string): ApiError {
  return new ApiError(404, 'SLUICE_ERR_METADATA_NOT_FOUND', `no catalog entry ${what}`);
}

/** A body as JSON, validated; 400 naming the first bad key. */
async function bodyOf<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    throw invalid('the body must be JSON (Content-Type: application/json)');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`${formatPath(issue.path)}: ${issue.message}`);
  }
  return parsed.data;
}

/** An integer query parameter in [min, max]; `fallback` when absent. */
function integerParam(c: Context, name: string, fallback: number, min: number, max: number): number {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw invalid(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function page(c: Context): { limit: number; offset: number } {
  return { limit: integerParam(c, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT), offset: integerParam(c, 'offset', 0, 0, MAX_OFFSET) };
}

function describeKey(text: string): string {
  return /^\d+$/.test(text) ? `with id ${text}` : `named ${JSON.stringify(text)}`;
}

export function metadataRoutes(deps: MetadataRouteDeps): Hono {
  const { pool } = deps;
  const routes = new Hono();
  const guard = requireToken(deps.token);
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => apiError(c, 413, 'SLUICE_ERR_METADATA_TOO_LARGE', `the body is larger than ${MAX_BODY_BYTES} bytes`),
  });

  routes.onError((error, c) => {
    if (error instanceof ApiError) return apiError(c, error.status, error.code, error.message);
    return apiError(c, 500, 'SLUICE_ERR_HTTP_500', `the catalog could not answer: ${error.message}`);
  });

  routes.get('/metadata', async (c) => {
    const kind = c.req.query('kind') ?? null;
    if (kind !== null && !DATASET_KINDS.includes(kind as DatasetKind)) throw invalid(`kind must be one of ${DATASET_KINDS.join(', ')}`);
    const tags = c.req.queries('tag') ?? [];
    if (tags.length > 20 || tags.some((t) => t.length === 0 || t.length > 100)) throw invalid('tag: at most 20, each 1 to 100 characters');
    return c.json(await listEntries(pool, { ...page(c), tags, kind: kind as DatasetKind | null }));
  });

  routes.post('/metadata', guard, limitBody, async (c) => {
    const body = await bodyOf(c, newEntryBody);
    const created = await createEntry(pool, body);
    if (created === null) throw new ApiError(409, 'SLUICE_ERR_METADATA_EXISTS', `a catalog entry named ${JSON.stringify(body.name)} exists`);
    return c.json(created, 201);
  });

  routes.get('/metadata/search', async (c) => {
    const q = c.req.query('q') ?? '';
    if (q.length > MAX_QUERY_LENGTH) throw invalid(`q is at most ${MAX_QUERY_LENGTH} characters`);
    const terms = searchTerms(q);
    if (terms.length === 0) throw invalid('q: give the words to search for');
    const { limit, offset } = page(c);
    return c.json({ query: terms, items: await searchCatalog(pool, { terms, limit, offset }), limit, offset });
  });

  routes.post('/metadata/lineage', guard, limitBody, async (c) => {
    const body = await bodyOf(c, edgeBody);
    const [source, target] = await Promise.all([body.source, body.target].map((ref) => getEntry(pool, typeof ref === 'number' ? { id: ref } : { name: ref })));
    if (source === null) throw notFound(describeKey(String(body.source)));
    if (target === null) throw notFound(describeKey(String(body.target)));
    if (source.id === target.id) throw invalid('source and target are the same entry');
    const { edge, created } = await addLineageEdge(pool, { source: source.name, target: target.name, relation: body.relation, runId: body.run_id ?? null });
    return c.json(edge, created ? 201 : 200);
  });

  routes.get('/metadata/:id', async (c) => {
    const id = c.req.param('id');
    const entry = await getEntry(pool, entryKey(id));
    if (entry === null) throw notFound(describeKey(id));
    return c.json(entry);
  });

  routes.put('/metadata/:id', guard, limitBody, async (c) => {
    const id = c.req.param('id');
    const patch = await bodyOf(c, patchBody);
    const entry = await updateEntry(pool, entryKey(id), patch);
    if (entry === null) throw notFound(describeKey(id));
    return c.json(entry);
  });

  routes.delete('/metadata/:id', guard, async (c) => {
    const id = c.req.param('id');
    if (!(await deleteEntry(pool, entryKey(id)))) throw notFound(describeKey(id));
    return c.body(null, 204);
  });

  routes.get('/metadata/:id/lineage', async (c) => {
    const id = c.req.param('id');
    const direction = (c.req.query('direction') ?? 'both') as LineageDirection;
    if (!['upstream', 'downstream', 'both'].includes(direction)) throw invalid('direction must be upstream, downstream or both');
    // Deeper than the cap is answered at the cap (the answer says which depth it used).
    const depth = Math.min(MAX_LINEAGE_DEPTH, integerParam(c, 'depth', DEFAULT_DEPTH, 1, Number.MAX_SAFE_INTEGER));
    const root = await getEntry(pool, entryKey(id));
    if (root === null) throw notFound(describeKey(id));
    const graph = await lineageGraph(pool, root.name, direction, depth);
    return c.json({ root: { id: root.id, name: root.name, kind: root.kind, dataset: root.dataset }, direction, depth, ...graph });
  });

  routes.get('/lineage/events', async (c) => {
    const runId = c.req.query('run_id') ?? null;
    if (runId !== null && !z.uuid().safeParse(runId).success) throw invalid('run_id must be a UUID');
    const dataset = c.req.query('dataset') ?? null;
    if (dataset !== null && (dataset.length === 0 || dataset.length > 1000)) throw invalid('dataset: 1 to 1000 characters');
    return c.json(await listRunEvents(pool, { runId, dataset, ...page(c) }));
  });

  return routes;
}
