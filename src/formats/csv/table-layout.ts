/**
 * Where the table starts in a sniffed sample and how wide it is, from the field count of each
 * record: lines before it (a title, "exported on …", a `key<TAB>value` block) are a preamble; the
 * header is the first line with the rows' width — or a name-like line one field wider or narrower
 * just above them (a trailing delimiter, a name the rows lack a value for, R's unnamed row-name
 * column).
 */

/** Leading lines that may precede the header without being data. */
export const MAX_PREAMBLE_LINES = 20;
/** Fields of a title block's lines: `key<TAB>value`, or one title per line. */
const MAX_TITLE_FIELDS = 2;

export interface TableLocation {
  /** Records before the table's first line (the header, or the first row). */
  preamble: number;
  /** Fields of the table's rows. */
  fields: number;
  /** Fields of the table's first line: `fields`, or one more or fewer for a header of another width. */
  headerWidth: number;
}

/**
 * `counts`: fields per record, in order; `mode`: the most common count; `nameLike(r)`: whether
 * record r reads as a header (asked only of a wider block's first line, to tell a title block
 * above a table from a narrow table that ends in wider rows).
 */
export function locateTable(counts: readonly number[], mode: number, nameLike: (record: number) => boolean): TableLocation {
  const titled = titleBlockBeforeTable(counts, mode, nameLike);
  if (titled !== null) return titled;
  let first = -1;
  for (let r = 0; r < Math.min(counts.length, MAX_PREAMBLE_LINES + 1); r++) {
    if (counts[r] === mode) { first = r; break; }
  }
  if (first <= 0) return { preamble: 0, fields: mode, headerWidth: mode };
  // One line one field wider or narrower just above the rows, not itself part of a block of such
  // lines, may be their header (it is, if it is name-like: see the sniffer).
  const above = counts[first - 1];
  if (Math.abs(above - mode) === 1 && (first === 1 || counts[first - 2] !== above)) return { preamble: first - 1, fields: mode, headerWidth: above };
  return { preamble: first, fields: mode, headerWidth: mode };
}

/**
 * A short block of narrow lines (`key<TAB>value`) followed by a wider table that runs to the end
 * of the sample, under a name-like first line: the table, even when it has fewer lines than the
 * block (where the most common width would pick the block). Null when the records are not shaped
 * so, or the table is the mode anyway.
 */
function titleBlockBeforeTable(counts: readonly number[], mode: number, nameLike: (record: number) => boolean): TableLocation | null {
  const n = counts.length;
  const narrow = counts[0];
  if (n < 3 || narrow !== mode || narrow > MAX_TITLE_FIELDS) return null;
  let k = 1;
  while (k < n && counts[k] === narrow) k++;
  if (k > MAX_PREAMBLE_LINES || n - k < 2) return null;
  const wide = counts[k];
  if (wide <= narrow) return null;
  for (let r = k + 1; r < n; r++) if (counts[r] !== wide) return null;
  return nameLike(k) ? { preamble: k, fields: wide, headerWidth: wide } : null;
}

const PLAIN_NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
/** Thousands commas (`100,000.00`), a decimal comma (`12,5`), or both with thousands dots (`1.234,5`). */
const COMMA_NUMBER = /^[-+]?(\d{1,3}(,\d{3})+(\.\d+)?|\d+,\d+|\d{1,3}(\.\d{3})+,\d+)$/;
/** Numbers no two-column reading would give: several comma groups, groups and a fraction, dots and a comma. */
const UNMISTAKABLE = /^[-+]?(\d{1,3}((,\d{3}){2,}|,\d{3}\.\d+)(\.\d+)?|\d{1,3}(\.\d{3})+,\d+)$/;
const THOUSANDS_COMMA = /^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/;

export interface CommaNumbers {
  /** Every comma of the records lies inside a number: the file is one column. */
  numeric: boolean;
  /** The commas are decimal commas (`12,5`), not thousands separators (`12,500`). */
  decimalComma: boolean;
}

/**
 * Whether the commas in `texts` (records, the first maybe a header) only come from how numbers are
 * written — a one-column file of `12,5` or `100,000.00`, which a comma split would read as two
 * columns. With a header of one name the rows decide; without one, `1,2` lines are as likely two
 * columns of integers, so only numbers no split would give (`1,234,567`, `1,234.5`), or rows that
 * mix plain and comma numbers, make it one column.
 */
export function commaNumbers(texts: readonly string[]): CommaNumbers {
  const no = { numeric: false, decimalComma: false };
  if (texts.length < 2) return no;
  let commas = 0;
  let plain = 0;
  let unmistakable = 0;
  let decimal = 0;
  for (let r = 1; r < texts.length; r++) {
    const text = unquoted(texts[r].trim());
    if (PLAIN_NUMBER.test(text)) { plain++; continue; }
    if (!COMMA_NUMBER.test(text)) return no;
    commas++;
    if (UNMISTAKABLE.test(text)) unmistakable++;
    if (!THOUSANDS_COMMA.test(text)) decimal++;
  }
  if (commas === 0) return no;
  const first = unquoted(texts[0].trim());
  const firstIsNumber = PLAIN_NUMBER.test(first) || COMMA_NUMBER.test(first);
  if (firstIsNumber) {
    if (plain === 0 && unmistakable === 0) return no;
  } else if (first.includes(',')) {
    return no;
  }
  return { numeric: true, decimalComma: decimal > 0 };
}

function unquoted(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

/** Header-like: every name non-empty with a letter, not too long, no two alike. */
export function isNameLike(names: readonly string[]): boolean {
  return names.length > 0 && new Set(names).size === names.length && names.every((v) => v.trim() !== '' && v.length <= 128 && /\p{L}/u.test(v));
}
