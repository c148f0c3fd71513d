import { z } from 'zod';
import { HISTORY_DEFAULTS } from './history-defaults.js';
import { parseExpression } from '../expression/parse-expression.js';
import { normaliseIdentifier } from '../schema/identifiers.js';
import { parseDuration } from './duration.js';

/**
 * The configuration file's shape (ARCHITECTURE.md, "Configuration"). Every key is optional and
 * every object is strict: a misspelt key is an error naming its path, never silently ignored —
 * a rule that quietly does nothing is worse than a load that refuses to start. Defaults and
 * meanings live in `.describe()` so a stage can read its options, and a reader the file's, here.
 */

/** A YAML scalar read as the text it stands for (`Y`, `1` and `true` are all tokens). */
const token = z.union([z.string(), z.number(), z.boolean()]).transform((value) => String(value));

const duration = (what: string) => z.string()
  .describe(`${what}: a duration with units (500ms, 90s, 10m, 2h, 2d, 1w, 1h30m); parsed to milliseconds`)
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as 90s, 10m, 2d or 1h30m, got ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    return ms;
  });

/**
 * An expression of derived columns and check rules: its syntax is checked here, so a typo fails at
 * start; it stays text, because its types can only be checked against the file's columns.
 */
const expression = (what: string) => z.string().min(1).describe(what).superRefine((source, ctx) => {
  try {
    parseExpression(source);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

const columnName = z.string().min(1).describe('a column, by its name in the staging table (after renames)');

/** Column types a standard column may be given, by PostgreSQL name or Sluice's short name. */
const TYPE_NAMES: Readonly<Record<string, string>> = {
  boolean: 'boolean', bool: 'boolean',
  integer: 'integer', int: 'integer',
  bigint: 'bigint',
  'double precision': 'double precision', float: 'double precision',
  numeric: 'numeric',
  date: 'date',
  'timestamp with time zone': 'timestamp with time zone', timestamptz: 'timestamp with time zone',
  text: 'text',
  jsonb: 'jsonb', json: 'jsonb',
  uuid: 'uuid',
};

const columnType = z.string()
  .describe(`PostgreSQL type of the column: ${Object.keys(TYPE_NAMES).join(', ')}; normalised to the PostgreSQL name`)
  .transform((name, ctx) => {
    const canonical = TYPE_NAMES[name.trim().toLowerCase()];
    if (canonical === undefined) {
      ctx.addIssue({ code: 'custom', message: `unknown type ${JSON.stringify(name)} (one of ${Object.keys(TYPE_NAMES).join(', ')})` });
      return z.NEVER;
    }
    return canonical;
  });

const bounds = (what: string, value: z.ZodNumber) => z.strictObject({
  min: value.optional().describe(`smallest ${what} allowed (inclusive); default: no lower bound`),
  max: value.optional().describe(`largest ${what} allowed (inclusive); default: no upper bound`),
}).superRefine((b, ctx) => {
  if (b.min === undefined && b.max === undefined) ctx.addIssue({ code: 'custom', message: 'needs min, max or both' });
  else if (b.min !== undefined && b.max !== undefined && b.min > b.max) ctx.addIssue({ code: 'custom', message: `min ${b.min} is above max ${b.max}`, path: ['min'] });
});

const regexSource = z.string().describe('a JavaScript regular expression (no flags); a value passes when it matches somewhere — anchor with ^…$ for the whole value')
  .superRefine((source, ctx) => {
    try {
      new RegExp(source, 'u');
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}` });
    }
  });

const columnSpec = z.strictObject({
  from: z.union([z.string().min(1).transform((s) => [s]), z.array(z.string().min(1)).min(1)]).optional()
    .describe('source header names (or JSON paths) that load into this column, first present wins; default: the column name itself'),
  type: columnType.optional().describe('the column type instead of the inferred one; default: inferred'),
  scale: z.number().finite().optional().describe('unit conversion: value × scale + offset; default 1'),
  offset: z.number().finite().optional().describe('unit conversion: value × scale + offset; default 0'),
}).describe('a standard column: the target name is the key');

/** The kinds of transform step; a step is exactly one of them. */
export const TRANSFORM_KINDS = ['column', 'derive', 'drop', 'rename'] as const;
const COLUMN_STEP_KEYS = ['trim', 'case', 'booleans', 'map', 'null_tokens', 'scale', 'offset'] as const;

const transformStep = z.strictObject({
  column: z.union([columnName.transform((s) => [s]), z.array(columnName).min(1)]).optional()
    .describe('column step: the column(s) the options below apply to, in the order trim, null_tokens, case, map, booleans, scale/offset'),
  trim: z.boolean().optional().describe('column step: strip leading and trailing white space; default false'),
  case: z.enum(['lower', 'upper']).optional().describe('column step: fold the case of text; default unchanged'),
  booleans: z.strictObject({
    true: z.array(token).min(1).describe('words read as true'),
    false: z.array(token).min(1).describe('words read as false'),
  }).optional().describe('column step: words read as booleans (compared case-insensitively); the column becomes boolean'),
  map: z.record(z.string(), z.union([token, z.null()])).optional().describe('column step: whole values replaced (null makes the value NULL)'),
  null_tokens: z.array(token).min(1).optional().describe('column step: values read as NULL (exactly, after trim)'),
  scale: z.number().finite().optional().describe('column step: value × scale + offset; default 1'),
  offset: z.number().finite().optional().describe('column step: value × scale + offset; default 0'),
  derive: columnName.optional().describe('derive step: the new column'),
  expr: expression('derive step: its expression (arithmetic, comparison, coalesce, || concatenation)').optional(),
  drop: z.union([columnName.transform((s) => [s]), z.array(columnName).min(1)]).optional().describe('drop step: columns not loaded'),
  rename: z.record(z.string(), columnName).optional().describe('rename step: old name → new name'),
}).superRefine((step, ctx) => {
  const kinds = TRANSFORM_KINDS.filter((k) => step[k] !== undefined);
  if (kinds.length !== 1) {
    ctx.addIssue({ code: 'custom', message: kinds.length === 0 ? `a step needs one of ${TRANSFORM_KINDS.join(', ')}` : `a step is one of ${TRANSFORM_KINDS.join(', ')}, got ${kinds.join(' and ')}` });
    return;
  }
  const kind = kinds[0];
  const options = COLUMN_STEP_KEYS.filter((k) => step[k] !== undefined);
  if (kind === 'column' && options.length === 0) ctx.addIssue({ code: 'custom', message: `a column step needs one of ${COLUMN_STEP_KEYS.join(', ')}` });
  if (kind !== 'column') for (const key of options) ctx.addIssue({ code: 'custom', path: [key], message: `${key} belongs to a column step, not a ${kind} step` });
  if (kind === 'derive' && step.expr === undefined) ctx.addIssue({ code: 'custom', path: ['expr'], message: 'a derive step needs expr' });
  if (kind !== 'derive' && step.expr !== undefined) ctx.addIssue({ code: 'custom', path: ['expr'], message: 'expr belongs to a derive step' });
  if (step.booleans !== undefined) {
    const truthy = new Set(step.booleans.true.map((w) => w.toLowerCase()));
    const both = step.booleans.false.filter((w) => truthy.has(w.toLowerCase()));
    if (both.length > 0) ctx.addIssue({ code: 'custom', path: ['booleans'], message: `${JSON.stringify(both[0])} is both true and false` });
  }
});

/** The kinds of rule; a rule is exactly one of them. */
export const RULE_KINDS = ['range', 'regex', 'in', 'not_null', 'unique', 'length', 'check', 'freshness', 'rows'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
/** Rules about one column's values (the others are about rows, or the load as a whole). */
const COLUMN_RULES: ReadonlySet<RuleKind> = new Set(['range', 'regex', 'in', 'not_null', 'unique', 'length', 'freshness']);

const ruleSpec = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a rule name is letters, digits, _ . -').optional()
    .describe('the rule\'s name, in rejects (RULE:<name>) and the summary; default <column>_<kind> (or <kind>)'),
  column: columnName.optional().describe('the column a value rule applies to (required for range, regex, in, not_null, unique, length, freshness)'),
  severity: z.enum(['error', 'warn']).default('error').describe('error (default): the row is rejected as RULE:<name>; warn: the row loads and the failure is counted'),
  range: bounds('value', z.number()).optional().describe('numeric range rule'),
  regex: regexSource.optional().describe('pattern rule on the value as text'),
  in: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).optional().describe('allowed-set rule'),
  not_null: z.literal(true).optional().describe('the value must be present'),
  unique: z.union([z.literal(true), z.strictObject({
    scope: z.enum(['load', 'table']).default('table').describe('load: no duplicate within this load; table (default): nor against rows already in the table'),
  })]).optional().describe('uniqueness rule (true = scope table)'),
  length: bounds('text length (characters)', z.number().int().nonnegative()).optional().describe('text length rule'),
  check: expression('cross-field rule: an expression over the row that must be true (e.g. end_at >= start_at)').optional(),
  freshness: duration('the newest value of the column must be no older than this at load time').optional(),
  rows: bounds('row count of a load', z.number().int().nonnegative()).optional().describe('row-count bounds for the load as a whole'),
}).superRefine((rule, ctx) => {
  const kinds = RULE_KINDS.filter((k) => rule[k] !== undefined);
  if (kinds.length !== 1) {
    ctx.addIssue({ code: 'custom', message: kinds.length === 0 ? `a rule needs one of ${RULE_KINDS.join(', ')}` : `a rule has exactly one kind, got ${kinds.join(' and ')}` });
    return;
  }
  const kind = kinds[0];
  if (COLUMN_RULES.has(kind) && rule.column === undefined) ctx.addIssue({ code: 'custom', path: ['column'], message: `a ${kind} rule needs a column` });
  if (kind === 'rows' && rule.column !== undefined) ctx.addIssue({ code: 'custom', path: ['column'], message: 'a rows rule counts the load\'s rows and takes no column' });
}).transform((rule) => {
  const kind = RULE_KINDS.find((k) => rule[k] !== undefined)!;
  const name = rule.name ?? (rule.column !== undefined ? `${rule.column}_${kind}` : kind);
  // `unique: true` is the table scope, so a stage reads one shape.
  const { unique, ...rest } = rule;
  return { ...rest, kind, name, ...(unique === undefined ? {} : { unique: unique === true ? { scope: 'table' as const } : unique }) };
});

const DIMENSIONS = ['completeness', 'uniqueness', 'validity', 'consistency', 'timeliness', 'accuracy'] as const;

const qualitySpec = z.strictObject({
  weights: z.strictObject(Object.fromEntries(DIMENSIONS.map((d) => [d, z.number().finite().nonnegative().optional().describe(`weight of ${d} in score; default 1`)])) as Record<(typeof DIMENSIONS)[number], z.ZodOptional<z.ZodNumber>>)
    .optional().describe('weights of the dimensions in the score (a weighted mean over the assessed ones); default 1 each'),
  alert_below: z.number().min(0).max(1).optional().describe('a load whose score falls below this raises an alert (alerts.min_score, which wins when both are given); default: none'),
});

const anomalySpec = z.strictObject({
  enabled: z.boolean().default(true).describe('value anomaly detection; on by default'),
  columns: z.array(columnName).optional().describe('numeric and low-cardinality text columns to check; default: all of them'),
  threshold: z.number().positive().default(3.5).describe('robust z-score (|x − median| / (1.4826 · MAD), with a scale floor) above which a value is anomalous; default 3.5'),
  iqr: z.number().positive().optional().describe('also flag values beyond the IQR fences Q1 − k·IQR, Q3 + k·IQR with this k (1.5 is Tukey\'s); default off'),
});

/**
 * A load's metrics against the dataset's earlier loads (src/stages/history/). Deequ's OnlineNormal
 * defaults: deviation factor 3 below and above, anomalies left out of the running mean and stddev.
 */
const historySpec = z.strictObject({
  enabled: z.boolean().default(HISTORY_DEFAULTS.enabled).describe('record every load\'s metrics in ingest.quality_history and compare each load with the earlier ones; on by default'),
  min_loads: z.number().int().min(2).default(HISTORY_DEFAULTS.min_loads).describe('earlier loads needed before a load is compared (fewer: "not enough history"); also per metric, counting its non-anomalous points; default 5'),
  max_loads: z.number().int().min(2).default(HISTORY_DEFAULTS.max_loads).describe('the latest this many earlier loads form the history; default 100'),
  k: z.number().positive().default(HISTORY_DEFAULTS.k).describe('OnlineNormal: a value outside mean ± k · stddev of the history (population stddev, as Deequ) departs; default 3 (Deequ\'s lower and upper deviation factor)'),
  max_rate_decrease: z.number().positive().default(HISTORY_DEFAULTS.max_rate_decrease).describe('relative rate of change of counts (rows, distinct values): value / previous load\'s below this departs; default 0.5'),
  max_rate_increase: z.number().positive().default(HISTORY_DEFAULTS.max_rate_increase).describe('relative rate of change of counts: value / previous load\'s above this departs; default 2'),
  weekday_threshold: z.number().positive().default(HISTORY_DEFAULTS.weekday_threshold).describe('once the history spans 3 weeks with 3 loads on the load\'s weekday: robust z (|x − median| / 1.4826 · MAD) against those loads above this departs; default 3.5'),
  count_floor: z.number().nonnegative().default(HISTORY_DEFAULTS.count_floor).describe('counts: the stddev (and MAD scale) is at least this share of the mean (and at least 1); default 0.01'),
  share_floor: z.number().nonnegative().default(HISTORY_DEFAULTS.share_floor).describe('rates and quality dimensions (0..1): the stddev is at least this (and at least the binomial standard error of the load); default 0.005'),
}).superRefine((h, ctx) => {
  if (h.max_rate_decrease >= 1) ctx.addIssue({ code: 'custom', path: ['max_rate_decrease'], message: `expected a ratio below 1, got ${h.max_rate_decrease}` });
  if (h.max_rate_increase <= 1) ctx.addIssue({ code: 'custom', path: ['max_rate_increase'], message: `expected a ratio above 1, got ${h.max_rate_increase}` });
});

const share = (what: string) => z.number().min(0).max(1).optional().describe(what);

/** Thresholds that raise quality.alert events (src/stages/history/quality-alerts.ts). */
const alertSpec = z.strictObject({
  min_score: share('a load whose score is below this raises an alert (rule min_score, severity critical); default: quality.alert_below, else none'),
  ...Object.fromEntries(DIMENSIONS.map((d) => [`min_${d}`, share(`a load whose ${d} is below this raises an alert (rule min_${d}, severity critical); not assessed (null) raises none; default none`)])) as Record<`min_${(typeof DIMENSIONS)[number]}`, ReturnType<typeof share>>,
  max_reject_rate: share('a load whose rejected / (rows + rejected) is above this raises an alert (rule max_reject_rate, severity critical); default none'),
  on_metric_anomaly: z.boolean().default(false).describe('each metric anomaly of the load raises an alert (rule metric_anomaly, severity warning); default false'),
});

/** A sampling interval: a duration (ms), or a calendar step whose length varies (month, quarter, year). */
const seriesInterval = z.union([
  z.enum(['month', 'quarter', 'year']).describe('a calendar step: month, quarter or year'),
  duration('sampling interval'),
]);

const imputeMethod = z.enum(['linear', 'locf', 'none']);

/** An IANA time zone this Node.js knows (Intl), checked at start rather than at the first load. */
const timeZone = z.string().min(1).superRefine((zone, ctx) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    ctx.addIssue({ code: 'custom', message: `unknown time zone ${JSON.stringify(zone)} (an IANA name such as Europe/Berlin or UTC)` });
  }
});

const timeseriesSpec = z.strictObject({
  enabled: z.boolean().optional().describe('true: always process the dataset as time series (a load without a time column fails the stage); false: never; default: when detected (src/timeseries/series-detection.ts)'),
  time: columnName.optional().describe('the time column; default: detected'),
  keys: z.array(columnName).optional().describe('series key columns; default: detected ([] for one series)'),
  values: z.array(columnName).min(1).optional().describe('value columns; default: every numeric column that is not a key or an id'),
  interval: seriesInterval.optional().describe('sampling interval (a duration, or month | quarter | year); default: detected per series'),
  zone: timeZone.optional().describe('IANA zone of the time values written without an offset (and of dates): they are wall-clock times there; a value written with an offset keeps its instant; default: UTC'),
  duplicates: z.enum(['last', 'first', 'mean']).default('last').describe('two points of a series at one time: keep the last (in file order), the first, or the mean of each value; default last'),
  impute: z.union([imputeMethod, z.record(z.string(), imputeMethod)]).optional().describe('how gaps are filled: one method for every value column, or per value column (linear, locf, none); default none'),
  max_gap: duration('longest gap filled').optional().describe('longest gap (from the point before it to the point after it) that is filled; longer gaps stay gaps; default: every gap when impute is set'),
  features: z.strictObject({
    windows: z.array(z.number().int().positive().max(100_000)).min(1).optional().describe('rolling windows in samples (mean, std, min, max); default [10]'),
    lags: z.array(z.number().int().positive().max(100_000)).min(1).optional().describe('lags in samples (lag and diff features); default [1]'),
    ewma_alpha: z.number().gt(0).max(1).optional().describe('EWMA smoothing factor; default 2 / (first window + 1)'),
    calendar: z.boolean().optional().describe('calendar parts (hour, weekday, month); default true'),
    zone: timeZone.optional().describe('IANA zone the calendar parts are taken in; default: timeseries.zone, else UTC'),
  }).optional(),
  memory_points: z.number().int().min(10_000).optional().describe('points of one file the pass holds in memory at once: a file with more is processed in groups of series keys that fit (each series whole); default 4,000,000'),
  anomalies: z.strictObject({
    enabled: z.boolean().default(true).describe('flag anomalies in each series; default true'),
    window: z.number().int().min(4).max(100_000).optional().describe('trailing observed points the robust score is computed against; default 60'),
    threshold: z.number().positive().optional().describe('robust z at or above which a point is flagged; default 5'),
    min_points: z.number().int().min(3).optional().describe('points the window needs before anything is scored; default 12'),
    seasonal: z.boolean().optional().describe('score against the same time of day / week once two seasons are there; default true'),
  }).optional(),
});
const catalogSpec = z.strictObject({
  tags: z.array(z.string().trim().min(1).max(100)).max(50).optional().describe('tags added to the dataset in the catalog at each load (tags set through the API are kept)'),
  description: z.string().max(10_000).optional().describe('the dataset\'s description in the catalog, written at each load'),
  owner: z.string().max(200).optional().describe('the dataset\'s owner in the catalog, written at each load'),
});

const datasetSpec = z.strictObject({
  match: z.union([z.string().min(1).transform((s) => [s]), z.array(z.string().min(1)).min(1)]).optional()
    .describe('globs (picomatch) of the files that belong to this dataset, tried against the path as given and as absolute; the first dataset that matches wins; --dataset wins over all'),
  schema: z.strictObject({
    policy: z.enum(['evolve', 'freeze']).default('evolve').describe('evolve (default): new columns added, types widened; freeze: rows that do not fit are rejected'),
  }).optional(),
  columns: z.record(columnName, columnSpec).optional().describe('standard columns: target name → sources, type, unit conversion'),
  transforms: z.array(transformStep).optional().describe('transform steps, applied in order'),
  rules: z.array(ruleSpec).optional().describe('validation rules'),
  profile: z.strictObject({
    enabled: z.boolean().default(true).describe('column profiles (counts, distinct, quantiles, top values, patterns) and the quality scores built on them; on by default'),
  }).optional(),
  quality: qualitySpec.optional(),
  anomalies: anomalySpec.optional(),
  history: historySpec.optional().describe('quality history and metric anomalies across loads'),
  alerts: alertSpec.optional().describe('quality.alert thresholds'),
  timeseries: timeseriesSpec.optional(),
  catalog: catalogSpec.optional(),
}).superRefine((dataset, ctx) => {
  const seen = new Map<string, number>();
  dataset.rules?.forEach((rule, index) => {
    if (seen.has(rule.name)) ctx.addIssue({ code: 'custom', path: ['rules', index, 'name'], message: `rule name ${JSON.stringify(rule.name)} is already used by rules[${seen.get(rule.name)}]` });
    else seen.set(rule.name, index);
  });
});

export const configSchema = z.strictObject({
  datasets: z.record(z.string(), datasetSpec).default({}).superRefine((datasets, ctx) => {
    for (const name of Object.keys(datasets)) {
      const safe = normaliseIdentifier(name, 'dataset');
      if (safe !== name) ctx.addIssue({ code: 'custom', path: [name], message: `a dataset name is a table name: lower-case letters, digits and _ (${JSON.stringify(safe)})` });
    }
  }).describe('per dataset (the key is the dataset name, staging.<name>): how its files are found, shaped, checked and profiled'),
});

/** The configuration as written (every key optional). */
export type ConfigInput = z.input<typeof configSchema>;
/** The configuration as validated: defaults filled, durations in ms, single names as lists. */
export type SluiceConfig = z.output<typeof configSchema>;
export type DatasetConfig = SluiceConfig['datasets'][string];
export type RuleConfig = NonNullable<DatasetConfig['rules']>[number];
export type HistoryConfig = z.output<typeof historySpec>;
export type AlertConfig = z.output<typeof alertSpec>;
export type TransformStepConfig = NonNullable<DatasetConfig['transforms']>[number];
