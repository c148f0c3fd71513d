import type { PipelineEvents } from '../events/pipeline-events.js';
import { type BreakerStatus, DependencyGuard } from './dependency-guard.js';

/**
 * The one place that owns the process's circuit breakers: PostgreSQL (COPY writers, ledger
 * steps) and Redis (events and counters). State changes go out as `breaker.changed` pipeline
 * events; `list()` is what the status and health routes show.
 */
export class DependencyBreakers {
  readonly postgres: DependencyGuard;
  readonly redis: DependencyGuard;

  constructor(options: { events?: PipelineEvents; outageTimeoutMs?: number; log?: (line: string) => void } = {}) {
    const onStateChange = (status: BreakerStatus): void => {
      options.log?.(`breaker ${status.name}: ${status.state}`);
      options.events?.emit('breaker.changed', status);
    };
    this.postgres = new DependencyGuard({ name: 'postgres', unavailableCode: 'SLUICE_ERR_DATABASE_UNAVAILABLE', outageTimeoutMs: options.outageTimeoutMs, onStateChange });
    // Redis is never waited for: a publish that cannot go out is kept or dropped (see redis-events.ts).
    // Any failure of a publish is Redis's (disconnected, refused, read-only replica…): none is about our data.
    this.redis = new DependencyGuard({ name: 'redis', unavailableCode: 'SLUICE_ERR_REDIS_UNAVAILABLE', outageTimeoutMs: 0, isFailure: () => true, onStateChange });
  }

  list(): BreakerStatus[] {
    return [this.postgres.status(), this.redis.status()];
  }
}
