import type pg from 'pg';
import { Document, type YAMLMap } from 'yaml';
import { type ConfigInput, configSchema } from '../../configuration/config-schema.js';
import type { SketchValue } from '../../profile/column-sketch.js';
import { normaliseIdentifier } from '../../schema/identifiers.js';
import type { ColumnFigures } from '../profile/column-profile.js';
import type { ProfiledColumn } from '../profile/profile-stage.js';

/**
 * `sluice rules suggest <dataset>`: validation rules read off what the dataset's profiled loads
 * (the latest `SUGGESTION_LOADS`, ingest.profiles) have always been, printed as configuration that
 * loads as it is. Each rule states a property every one of those loads had, so the data they came
 * from passes them, and a row that breaks the pattern fails:
 *
 * | rule       | when                                                                                                   |
 * |------------|--------------------------------------------------------------------------------------------------------|
 * | not_null   | no NULL in any load                                                                                    |
 * | unique     | integer or text, ≥ 10 values, every value distinct in the latest load (exact count); scope `load` — a profile is per load, so whether values repeat across files is not known. Past 1,024 values the count is a HyperLogLog estimate: ≥ 99 % distinct gives a `warn` rule |
 * | in         | integer or text, exact value sets, at most 10 values, each seen ≥ 5 times on average in the latest load, and no load had a value the latest one lacks (a stable set) |
 * | range      | numbers: min 0 when no load had a negative value, else the lowest value less a margin; max the highest plus a margin (10 % of the observed span, rounded outwards). A unique (key) column gets no max: keys grow |
 *
 * Severity is the default, error: rows that break them are rejected (`RULE:<column>_<kind>`), except
 * the estimated unique rule. Edit the output before use: it describes the past, not intent.
 */

export const SUGGESTION_LOADS = 10;
const MAX_SET = 10;
const MIN_REPEATS = 5;
const MIN_UNIQUE_VALUES = 10;
const NEAR_UNIQUE = 0.99;
const MARGIN = 0.1;

const INTEGER_TYPES: ReadonlySet<string> = new Set(['integer', 'bigint']);
const NUMBER_TYPES: ReadonlySet<string> = new Set(['integer', 'bigint', 'double precision']);
const SET_TYPES: ReadonlySet<string> = new Set(['integer', 'bigint', 'text']);

export interface ColumnLoads {
  name: string;
  /** PostgreSQL type name (the latest load's). */
  type: string;
  /** Newest first: each load's figures and, while distinct was exact, its full value set. */
  loads: Array<{ stats: ColumnFigures; values: SketchValue[] | null }>;
}

export type SuggestedRule = NonNullable<NonNullable<ConfigInput['datasets']>[string]['rules']>[number];

