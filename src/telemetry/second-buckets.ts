/**
 * Real-time counters kept in process: per counter a ring of per-second buckets, each tagged with
 * the epoch second it counts, so a bucket left from a lap ago reads as empty without a timer to
 * clear it. This is what /api/status and the throughput gauges read; with REDIS_URL the same
 * counts are mirrored to Redis (redis-telemetry.ts), and when Redis is down nothing is lost here.
 */

export const REALTIME_COUNTERS = ['rows', 'bytes', 'rejected', 'chunks', 'files'] as const;
export type RealtimeCounter = (typeof REALTIME_COUNTERS)[number];

/** Seconds of history kept: the longest window anyone reads (status shows the last minute). */
const RING_SECONDS = 120;

export class SecondBuckets {
  private readonly counts = new Map<RealtimeCounter, Float64Array>();
  private readonly stamps = new Map<RealtimeCounter, Float64Array>();

  constructor(private readonly now: () => number = Date.now) {
    for (const name of REALTIME_COUNTERS) {
      this.counts.set(name, new Float64Array(RING_SECONDS));
      this.stamps.set(name, new Float64Array(RING_SECONDS).fill(-1));
    }
  }

  add(name: RealtimeCounter, amount: number, atMs = this.now()): void {
    const second = Math.floor(atMs / 1000);
    const slot = second % RING_SECONDS;
    const counts = this.counts.get(name)!;
    const stamps = this.stamps.get(name)!;
    if (stamps[slot] !== second) {
      stamps[slot] = second;
      counts[slot] = 0;
    }
    counts[slot] += amount;
  }

  /** The total over the last `seconds` whole seconds, the current (partial) second included. */
  sum(name: RealtimeCounter, seconds: number): number {
    const current = Math.floor(this.now() / 1000);
    const span = Math.min(Math.max(1, Math.floor(seconds)), RING_SECONDS);
    const counts = this.counts.get(name)!;
    const stamps = this.stamps.get(name)!;
    let total = 0;
    for (let i = 0; i < RING_SECONDS; i++) {
      const stamp = stamps[i];
      if (stamp > current - span && stamp <= current) total += counts[i];
    }
    return total;
  }

  /** Per-second counts, oldest first, for the last `seconds` seconds (0 for a second with nothing). */
  series(name: RealtimeCounter, seconds: number): number[] {
    const current = Math.floor(this.now() / 1000);
    const span = Math.min(Math.max(1, Math.floor(seconds)), RING_SECONDS);
    const counts = this.counts.get(name)!;
    const stamps = this.stamps.get(name)!;
    const out = new Array<number>(span).fill(0);
    for (let s = 0; s < span; s++) {
      const second = current - span + 1 + s;
      const slot = second % RING_SECONDS;
      if (stamps[slot] === second) out[s] = counts[slot];
    }
    return out;
  }

  /** Mean per second over the last `seconds` (the current second counts as a whole one). */
  rate(name: RealtimeCounter, seconds: number): number {
    const span = Math.min(Math.max(1, Math.floor(seconds)), RING_SECONDS);
    return this.sum(name, span) / span;
  }
}
