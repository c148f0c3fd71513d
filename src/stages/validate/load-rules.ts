import pg from 'pg';
import type { RuleConfig } from '../../configuration/config-schema.js';
import { SluiceError } from '../../errors.js';
import { readingFileRows } from '../../sink/file-rows-index.js';
import type { SummaryValidation } from '../../summary.js';
import { inDataset } from '../dataset-config-error.js';
import { type FinishedLoad, type LoadFinisher, registerFinisher } from '../load-finish.js';
import { bindRules } from './row-rules.js';
import type { ValidateReport } from './validate-stage.js';

/**
 * The rules only the whole load can answer, checked in SQL on the staging table inside the
 * transaction that completes the file (so what they move and what they decide commits, or rolls
 * back, with the file):
 *
 * - unique: rows whose value appeared before — by (_file, _offset), within this load (scope load)
 *   or in the whole table (scope table) — are this file's duplicates. Severity error moves them
 *   from staging to ingest.rejects as RULE:<name> (the finisher's `rejected`, which completeFile
 *   moves from the file's rows to its rejected); warn counts them.
 *   Rows of other files are never touched. NULLs are not duplicates (SQL's UNIQUE).
 * - freshness: the newest value of the column in this load is no older than the duration at load
 *   time (a load with no value at all is not fresh). rows: the rows this load kept are within the
 *   bounds. With severity error a failure fails the load (SLUICE_ERR_RULE; the file is failed and
 *   nothing it loaded stays counted as loaded); warn counts it as one failure.
 *
 * The summary's `validation` is every rule in the configuration's order: the row rules' counts from
 * the validate stage's folded report, these from here. A moved duplicate's reject has no line (its
 * line in the file is not in the table): chunk_line 0, line NULL.
 */

const LOAD_RULE_KINDS: ReadonlySet<RuleConfig['kind']> = new Set(['unique', 'freshness', 'rows']);

function entry(rule: RuleConfig, failed: number): SummaryValidation {
  return { rule: rule.name, column: rule.column ?? null, severity: rule.severity, failed };
}

