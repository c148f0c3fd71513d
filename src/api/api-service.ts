import type { Hono } from 'hono';
import type { BreakerSource } from '../events/pipeline-events.js';
import { createHealthChecks, type HealthChecks } from '../telemetry/health-checks.js';
import { startTelemetry, type Telemetry } from '../telemetry/pipeline-telemetry.js';
import { type ApiDeps, type ApiEngine, breakersOf, createApiApp } from './app.js';
import { metadataRoutes } from './metadata-routes.js';

/**
 * An engine's API with everything it reads, wired once: telemetry fed by the engine's events
 * (metrics registry, per-second counters, Redis when given a URL), health checks of PostgreSQL
 * and Redis, and the Hono app with the catalog and lineage routes (when the engine has started:
 * they read its database). `sluice serve` serves this; `sluice watch` and an embedding service do
 * the same, adding their routes (`routes`) and breakers.
 */

export interface ApiServiceOptions {
  engine: ApiEngine;
  /** SLUICE_API_TOKEN. */
  token?: string;
  /** REDIS_URL: real-time counters and events in Redis too. */
  redisUrl?: string;
  redisPrefix?: string;
  breakers?: BreakerSource;
  routes?: ApiDeps['routes'];
  heartbeatSeconds?: number;
  /** Probe timeout of the health checks. Default 2000 ms. */
  healthTimeoutMs?: number;
  /** Operational lines (Redis lost and back). */
  log?: (line: string) => void;
  logError?: ApiDeps['logError'];
}

export interface ApiService {
  readonly app: Hono;
  readonly telemetry: Telemetry;
  readonly health: HealthChecks;
  /** Stops the telemetry (unsubscribes, closes Redis); the engine is the caller's to close. */
  close(): Promise<void>;
}

export function createApiService(options: ApiServiceOptions): ApiService {
  const { engine } = options;
  const telemetry = startTelemetry({
    events: engine.events, engine: () => engine.status(), breakers: options.breakers,
    redisUrl: options.redisUrl, redisPrefix: options.redisPrefix, log: options.log,
    // An engine with REDIS_URL publishes every event itself, behind its Redis breaker: not twice.
    publishEvents: engine.redisEvents === undefined,
  });
  const health = createHealthChecks({
    postgres: () => engine.databasePool, redis: telemetry.redis, timeoutMs: options.healthTimeoutMs,
    breakers: () => breakersOf({ metrics: telemetry.metrics, breakers: options.breakers }),
  });
  // The catalog and lineage routes read the engine's database: an engine that has started.
  const pool = engine.databasePool;
  const catalog = pool === undefined ? [] : [{ path: '/api', app: metadataRoutes({ pool, token: options.token }) }];
  const app = createApiApp({
    engine, metrics: telemetry.metrics, realtime: telemetry.realtime, redis: telemetry.redis, health,
    breakers: options.breakers, token: options.token, routes: [...catalog, ...(options.routes ?? [])],
    heartbeatSeconds: options.heartbeatSeconds, logError: options.logError,
  });
  return { app, telemetry, health, close: () => telemetry.close() };
}
