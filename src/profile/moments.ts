/**
 * Mean and variance as (n, mean, M2): Welford's update per value, Chan's parallel formula to merge.
 * Floating point makes the result depend slightly on how the data was grouped (relative error
 * around 1e-15 per merge); merging orders the two sides canonically (larger n first, then smaller
 * mean) so merge(a, b) and merge(b, a) give the very same bits.
 */

export interface MomentsState {
  n: number;
  mean: number;
  m2: number;
}

export class Moments {
  n = 0;
  mean = 0;
  m2 = 0;

  add(x: number): void {
    const n = ++this.n;
    const delta = x - this.mean;
    this.mean += delta / n;
    this.m2 += delta * (x - this.mean);
  }

  toState(): MomentsState {
    return { n: this.n, mean: this.mean, m2: this.m2 };
  }

  reset(): void {
    this.n = 0;
    this.mean = 0;
    this.m2 = 0;
  }
}

export function mergeMoments(a: MomentsState, b: MomentsState): MomentsState {
  if (b.n > a.n || (b.n === a.n && b.mean < a.mean)) {
    const t = a;
    a = b;
    b = t;
  }
  if (b.n === 0) return { n: a.n, mean: a.mean, m2: a.m2 };
  const n = a.n + b.n;
  const delta = b.mean - a.mean;
  return {
    n,
    mean: a.mean + (delta * b.n) / n,
    m2: a.m2 + b.m2 + ((delta * delta * a.n) / n) * b.n,
  };
}

/** Sample variance and standard deviation, as PostgreSQL's variance() / stddev(): null below 2 values. */
export function sampleVariance(state: MomentsState): number | null {
  return state.n < 2 ? null : Math.max(0, state.m2) / (state.n - 1);
}
