import { ColumnType, type ColumnTypeCode } from './column-type.js';
import { fitsCandidate } from './type-inference.js';
import { type ColumnFormat, normaliseValue, ValueFormat } from './value-format.js';

/**
 * Widening a column during a load, when a value the sample did not show does not fit the type the
 * sniffer chose: the column moves to the narrowest wider type that holds the value, never back.
 *
 *   int ─▶ bigint ─▶ double precision ─▶ numeric ─▶ text       (an integer beyond bigint skips the double)
 *   boolean ─▶ text
 *   date ─▶ timestamptz                                         (a value with a time of day)
 *
 * A date column does not become text: its values were recognised as dates (often in a format of
 * their own, `31/01/2024`), so a value that is no date (`32/01/2024`) is a bad row, a CAST reject,
 * not a sign that the column was never a date. Every value of a narrower type is a valid literal
 * of the wider ones, so rows already copied stay valid, and PostgreSQL's cast (`ALTER … TYPE …
 * USING`) converts rows already loaded.
 */

const NUMBER_FAMILY: readonly ColumnTypeCode[] = [ColumnType.int, ColumnType.bigint, ColumnType.float, ColumnType.numeric];
const TIME_FAMILY: readonly ColumnTypeCode[] = [ColumnType.date, ColumnType.timestamptz];

/** The types a column of `type` may widen to, narrowest first (empty: it does not widen). */
export function widerTypes(type: ColumnTypeCode): readonly ColumnTypeCode[] {
  const numeric = NUMBER_FAMILY.indexOf(type);
  if (numeric !== -1) return [...NUMBER_FAMILY.slice(numeric + 1), ColumnType.text];
  const time = TIME_FAMILY.indexOf(type);
  if (time !== -1) return TIME_FAMILY.slice(time + 1);
  if (type === ColumnType.bool) return [ColumnType.text];
  return [];
}

/** The narrowest type that holds the values of both (`a` itself when it already holds `b`'s). */
export function joinTypes(a: ColumnTypeCode, b: ColumnTypeCode): ColumnTypeCode {
  if (a === b) return a;
  for (const family of [NUMBER_FAMILY, TIME_FAMILY]) {
    const ia = family.indexOf(a);
    const ib = family.indexOf(b);
    if (ia !== -1 && ib !== -1) return family[Math.max(ia, ib)];
  }
  if (a === ColumnType.json || b === ColumnType.json) return a;
  return ColumnType.text;
}

/** What the sniffer knew of a column: how its values are written, and for which other types a format fitted them. */
export interface WideningBase {
  format: ColumnFormat;
  formatsByType: Partial<Record<ColumnTypeCode, ColumnFormat>>;
}

const DATE_FORMATS: ReadonlySet<number> = new Set([ValueFormat.ymdSlash, ValueFormat.dmy, ValueFormat.mdy, ValueFormat.monthDayYear, ValueFormat.dayMonthYear]);
const NUMBER_FORMATS: ReadonlySet<number> = new Set([ValueFormat.thousandsComma, ValueFormat.thousandsDot, ValueFormat.thousandsSpace]);

/**
 * The format a widened column reads its values in: the one the sample fitted for that type, else
 * the column's own when it applies to the wider type too (thousands separators for any number,
 * day/month order for a timestamp); null tokens stay NULL. A column widened to text reads every
 * value as written, as any text column does (`NA` is text there): rewritten values are written
 * unquoted, which a text value may not be.
 */
export function formatForType(base: WideningBase, type: ColumnTypeCode): ColumnFormat {
  const nullTokens = base.format.nullTokens;
  if (type === ColumnType.text) return { format: ValueFormat.plain, nullTokens: false };
  const fitted = base.formatsByType[type];
  if (fitted !== undefined) return { format: fitted.format, nullTokens: fitted.nullTokens || nullTokens };
  const own = base.format.format;
  if (NUMBER_FAMILY.includes(type) && NUMBER_FORMATS.has(own)) return { format: own, nullTokens };
  if (type === ColumnType.timestamptz && DATE_FORMATS.has(own)) return { format: own, nullTokens };
  return { format: ValueFormat.plain, nullTokens };
}

/**
 * The narrowest type wider than `type` that the value bytes[start,end) fits, read in that type's
 * format (text at worst); `type` itself when it does not widen. Rare path: a value that did not fit.
 */
export function widenFor(type: ColumnTypeCode, base: WideningBase, bytes: Uint8Array, start: number, end: number, scratch: Uint8Array): ColumnTypeCode {
  for (const wider of widerTypes(type)) {
    if (wider === ColumnType.text) return wider;
    const format = formatForType(base, wider);
    const fits = format.format === ValueFormat.plain
      ? fitsCandidate({ type: wider, format: ValueFormat.plain }, bytes, start, end, scratch)
      : normaliseValue(wider, format, bytes, start, end, scratch) >= 0;
    if (fits) return wider;
  }
  return type;
}
