import { ColumnType, type ColumnTypeCode } from '../../schema/column-type.js';
import { candidatesFor, ColumnTypeAccumulator } from '../../schema/type-inference.js';
import { fitsType } from '../../schema/value-checks.js';
import { type ColumnFormat, isNullToken, isPlain, ValueFormat } from '../../schema/value-format.js';

/**
 * The CSV value formats for JSON string values: a string column whose values are dates written
 * as `2001/01/01 00:47` or `31.12.2023`, numbers with decimal commas (`"3,14"`, `"1.234,5"`), or
 * typed values with null tokens (`"N/A"`), is read as the type they write, and the workers
 * normalise each value as the CSV parser does (schema/value-format.ts). Strings of plain digits
 * stay text, as JSON's own rule has it (a number in quotes was quoted on purpose); so do plain
 * booleans in quotes. Decided from the column's sampled strings, like the CSV sniffer's types.
 */

/** A formatted candidate, or a plain date or time (which JSON strings already read as typed). */
function allowed(candidate: { type: ColumnTypeCode; format: number }): boolean {
  if (candidate.type === ColumnType.text) return true;
  if (candidate.type === ColumnType.date || candidate.type === ColumnType.timestamptz) return candidate.format !== ValueFormat.epochSeconds && candidate.format !== ValueFormat.epochMillis;
  return candidate.format !== ValueFormat.plain;
}

const CANDIDATES = candidatesFor({}, false).filter(allowed);
const NUMERIC: ReadonlySet<ColumnTypeCode> = new Set([ColumnType.int, ColumnType.bigint, ColumnType.float, ColumnType.numeric]);

function isNullText(sample: string): boolean {
  const bytes = Buffer.from(sample.trim(), 'utf8');
  return bytes.length === 0 || isNullToken(bytes, 0, bytes.length);
}

/** The type and format a string column's samples are written in; null: keep the sniffer's own type. */
export function stringColumnFormat(samples: readonly string[]): { type: ColumnTypeCode; format: ColumnFormat } | null {
  if (samples.length === 0) return null;
  const accumulator = new ColumnTypeAccumulator(1, CANDIDATES);
  for (const sample of samples) {
    const bytes = Buffer.from(sample, 'utf8');
    accumulator.addField(0, bytes, 0, bytes.length);
  }
  const [inferred] = accumulator.result();
  if (inferred.type === ColumnType.text || isPlain(inferred.format)) return null;
  // Numbers only when some value needs the format (`3,14`): quoted plain digits stay text.
  if (NUMERIC.has(inferred.type) && samples.every((sample) => isNullText(sample) || fitsType(inferred.type, Buffer.from(sample, 'utf8'), 0, Buffer.byteLength(sample)))) return null;
  return { type: inferred.type, format: inferred.format };
}
