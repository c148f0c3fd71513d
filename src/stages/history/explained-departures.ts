import { DIMENSIONS } from '../quality-scores.js';
import type { MetricName } from './load-metrics.js';

/**
 * Metrics of a load move together: half the rows can also drop rare categories, more
 * rejects lower validity, more NULLs lower completeness, and any dimension moves the score. One
 * cause must be one anomaly, not four, so a departure that another departure of the same load
 * explains is folded into it (listed in its `explains`, still marked anomalous in the history)
 * instead of being raised:
 *
 * | departure              | explained by, in the same load                   |
 * |------------------------|--------------------------------------------------|
 * | distinct of a column   | row_count, in the same direction                 |
 * | distinct / values      | row_count, in the opposite direction             |
 * | validity               | reject_rate, in the opposite direction           |
 * | completeness           | a column's null_rate, in the opposite direction  |
 * | score                  | a dimension, in the same direction               |
 *
 * The relation is acyclic, so following explainers ends at the departure that is raised.
 */

export interface Moved {
  metric: MetricName;
  column: string | null;
  /** +1 above its baseline, −1 below. */
  direction: 1 | -1;
}

const DIMENSION_NAMES: ReadonlySet<string> = new Set(DIMENSIONS);

export function explains(cause: Moved, effect: Moved): boolean {
  const same = cause.direction === effect.direction;
  switch (effect.metric) {
    case 'distinct': return cause.metric === 'row_count' && same;
    case 'distinct_ratio': return cause.metric === 'row_count' && !same;
    case 'validity': return cause.metric === 'reject_rate' && !same;
    case 'completeness': return cause.metric === 'null_rate' && !same;
    case 'score': return DIMENSION_NAMES.has(cause.metric) && same;
    default: return false;
  }
}

/** For each departure, the index of the departure it is folded into (its root explainer), or its own index when it is raised. */
export function raisedRoots(moved: readonly Moved[]): number[] {
  const parent = moved.map((effect, i) => {
    const cause = moved.findIndex((c, j) => j !== i && explains(c, effect));
    return cause === -1 ? i : cause;
  });
  return parent.map((_, i) => {
    let root = i;
    while (parent[root] !== root) root = parent[root];
    return root;
  });
}
