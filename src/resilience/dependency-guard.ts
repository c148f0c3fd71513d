import { createRequire } from 'node:module';
import type { CircuitBreakerPolicy, CircuitState as CircuitStateCode, ExponentialBackoff as Backoff } from 'cockatiel';
import { SluiceError, type SluiceErrorCode } from '../errors.js';
import type { BreakerState, BreakerStatus } from '../events/pipeline-events.js';
import { isTransient } from './transient-error.js';

// Required, not imported: cockatiel is CommonJS, and the ES module loader parses its index and
// every module it re-exports for their names first (~15 ms more at every start, on the way to the
// first chunk of a load).
const { BrokenCircuitError, CircuitState, ConsecutiveBreaker, ExponentialBackoff, circuitBreaker, handleWhen, IsolatedCircuitError, retry } = createRequire(import.meta.url)('cockatiel') as typeof import('cockatiel');

/**
 * A circuit breaker (cockatiel) around one dependency — PostgreSQL or Redis — shared by every
 * caller of it in the process. Transient failures count toward opening it; while it is open, calls
 * fail at once instead of piling onto a server that is down; after a back-off with jitter it lets
 * one call through (half-open) and closes again when that succeeds.
 *
 * `run` is for work that must happen (a chunk's COPY, a ledger step): it retries through the
 * outage with exponential back-off and decorrelated jitter, and gives up only when the dependency
 * has failed for longer than `outageTimeoutMs` since this call's first failure — then it throws
 * `unavailableCode` with the last failure's message. `tryOnce` is for work that may be skipped
 * (publishing to Redis): one attempt, a BrokenCircuitError while the breaker is open.
 */

export type { BreakerState, BreakerStatus };

export interface DependencyGuardOptions {
  name: string;
  /** Code of the error `run` throws when the outage outlasts `outageTimeoutMs`. */
  unavailableCode: SluiceErrorCode;
  /** How long one `run` keeps retrying through an outage. Default: 60 s. */
  outageTimeoutMs?: number;
  /** Consecutive transient failures that open the breaker. Default: 3. */
  failuresToOpen?: number;
  /** First retry delay of `run`; it grows exponentially (with jitter) up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Which failures are the dependency's (count toward opening, worth retrying). Default: isTransient. */
  isFailure?: (error: unknown) => boolean;
  onStateChange?: (status: BreakerStatus) => void;
}

const STATES: Record<CircuitStateCode, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

export class DependencyGuard {
  readonly name: string;
  readonly outageTimeoutMs: number;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly isFailure: (error: unknown) => boolean;
  private readonly retryBackoff: Backoff<unknown>;

  constructor(private readonly options: DependencyGuardOptions) {
    this.name = options.name;
    this.outageTimeoutMs = options.outageTimeoutMs ?? 60_000;
    this.isFailure = options.isFailure ?? isTransient;
    this.breaker = circuitBreaker(handleWhen(this.isFailure), {
      breaker: new ConsecutiveBreaker(options.failuresToOpen ?? 3),
      halfOpenAfter: new ExponentialBackoff({ initialDelay: 250, maxDelay: 5_000 }),
    });
    this.retryBackoff = new ExponentialBackoff({ initialDelay: options.retryDelayMs ?? 100, maxDelay: options.maxRetryDelayMs ?? 2_000 });
    this.breaker.onStateChange((state) => options.onStateChange?.({ name: this.name, state: STATES[state] }));
  }

  get state(): BreakerState {
    return STATES[this.breaker.state];
  }

  status(): BreakerStatus {
    return { name: this.name, state: this.state };
  }

  /** One attempt through the breaker: BrokenCircuitError (or IsolatedCircuitError) while it is open. */
  tryOnce<T>(fn: () => Promise<T>): Promise<T> {
    return this.breaker.execute(fn);
  }

  /** Runs `fn` until it succeeds, through an outage of up to `outageTimeoutMs`; other errors pass through at once. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    let failingSince: number | undefined;
    const outage = (error: unknown): boolean => error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError || this.isFailure(error);
    const policy = retry(handleWhen((error) => {
      if (!outage(error)) return false;
      failingSince ??= Date.now();
      return Date.now() - failingSince < this.outageTimeoutMs;
    }), { maxAttempts: Number.MAX_SAFE_INTEGER, backoff: this.retryBackoff });
    try {
      return await policy.execute(() => this.breaker.execute(fn));
    } catch (error) {
      if (failingSince === undefined || !outage(error)) throw error;
      const last = this.breaker.lastFailure;
      const reason = last !== undefined && 'error' in last ? last.error : error;
      throw new SluiceError(this.options.unavailableCode,
        `${this.name} unavailable for more than ${Math.round(this.outageTimeoutMs / 1000)} s: ${(reason as Error).message ?? String(reason)}`, { cause: reason });
    }
  }
}
