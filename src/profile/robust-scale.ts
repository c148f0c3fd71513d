/**
 * The scale of a robust z-score, |x − median| / scale, shared by the value-anomaly detector
 * (stages/detect) and the series anomaly scores (timeseries):
 *   scale = max(1.4826 · MAD, floor)
 * where 1.4826 · MAD estimates σ for Gaussian data, and the floor keeps a flat or stepped set of
 * values (MAD = 0 when over half of them are equal) from flagging every change:
 *   floor = max(step, 1.2533 · meanAD if MAD = 0, flat)
 *   - step: the smallest gap between two distinct values (the data's resolution: a move of one
 *     step is never an anomaly; a move of more than threshold steps can be);
 *   - meanAD: mean |x − median| (1.2533 · meanAD estimates σ for Gaussian data; used only when
 *     the MAD is 0, since one outlier moves it);
 *   - flat: when the values hold a single distinct value v, 1 % of |v| (at least 1 for integer
 *     columns): a change of more than threshold % of the value is flagged, a smaller one is not.
 */

/** 1 / Φ⁻¹(3/4): MAD × this estimates σ for Gaussian data. */
export const MAD_TO_SIGMA = 1.4826;
/** √(π/2): mean absolute deviation × this estimates σ for Gaussian data. */
export const MEAN_AD_TO_SIGMA = 1.2533;

/** The floor above; `step` is Infinity when the values hold a single distinct value. */
export function robustScaleFloor(step: number, mad: number, meanAbsoluteDeviation: number, median: number, integer: boolean): number {
  let floor = step === Infinity ? 0 : step;
  if (mad === 0) floor = Math.max(floor, MEAN_AD_TO_SIGMA * meanAbsoluteDeviation);
  if (step === Infinity) floor = Math.max(floor, 0.01 * Math.abs(median), integer ? 1 : 0);
  return floor;
}
