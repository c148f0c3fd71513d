import { ColumnType, type ColumnTypeCode } from '../schema/column-type.js';
import { namesTime } from '../schema/type-inference.js';

/**
 * Which columns of a loaded dataset make a time series: the time column, the series keys and the
 * value columns (ARCHITECTURE.md, TimeSeriesProcessor). Configuration names them; what it leaves
 * out is chosen here from the columns' types, names and cardinality:
 *
 * - time: the configured one, else the first `timestamptz` or `date` column whose name says time
 *   (`ts`, `time`, `*_at`, …), else the first such column at all;
 * - keys: the configured ones, else the columns whose name says identity (`sensor_id`, `symbol`,
 *   `device`, `station`, …) with text, integer or boolean values and few distinct values (at most
 *   10,000, and at most a fifth of the rows). A low-cardinality column without such a name
 *   (`status`, `colour`) is a property of the point, not a series: name it in `timeseries.keys`
 *   to make it one;
 * - values: the configured ones, else every numeric column that is neither a key nor an id.
 */

export interface SeriesColumns {
  time: string;
  timeType: ColumnTypeCode;
  keys: Array<{ name: string; type: ColumnTypeCode }>;
  values: string[];
}

export interface ColumnFacts {
  name: string;
  type: ColumnTypeCode;
  /** Distinct values in this load (the profile's), or undefined when not profiled. */
  distinct?: number;
}

const KEY_NAME = /(^|_)(id|sensor|device|station|symbol|ticker|meter|asset|site|machine|node|host|series|tag|key|channel|instrument|account|store|region|location|unit|probe|gauge|well|pump|turbine|vehicle)(s)?(_|$)|id$/;
const ID_NAME = /(^|_)id$|^id(_|$)/;
const MAX_KEY_VALUES = 10_000;
const KEY_TYPES: readonly ColumnTypeCode[] = [ColumnType.text, ColumnType.int, ColumnType.bigint, ColumnType.bool];
const VALUE_TYPES: readonly ColumnTypeCode[] = [ColumnType.int, ColumnType.bigint, ColumnType.float, ColumnType.numeric];
const TIME_TYPES: readonly ColumnTypeCode[] = [ColumnType.timestamptz, ColumnType.date];

/** Whether a column could be a detected series key by its name and type (its cardinality decides). */
export function mayBeKey(column: { name: string; type: ColumnTypeCode }): boolean {
  return KEY_TYPES.includes(column.type) && KEY_NAME.test(column.name.toLowerCase());
}

/** Whether the table has a column the time could be in. */
export function hasTimeColumn(columns: readonly { type: ColumnTypeCode }[]): boolean {
  return columns.some((c) => TIME_TYPES.includes(c.type));
}

export interface ColumnChoice {
  columns: SeriesColumns | null;
  /** Why there is no series when columns is null. */
  reason: string | null;
}

export interface ConfiguredColumns {
  time?: string;
  keys?: readonly string[];
  values?: readonly string[];
}

export function chooseSeriesColumns(columns: readonly ColumnFacts[], rows: number, configured: ConfiguredColumns = {}): ColumnChoice {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const missing = [configured.time, ...(configured.keys ?? []), ...(configured.values ?? [])].filter((name): name is string => name !== undefined && !byName.has(name));
  if (missing.length > 0) return { columns: null, reason: `configured column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not in the table` };

  const time = configured.time === undefined
    ? columns.find((c) => TIME_TYPES.includes(c.type) && namesTime(c.name)) ?? columns.find((c) => TIME_TYPES.includes(c.type))
    : byName.get(configured.time)!;
  if (time === undefined) return { columns: null, reason: 'no timestamptz or date column' };
  if (!TIME_TYPES.includes(time.type)) return { columns: null, reason: `time column ${time.name} is ${typeName(time.type)}, not a timestamp or date` };

  const keyLimit = Math.min(MAX_KEY_VALUES, Math.max(1, Math.floor(rows / 5)));
  const keys = configured.keys === undefined
    ? columns.filter((c) => c !== time && mayBeKey(c) && c.distinct !== undefined && c.distinct >= 2 && c.distinct <= keyLimit)
    : configured.keys.map((name) => byName.get(name)!);
  const badKey = keys.find((k) => k === time || !KEY_TYPES.includes(k.type));
  if (badKey !== undefined) return { columns: null, reason: `key column ${badKey.name} is ${badKey === time ? 'the time column' : typeName(badKey.type)}; keys are text, integer or boolean columns` };

  const values = configured.values === undefined
    ? columns.filter((c) => c !== time && !keys.includes(c) && VALUE_TYPES.includes(c.type) && !ID_NAME.test(c.name.toLowerCase()))
    : configured.values.map((name) => byName.get(name)!);
  const badValue = values.find((v) => !VALUE_TYPES.includes(v.type) || v === time || keys.includes(v));
  if (badValue !== undefined) return { columns: null, reason: `value column ${badValue.name} is not a numeric column apart from the time and keys` };
  if (values.length === 0) return { columns: null, reason: 'no numeric value column' };

  return {
    columns: { time: time.name, timeType: time.type, keys: keys.map((k) => ({ name: k.name, type: k.type })), values: values.map((v) => v.name) },
    reason: null,
  };
}

function typeName(type: ColumnTypeCode): string {
  return Object.entries(ColumnType).find(([, code]) => code === type)?.[0] ?? String(type);
}
