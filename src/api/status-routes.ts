import type { QualityAlert } from '../stages/history/quality-alerts.js';
import { Hono } from 'hono';
import type { EngineStatus } from '../engine.js';
import type { BreakerStatus } from '../events/pipeline-events.js';
import { THROUGHPUT_WINDOW_SECONDS } from '../telemetry/metrics.js';
import type { SecondBuckets } from '../telemetry/second-buckets.js';
import { ApiError } from './api-error.js';
import { type ApiDeps, breakersOf, readIfUp, sluiceVersion } from './app.js';
import { type RecentLoad, recentLoads } from './ledger-reads.js';

/** GET /api/status, /api/health, /api/metrics. */

export const RECENT_LOADS = 10;

export interface Throughput {
  window_seconds: number;
  rows_per_second: number;
  bytes_per_second: number;
  rejected_per_second: number;
  /** Totals over the last 60 s. */
  last_minute: { rows: number; bytes: number; rejected: number; chunks: number; files: number };
}

export function throughputOf(realtime: SecondBuckets): Throughput {
  return {
    window_seconds: THROUGHPUT_WINDOW_SECONDS,
    rows_per_second: realtime.rate('rows', THROUGHPUT_WINDOW_SECONDS),
    bytes_per_second: realtime.rate('bytes', THROUGHPUT_WINDOW_SECONDS),
    rejected_per_second: realtime.rate('rejected', THROUGHPUT_WINDOW_SECONDS),
    last_minute: {
      rows: realtime.sum('rows', 60), bytes: realtime.sum('bytes', 60), rejected: realtime.sum('rejected', 60),
      chunks: realtime.sum('chunks', 60), files: realtime.sum('files', 60),
    },
  };
}

export interface ServiceStatus extends EngineStatus {
  service: 'sluice';
  version: string;
  started_at: string;
  uptime_seconds: number;
  breakers: BreakerStatus[];
  throughput: Throughput;
  redis: { status: 'not_configured' | 'connected' | 'disconnected'; connection: string | null; dropped_writes: number };
  /** The ledger's latest loads; null when PostgreSQL could not be read (`recent_loads_error` says why). */
  recent_loads: RecentLoad[] | null;
  recent_loads_error?: string;
  /** quality.alert events since start (`total`) and the latest of them, newest first (README, "Alerts"). */
  alerts: { total: number; recent: QualityAlert[] };
}

/** The whole status, as /api/status answers it and the status page shows it. It answers with PostgreSQL down, too. */
const RECENT_ALERTS = 20;

export async function serviceStatus(deps: ApiDeps): Promise<ServiceStatus> {
  const engine = deps.engine.status();
  const redis = deps.redis ?? null;
  const loads = await readIfUp(deps, (pool) => recentLoads(pool, RECENT_LOADS));
  const uptime = process.uptime();
  return {
    service: 'sluice',
    version: deps.version ?? sluiceVersion(),
    started_at: new Date(Date.now() - uptime * 1000).toISOString(),
    uptime_seconds: Math.round(uptime),
    ...engine,
    breakers: breakersOf(deps),
    throughput: throughputOf(deps.realtime),
    redis: {
      status: redis === null ? 'not_configured' : redis.connected ? 'connected' : 'disconnected',
      connection: redis?.state ?? null,
      dropped_writes: redis?.dropped ?? 0,
    },
    recent_loads: loads.value,
    ...(loads.error === undefined ? {} : { recent_loads_error: loads.error }),
    alerts: { total: deps.engine.alerts?.total ?? 0, recent: deps.engine.alerts?.list(RECENT_ALERTS) ?? [] },
  };
}

/** Prometheus text when asked by `?format=prometheus`, or by an Accept header naming text/plain (as scrapers send) without `?format=json`. */
function wantsPrometheus(format: string | undefined, accept: string | undefined): boolean {
  if (format === 'prometheus') return true;
  if (format === 'json') return false;
  if (format !== undefined) throw new ApiError(400, 'SLUICE_ERR_BAD_REQUEST', `format must be json or prometheus, got ${JSON.stringify(format)}`);
  return accept !== undefined && /\btext\/plain\b|application\/openmetrics-text/i.test(accept);
}

export function statusRoutes(deps: ApiDeps): Hono {
  const routes = new Hono();

  routes.get('/status', async (c) => c.json(await serviceStatus(deps)));

  routes.get('/health', async (c) => {
    const report = await deps.health.check();
    return c.json(report, report.ready ? 200 : 503);
  });

  /** Liveness alone: the process answers. */
  routes.get('/health/live', (c) => c.json({ live: true }));

  routes.get('/metrics', async (c) => {
    if (wantsPrometheus(c.req.query('format'), c.req.header('accept'))) {
      return c.body(await deps.metrics.prometheus(), 200, { 'content-type': deps.metrics.contentType });
    }
    return c.json({ metrics: await deps.metrics.json(), throughput: throughputOf(deps.realtime) });
  });

  return routes;
}
