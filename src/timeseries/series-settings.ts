import type { DatasetConfig } from '../configuration/config-schema.js';
import type { ConfiguredColumns } from './series-columns.js';
import { DEFAULT_SERIES_OPTIONS, type ImputeMethod, type Interval, type SeriesOptions } from './series-options.js';

/**
 * A dataset's `timeseries` configuration (and `--timeseries` / `--no-timeseries`) as the second
 * pass uses it: whether it runs (`on`, `off`, or `auto`: when detected), which columns it names,
 * the zone of naive times, and the SeriesOptions the workers get (the configured value columns'
 * imputation is set per column once the value columns are known).
 */

export type SeriesMode = 'auto' | 'on' | 'off';

export interface SeriesSettings {
  mode: SeriesMode;
  columns: ConfiguredColumns;
  zone: string | null;
  /** Options without `impute` (per value column: `imputeFor`). */
  options: SeriesOptions;
  impute: ImputeMethod | Readonly<Record<string, ImputeMethod>> | undefined;
  /** Points of a file held in memory at once (its series are processed in groups of keys that fit). */
  memoryPoints: number;
}

type SeriesConfig = NonNullable<DatasetConfig['timeseries']>;

/** About 32 bytes per point with one value column (time, offset, value, and the task's copy): ~130 MB. */
const DEFAULT_MEMORY_POINTS = 4_000_000;

export function intervalFromConfig(interval: SeriesConfig['interval']): Interval | null {
  if (interval === undefined) return null;
  if (typeof interval === 'number') return { kind: 'fixed', micros: interval * 1000 };
  return { kind: 'calendar', months: { month: 1, quarter: 3, year: 12 }[interval] };
}

export function seriesSettings(config: SeriesConfig | undefined, flag: boolean | undefined): SeriesSettings {
  const mode: SeriesMode = flag === false ? 'off' : flag === true ? 'on' : config?.enabled === false ? 'off' : config?.enabled === true ? 'on' : 'auto';
  const windows = config?.features?.windows ?? DEFAULT_SERIES_OPTIONS.windows;
  const zone = config?.zone ?? null;
  const anomalies = config?.anomalies;
  const defaults = DEFAULT_SERIES_OPTIONS.anomaly;
  return {
    mode,
    columns: { time: config?.time, keys: config?.keys, values: config?.values },
    zone,
    impute: config?.impute,
    memoryPoints: config?.memory_points ?? DEFAULT_MEMORY_POINTS,
    options: {
      ...DEFAULT_SERIES_OPTIONS,
      interval: intervalFromConfig(config?.interval),
      duplicates: config?.duplicates ?? DEFAULT_SERIES_OPTIONS.duplicates,
      impute: [],
      // Imputation without a max_gap fills every gap: what was asked for, with nothing left to guess.
      maxGapMicros: config?.max_gap !== undefined ? config.max_gap * 1000 : config?.impute !== undefined ? Number.POSITIVE_INFINITY : null,
      windows,
      lags: config?.features?.lags ?? DEFAULT_SERIES_OPTIONS.lags,
      ewmaAlpha: config?.features?.ewma_alpha ?? 2 / (windows[0] + 1),
      calendarZone: config?.features?.calendar === false ? null : config?.features?.zone ?? zone ?? 'UTC',
      anomaly: {
        window: anomalies?.window ?? defaults.window,
        // Disabled: nothing reaches an infinite threshold, and the scores are still written.
        threshold: anomalies?.enabled === false ? Number.POSITIVE_INFINITY : anomalies?.threshold ?? defaults.threshold,
        minPoints: anomalies?.min_points ?? defaults.minPoints,
        seasonal: anomalies?.seasonal ?? defaults.seasonal,
      },
    },
  };
}

/** The options for a load's value columns: imputation per column, by name. */
export function optionsFor(settings: SeriesSettings, values: readonly string[]): SeriesOptions {
  const { impute } = settings;
  return {
    ...settings.options,
    impute: values.map((name) => (impute === undefined ? 'none' : typeof impute === 'string' ? impute : impute[name] ?? 'none')),
  };
}