export interface Suggestion {
  rule: SuggestedRule;
  /** Why, in words (a comment above the rule in the YAML). */
  reason: string;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Rounds a bound outwards to the margin's order of magnitude (integers to at least 1). */
function outward(value: number, margin: number, direction: -1 | 1, integer: boolean): number {
  let step = margin > 0 ? 10 ** Math.floor(Math.log10(margin)) : 1;
  if (integer) step = Math.max(1, step);
  const rounded = (direction < 0 ? Math.floor(value / step) : Math.ceil(value / step)) * step;
  // 10 ** -2 * 7 is 0.07000000000000001: print what was meant.
  return Number(rounded.toPrecision(12));
}

function suggestForColumn(column: ColumnLoads): Suggestion[] {
  const suggestions: Suggestion[] = [];
  const [latest] = column.loads;
  const loads = column.loads.length;
  const over = plural(loads, 'load');
  const name = column.name;
  if (latest.stats.count === 0) return suggestions;

  if (column.loads.every((l) => l.stats.nulls === 0 && l.stats.count > 0)) {
    suggestions.push({ rule: { column: name, not_null: true }, reason: `no NULL in ${over}` });
  }

  const values = latest.stats.count - latest.stats.nulls;
  let unique = false;
  if (SET_TYPES.has(column.type) && values >= MIN_UNIQUE_VALUES) {
    if (latest.stats.distinct_exact && latest.stats.distinct === values) {
      unique = true;
      suggestions.push({ rule: { column: name, unique: { scope: 'load' } }, reason: `all ${values} values distinct in the latest load` });
    } else if (!latest.stats.distinct_exact && latest.stats.distinct >= NEAR_UNIQUE * values) {
      unique = true;
      suggestions.push({
        rule: { column: name, unique: { scope: 'load' }, severity: 'warn' },
        reason: `about ${latest.stats.distinct} distinct of ${values} values in the latest load (an estimate: warn)`,
      });
    }
  }

  let inSet = false;
  if (SET_TYPES.has(column.type) && !unique && column.loads.every((l) => l.values !== null)) {
    const union = new Map<string, SketchValue>();
    for (const load of column.loads) for (const v of load.values!) union.set(`${typeof v}:${v}`, v);
    const latestSet = new Set(latest.values!.map((v) => `${typeof v}:${v}`));
    const stable = [...union.keys()].every((k) => latestSet.has(k));
    const short = [...union.values()].every((v) => typeof v !== 'string' || (Buffer.byteLength(v) < 200 && !v.endsWith('…')));
    if (union.size > 0 && union.size <= MAX_SET && stable && short && values >= MIN_REPEATS * union.size) {
      inSet = true;
      const set = [...union.values()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      suggestions.push({ rule: { column: name, in: set }, reason: `the same ${plural(set.length, 'value')} in ${over}` });
    }
  }

  if (NUMBER_TYPES.has(column.type) && !inSet) {
    const mins = column.loads.map((l) => l.stats.min).filter((v): v is number => typeof v === 'number');
    const maxes = column.loads.map((l) => l.stats.max).filter((v): v is number => typeof v === 'number');
    if (mins.length > 0 && maxes.length > 0) {
      const lo = Math.min(...mins);
      const hi = Math.max(...maxes);
      const integer = INTEGER_TYPES.has(column.type);
      const margin = hi > lo ? MARGIN * (hi - lo) : Math.max(MARGIN * Math.abs(hi), integer ? 1 : 0);
      const min = lo >= 0 ? 0 : outward(lo - margin, margin, -1, integer);
      const range: { min: number; max?: number } = { min };
      if (!unique) range.max = outward(hi + margin, margin, 1, integer);
      const observed = `${lo} to ${hi} in ${over}`;
      const reason = lo >= 0
        ? `never negative (${observed})${unique ? '; a key, so no max' : ', plus a margin'}`
        : `${observed}, plus a margin`;
      suggestions.push({ rule: { column: name, range }, reason });
    }
  }
  return suggestions;
}

export function suggestRules(columns: readonly ColumnLoads[]): Suggestion[] {
  return columns.flatMap(suggestForColumn);
}

/** A column's full value set while its distinct count was exact, in the column's terms; else null. */
function valueSet(profiled: ProfiledColumn): SketchValue[] | null {
  const distinct = profiled.state.distinct;
  if (!('exact' in distinct)) return null;
  return distinct.exact.map(([, , value]) => (typeof value === 'number' ? value + profiled.origin : value));
}

/** The latest profiled loads' columns, in the latest load's column order; null when the dataset has no profiled load. */
export async function readColumnLoads(client: pg.ClientBase, dataset: string): Promise<{ dataset: string; loads: number; columns: ColumnLoads[] } | null> {
  const names = [dataset, normaliseIdentifier(dataset, dataset)];
  const loads = await client.query<{ id: number; dataset: string }>(
    `SELECT f.id::float8 AS id, f.dataset FROM ingest.files f
      WHERE f.dataset = ANY($1::text[]) AND f.status = 'loaded' AND EXISTS (SELECT 1 FROM ingest.profiles p WHERE p.file_id = f.id)
      ORDER BY coalesce(f.finished_at, f.created_at) DESC, f.id DESC LIMIT $2`, [names, SUGGESTION_LOADS]);
  if (loads.rows.length === 0) return null;
  const ids = loads.rows.map((r) => r.id);
  const profiles = await client.query<{ file_id: number; column_name: string; column_type: string; state: ProfiledColumn; stats: ColumnFigures }>(
    `SELECT file_id::float8 AS file_id, column_name, column_type, state, stats FROM ingest.profiles
      WHERE file_id = ANY($1::bigint[]) ORDER BY column_no, column_name`, [ids]);
  const order = new Map(ids.map((id, i) => [id, i]));
  const latestColumns = profiles.rows.filter((r) => r.file_id === ids[0]);
  const columns = latestColumns.map((latest) => ({
    name: latest.column_name,
    type: latest.column_type,
    loads: profiles.rows
      .filter((r) => r.column_name === latest.column_name && r.column_type === latest.column_type)
      .sort((a, b) => order.get(a.file_id)! - order.get(b.file_id)!)
      .map((r) => ({ stats: r.stats, values: valueSet(r.state) })),
  }));
  return { dataset: loads.rows[0].dataset, loads: ids.length, columns };
}

/** The configuration the suggestions make, checked against the configuration schema (what `--config` will read). */
export function suggestedConfig(dataset: string, suggestions: readonly Suggestion[]): ConfigInput {
  const config: ConfigInput = { datasets: { [dataset]: { rules: suggestions.map((s) => s.rule) } } };
  configSchema.parse(config);
  return config;
}

/** As YAML, one flow mapping per rule under a comment saying why. */
export function formatSuggestedConfig(dataset: string, suggestions: readonly Suggestion[], loads: number): string {
  const doc = new Document(suggestedConfig(dataset, suggestions));
  doc.commentBefore = ` Rules suggested from the latest ${plural(loads, 'profiled load')} of ${dataset} (sluice rules suggest): review before use.`;
  const rules = doc.getIn(['datasets', dataset, 'rules'], true) as { items: YAMLMap[] };
  rules.items.forEach((node, i) => {
    node.flow = true;
    node.commentBefore = ` ${suggestions[i].reason}`;
  });
  return doc.toString({ lineWidth: 0 });
}
