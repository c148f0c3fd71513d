import type pg from 'pg';
import type { BreakerStatus } from '../events/pipeline-events.js';
import type { RedisTelemetry } from './redis-telemetry.js';

/**
 * Liveness and readiness. The process is live if it answers at all; it is ready when PostgreSQL
 * answers `SELECT 1` within the timeout. Redis is optional: when configured and down, or when a
 * circuit breaker is not closed, the service is `degraded` (loading goes on, metrics are kept in
 * process) — still ready. PostgreSQL down is `down`: not ready.
 */

export type HealthStatus = 'ok' | 'degraded' | 'down';

export interface DependencyHealth {
  status: 'up' | 'down' | 'not_configured';
  /** Whether readiness depends on it. */
  required: boolean;
  latency_ms: number | null;
  error?: string;
}

export interface HealthReport {
  status: HealthStatus;
  live: true;
  ready: boolean;
  checked_at: string;
  dependencies: { postgres: DependencyHealth; redis: DependencyHealth };
  breakers: BreakerStatus[];
}

export interface HealthChecksOptions {
  /** The pool to probe; undefined while the engine has not started (then PostgreSQL counts as down). */
  postgres: () => pg.Pool | undefined;
  redis?: RedisTelemetry | null;
  breakers?: () => readonly BreakerStatus[];
  /** How long a probe may take before the dependency counts as down. Default 2000 ms. */
  timeoutMs?: number;
}

export interface HealthChecks {
  check(): Promise<HealthReport>;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createHealthChecks(options: HealthChecksOptions): HealthChecks {
  const timeoutMs = options.timeoutMs ?? 2000;
  // One probe at a time: while PostgreSQL hangs, requests share the pending probe instead of each
  // taking one more pool connection attempt.
  let postgresProbe: Promise<DependencyHealth> | undefined;

  const probePostgres = async (): Promise<DependencyHealth> => {
    const pool = options.postgres();
    if (pool === undefined) return { status: 'down', required: true, latency_ms: null, error: 'the engine has not connected to PostgreSQL yet' };
    const started = performance.now();
    try {
      await withTimeout(pool.query('SELECT 1'), timeoutMs, 'SELECT 1');
      return { status: 'up', required: true, latency_ms: Math.round((performance.now() - started) * 10) / 10 };
    } catch (error) {
      return { status: 'down', required: true, latency_ms: null, error: (error as Error).message };
    }
  };

  const probeRedis = async (): Promise<DependencyHealth> => {
    const redis = options.redis;
    if (redis === undefined || redis === null) return { status: 'not_configured', required: false, latency_ms: null };
    try {
      const ms = await redis.ping(timeoutMs);
      return { status: 'up', required: false, latency_ms: Math.round(ms * 10) / 10 };
    } catch (error) {
      return { status: 'down', required: false, latency_ms: null, error: `${(error as Error).message} (connection ${redis.state})` };
    }
  };

  return {
    async check() {
      postgresProbe ??= probePostgres().finally(() => { postgresProbe = undefined; });
      const [postgres, redis] = await Promise.all([postgresProbe, probeRedis()]);
      const breakers = [...(options.breakers?.() ?? [])];
      const ready = postgres.status === 'up';
      const degraded = redis.status === 'down' || breakers.some((b) => b.state !== 'closed');
      return {
        status: !ready ? 'down' : degraded ? 'degraded' : 'ok',
        live: true, ready, checked_at: new Date().toISOString(),
        dependencies: { postgres, redis }, breakers,
      };
    },
  };
}
