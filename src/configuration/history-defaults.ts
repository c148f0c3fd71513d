/**
 * The quality history's defaults, as plain data: config-schema.ts takes its `.default()`s from
 * here, and a load of a dataset without a `history` section reads them from here — so that load
 * never imports zod and the schema (~60 ms at start-up, on the path to the first chunk). Deequ's
 * OnlineNormal defaults: deviation factor 3 below and above.
 */
export interface HistorySettings {
  enabled: boolean;
  min_loads: number;
  max_loads: number;
  k: number;
  max_rate_decrease: number;
  max_rate_increase: number;
  weekday_threshold: number;
  count_floor: number;
  share_floor: number;
}

export const HISTORY_DEFAULTS: Readonly<HistorySettings> = Object.freeze({
  enabled: true,
  min_loads: 5,
  max_loads: 100,
  k: 3,
  max_rate_decrease: 0.5,
  max_rate_increase: 2,
  weekday_threshold: 3.5,
  count_floor: 0.01,
  share_floor: 0.005,
});
