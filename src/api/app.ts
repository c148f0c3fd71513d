import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type pg from 'pg';
import type { RecentAlerts } from '../events/recent-alerts.js';
import type { EngineStatus } from '../engine.js';
import { type BreakerSource, type BreakerStatus, type PipelineEvents, readBreakers } from '../events/pipeline-events.js';
import type { HealthChecks } from '../telemetry/health-checks.js';
import type { SluiceMetrics } from '../telemetry/metrics.js';
import type { RedisTelemetry } from '../telemetry/redis-telemetry.js';
import type { SecondBuckets } from '../telemetry/second-buckets.js';
import { ApiError, apiError } from './api-error.js';
import { datasetRoutes } from './dataset-routes.js';
import { eventStream } from './event-stream.js';
import { fileRoutes } from './file-routes.js';
import { requireToken } from './require-token.js';
import { statusPage } from './status-page.js';
import { statusRoutes } from './status-routes.js';

/**
 * The HTTP API as a Hono app, built from what its routes read — so it can be served on its own
 * port (serve.ts), mounted inside another service's app, or driven with `app.request()` in tests.
 *
 *   GET /                      status page (HTML)
 *   GET /api/status|health|metrics
 *   GET /api/files, /api/files/:id
 *   GET /api/datasets/:id/schema|profile|anomalies
 *   GET /api/events            Server-Sent Events of the pipeline
 *   …                          the routes of `deps.routes` (metadata, lineage, ingest)
 *
 * Every error is `{ error: { code, message } }`; an unexpected one is a 500 with a generic
 * message (the details go to the log, never a stack to the client). With a token, every method
 * but GET, HEAD and OPTIONS needs `Authorization: Bearer <token>`, on mounted routes too.
 */

/** What the routes read from an engine (an Engine has all of it). */
export interface ApiEngine {
  readonly events: PipelineEvents;
  /** Undefined until the engine has started. */
  readonly databasePool: pg.Pool | undefined;
  status(): EngineStatus;
  /** The engine's own publisher of events to Redis, when it has one (REDIS_URL). */
  readonly redisEvents?: unknown;
  /** The latest quality alerts (an Engine keeps them: events/recent-alerts.ts). */
  readonly alerts?: Pick<RecentAlerts, 'list' | 'total'>;
}

export interface ApiDeps {
  engine: ApiEngine;
  metrics: SluiceMetrics;
  health: HealthChecks;
  /** Per-second counters for throughput (status, status page). */
  realtime: SecondBuckets;
  /** The bus /api/events streams. Default: the engine's. */
  events?: PipelineEvents;
  /** The Redis mirror, when REDIS_URL is set (its state is shown in status). */
  redis?: RedisTelemetry | null;
  /** Circuit breakers to show, as their owner keeps them; merged with those breaker.changed events reported. */
  breakers?: BreakerSource;
  /** SLUICE_API_TOKEN: mutating requests need it. Undefined: no check (the server then binds to loopback only). */
  token?: string;
  /** Sub-apps mounted under the API (`app.route(path, app)`): metadata, lineage, ingest. */
  routes?: { path: string; app: Hono }[];
  /** Seconds between /api/events heartbeats. Default 15. */
  heartbeatSeconds?: number;
  /** Reported by /api/status. Default: package.json's. */
  version?: string;
  /** Where unexpected errors are written. Default: stderr. */
  logError?: (error: unknown, request: { method: string; path: string }) => void;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

let packageVersion: string | undefined;

/** The version in package.json (dist/src/api/ → the package root). */
export function sluiceVersion(): string {
  packageVersion ??= (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return packageVersion;
}

/** The control pool, or a 503 while the engine has not connected. */
export function poolOf(deps: ApiDeps): pg.Pool {
  const pool = deps.engine.databasePool;
  if (pool === undefined) throw new ApiError(503, 'SLUICE_ERR_DATABASE_UNAVAILABLE', 'the engine has not connected to PostgreSQL yet');
  return pool;
}

/**
 * A read the status page and /api/status show beside other figures: with PostgreSQL down they
 * still answer, with this part null and the reason.
 */
export async function readIfUp<T>(deps: ApiDeps, read: (pool: pg.Pool) => Promise<T>): Promise<{ value: T | null; error?: string }> {
  const pool = deps.engine.databasePool;
  if (pool === undefined) return { value: null, error: 'the engine has not connected to PostgreSQL yet' };
  try {
    return { value: await read(pool) };
  } catch (error) {
    return { value: null, error: (error as Error).message };
  }
}

/** Breakers from the owner's list, and those only events have reported. */
export function breakersOf(deps: Pick<ApiDeps, 'metrics' | 'breakers'>): BreakerStatus[] {
  const merged = new Map(deps.metrics.breakers().map((b) => [b.name, b.state]));
  for (const breaker of readBreakers(deps.breakers)) merged.set(breaker.name, breaker.state);
  return [...merged].map(([name, state]) => ({ name, state })).sort((a, b) => a.name.localeCompare(b.name));
}

/** PostgreSQL unreachable or restarting: connection errors (class 08, refused, reset) and admin shutdown. */
function databaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT'
    || code === 'SLUICE_ERR_DATABASE_CONNECT';
}

export function createApiApp(deps: ApiDeps): Hono {
  const app = new Hono();
  const logError = deps.logError ?? ((error, request) => process.stderr.write(`sluice api: ${request.method} ${request.path}: ${(error as Error)?.stack ?? String(error)}\n`));

  app.onError((error, c) => {
    if (error instanceof ApiError) return apiError(c, error.status, error.code, error.message);
    if (error instanceof HTTPException) {
      const status = error.status as ContentfulStatusCode;
      return apiError(c, status, `SLUICE_ERR_HTTP_${status}`, error.message || `HTTP ${status}`);
    }
    if (databaseUnavailable(error)) return apiError(c, 503, 'SLUICE_ERR_DATABASE_UNAVAILABLE', 'PostgreSQL is unavailable; try again shortly');
    logError(error, { method: c.req.method, path: c.req.path });
    return apiError(c, 500, 'SLUICE_ERR_INTERNAL', 'internal error; the server log has the details');
  });
  app.notFound((c) => apiError(c, 404, 'SLUICE_ERR_NOT_FOUND', `no route ${c.req.method} ${c.req.path}`));

  const guard = requireToken(deps.token);
  app.use('*', async function guardMutations(c, next) {
    if (SAFE_METHODS.has(c.req.method)) return next();
    return guard(c, next);
  });

  app.route('/', statusPage(deps));
  app.route('/api', statusRoutes(deps));
  app.route('/api/files', fileRoutes(deps));
  app.route('/api/datasets', datasetRoutes(deps));
  app.get('/api/events', eventStream(deps.events ?? deps.engine.events, (deps.heartbeatSeconds ?? 15) * 1000));
  for (const mounted of deps.routes ?? []) app.route(mounted.path, mounted.app);
  return app;
}
