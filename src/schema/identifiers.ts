/**
 * Safe PostgreSQL identifiers from whatever a file's header says. PostgreSQL truncates names to
 * 63 bytes with only a NOTICE, so two long headers can silently become one column; and header text
 * is attacker-controlled. Every name is therefore normalised to snake_case ASCII, truncated to
 * fit *before* deduplication, made unique with a numeric suffix, and still quoted wherever it is
 * used (`pg.escapeIdentifier`). The source text is kept next to it in the catalog.
 */

export const MAX_IDENTIFIER_BYTES = 63;

/** Names Sluice adds to every staging table; a header may not take them. */
export const RESERVED_COLUMNS: ReadonlySet<string> = new Set(['_file', '_offset']);

/** snake_case ASCII: accents folded, anything else becomes `_`, runs collapsed, no leading digit. */
export function normaliseIdentifier(source: string, fallback: string): string {
  let name = source
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (name === '') name = fallback;
  if (/^[0-9]/.test(name)) name = `c_${name}`;
  return name.slice(0, MAX_IDENTIFIER_BYTES).replace(/_+$/, '') || fallback;
}

/**
 * Column names for a header: normalised, unique (case-insensitively, after truncation), never a
 * reserved provenance name. Empty headers become `column_<n>` (1-based position).
 */
export function columnNamesFor(headers: readonly string[]): string[] {
  const taken = new Set<string>(RESERVED_COLUMNS);
  const names: string[] = [];
  for (let index = 0; index < headers.length; index++) {
    const base = normaliseIdentifier(headers[index], `column_${index + 1}`);
    names.push(claimUnique(base, taken));
  }
  return names;
}

/** `base`, or `base_2`, `base_3`, … — truncated so the suffix always fits in 63 bytes. */
export function claimUnique(base: string, taken: Set<string>): string {
  let candidate = base;
  for (let n = 2; taken.has(candidate); n++) {
    const suffix = `_${n}`;
    candidate = base.slice(0, MAX_IDENTIFIER_BYTES - suffix.length) + suffix;
  }
  taken.add(candidate);
  return candidate;
}

/** A dataset name (a table name in `staging`) from a file name or a user's choice. */
export function datasetNameFor(source: string): string {
  return normaliseIdentifier(source.replace(/\.[^.]*$/, ''), 'dataset');
}
