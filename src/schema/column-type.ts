/**
 * The column types Sluice infers, as small integers so the hot path can switch on them, ordered
 * from the most specific to the least: inference picks the first type every sampled value fits.
 */
export const ColumnType = {
  bool: 1,
  int: 2,
  bigint: 3,
  float: 4,
  date: 5,
  timestamptz: 6,
  text: 7,
  /** Arrays and objects from JSON input (jsonb). Never inferred from text: only JSON values get it. */
  json: 8,
  /** Exact decimals: integers beyond bigint (a double would round a 20-digit id), and wider. */
  numeric: 9,
} as const;

export type ColumnTypeCode = (typeof ColumnType)[keyof typeof ColumnType];
export type ColumnTypeName = keyof typeof ColumnType;

/** Inference tries the types in this order; `text` always fits. */
export const INFERENCE_ORDER: readonly ColumnTypeCode[] = [
  ColumnType.bool, ColumnType.int, ColumnType.bigint, ColumnType.float, ColumnType.numeric,
  ColumnType.date, ColumnType.timestamptz, ColumnType.text,
];

const POSTGRES_TYPE: Record<ColumnTypeCode, string> = {
  1: 'boolean',
  2: 'integer',
  3: 'bigint',
  4: 'double precision',
  5: 'date',
  6: 'timestamp with time zone',
  7: 'text',
  8: 'jsonb',
  9: 'numeric',
};

export function postgresTypeName(code: ColumnTypeCode): string {
  return POSTGRES_TYPE[code];
}

export function columnTypeName(code: ColumnTypeCode): ColumnTypeName {
  for (const [name, value] of Object.entries(ColumnType)) if (value === code) return name as ColumnTypeName;
  throw new RangeError(`unknown column type code ${code}`);
}

/** Maps a PostgreSQL type name (as information_schema or format_type spell it) back to a code. */
export function columnTypeFromPostgres(name: string): ColumnTypeCode {
  switch (name) {
    case 'boolean': return ColumnType.bool;
    case 'integer': case 'smallint': return ColumnType.int;
    case 'bigint': return ColumnType.bigint;
    case 'double precision': case 'real': return ColumnType.float;
    case 'numeric': return ColumnType.numeric;
    case 'date': return ColumnType.date;
    case 'timestamp with time zone': case 'timestamp without time zone': return ColumnType.timestamptz;
    case 'jsonb': case 'json': return ColumnType.json;
    default: return name.startsWith('numeric(') ? ColumnType.numeric : ColumnType.text;
  }
}