/** Duplicates of this file's rows by the rule's column: moved to the rejects (error) or counted (warn). */
async function checkUnique(load: FinishedLoad, rule: RuleConfig): Promise<number> {
  const column = pg.escapeIdentifier(rule.column!);
  const tableScope = rule.unique!.scope === 'table';
  // Two files completing at once must not each keep a value the other kept.
  if (tableScope) await load.client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sluice:unique:${load.dataset}:${rule.name}`]);
  const candidates = tableScope
    ? `${column} IN (SELECT ${column} FROM ${load.table} WHERE _file = $1 AND ${column} IS NOT NULL)`
    : '_file = $1';
  const ranked = `
    SELECT ctid AS _sluice_ctid, _file, _offset, ${column}::text AS _sluice_value,
           row_number() OVER w AS _sluice_n, first_value(_file) OVER w AS _sluice_first_file, first_value(_offset) OVER w AS _sluice_first_offset
      FROM ${load.table}
     WHERE ${column} IS NOT NULL AND ${candidates}
    WINDOW w AS (PARTITION BY ${column} ORDER BY _file, _offset)`;
  // A load-scoped rule reads this file's rows alone.
  const query = <R extends pg.QueryResultRow>(sql: string, values: unknown[]) =>
    (tableScope ? load.client.query<R>(sql, values) : readingFileRows(load.client, () => load.client.query<R>(sql, values)));
  if (rule.severity === 'warn') {
    const counted = await query<{ n: string }>(`SELECT count(*) AS n FROM (${ranked}) d WHERE d._sluice_n > 1 AND d._file = $1`, [load.fileId]);
    return Number(counted.rows[0].n);
  }
  const moved = await query<{ n: string }>(`
    WITH duplicate AS (SELECT * FROM (${ranked}) d WHERE d._sluice_n > 1 AND d._file = $1),
    moved AS (
      DELETE FROM ${load.table} t USING duplicate d WHERE t.ctid = d._sluice_ctid
      RETURNING t._offset, (to_jsonb(t) - '_file' - '_offset')::text AS raw, d._sluice_value, d._sluice_first_file, d._sluice_first_offset),
    rejected AS (
      INSERT INTO ingest.rejects (file_id, chunk_no, chunk_line, byte_offset, reason, detail, raw)
      SELECT $1, coalesce(c.chunk_no, 0), 0, m._offset, $2,
             $3 || to_jsonb(m._sluice_value)::text || ' (first at byte ' || m._sluice_first_offset
               || CASE WHEN m._sluice_first_file = $1 THEN '' ELSE ' of file ' || m._sluice_first_file END || ')',
             m.raw
        FROM moved m LEFT JOIN ingest.chunks c ON c.file_id = $1 AND m._offset >= c.byte_start AND m._offset < c.byte_end
      RETURNING chunk_no)
    SELECT (SELECT count(*) FROM rejected) AS n`, [load.fileId, `RULE:${rule.name}`, `column ${rule.column}: `]);
  return Number(moved.rows[0].n);
}

/** 1 when the newest value of this load is older than the rule's duration (or there is none), else 0. */
async function checkFreshness(load: FinishedLoad, rule: RuleConfig): Promise<{ failed: number; newest: string | null }> {
  const column = pg.escapeIdentifier(rule.column!);
  const result = await readingFileRows(load.client, () => load.client.query<{ fresh: boolean | null; newest: string | null }>(
    `SELECT max(${column})::timestamptz >= now() - $2::double precision * interval '1 millisecond' AS fresh, max(${column})::text AS newest
       FROM ${load.table} WHERE _file = $1`, [load.fileId, rule.freshness]));
  const { fresh, newest } = result.rows[0];
  return { failed: fresh === true ? 0 : 1, newest };
}

function failLoad(rule: RuleConfig, message: string): never {
  throw new SluiceError('SLUICE_ERR_RULE', `rule ${rule.name}: ${message}`);
}

export const loadRules: LoadFinisher = {
  name: 'validate',
  async finish(load) {
    const rules = load.datasetConfig?.rules ?? [];
    if (rules.length === 0) return { summary: {} };
    // A rule on a column the table does not have fails here rather than as SQL.
    inDataset(load.dataset, () => bindRules(rules.filter((r) => LOAD_RULE_KINDS.has(r.kind)), load.columns));
    const found = new Map<string, SummaryValidation>();
    for (const rowEntry of (load.reports.validate as ValidateReport | undefined) ?? []) found.set(rowEntry.rule, rowEntry);
    let moved = 0;
    for (const rule of rules.filter((r) => r.kind === 'unique')) {
      const failed = await checkUnique(load, rule);
      if (rule.severity === 'error') moved += failed;
      found.set(rule.name, entry(rule, failed));
    }
    for (const rule of rules.filter((r) => r.kind === 'freshness')) {
      const { failed, newest } = await checkFreshness(load, rule);
      if (failed > 0 && rule.severity === 'error') {
        failLoad(rule, newest === null ? `no value of ${rule.column} in this load` : `the newest ${rule.column} (${newest}) is older than ${rule.freshness} ms`);
      }
      found.set(rule.name, entry(rule, failed));
    }
    const kept = load.rows - moved;
    for (const rule of rules.filter((r) => r.kind === 'rows')) {
      const { min, max } = rule.rows!;
      const failed = (min !== undefined && kept < min) || (max !== undefined && kept > max) ? 1 : 0;
      if (failed > 0 && rule.severity === 'error') failLoad(rule, `the load kept ${kept} rows, outside ${min ?? 0}..${max ?? '∞'}`);
      found.set(rule.name, entry(rule, failed));
    }
    const validation = rules.flatMap((rule) => found.get(rule.name) ?? []);
    return { summary: { validation }, rejected: moved };
  },
};

registerFinisher(loadRules);
