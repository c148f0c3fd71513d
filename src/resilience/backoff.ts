/**
 * Delay before retry number `retry` (1-based): exponential from `baseMs`, capped at `maxMs`, with
 * jitter (50–100 % of the step) so that many clients failing together do not retry together.
 */
export function backoffDelay(retry: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** (retry - 1));
  return Math.round(step * (0.5 + random() / 2));
}
