import { ColumnType, type ColumnTypeCode } from '../schema/column-type.js';
import { BINARY_COPY_HEADER, BINARY_COPY_SIGNATURE } from './binary-copy.js';

/**
 * Reading binary COPY data back (binary-copy.ts writes it), for the rare path where PostgreSQL
 * refuses a tuple: the writer finds the tuple its error names, cuts it out, and rejects it with
 * its `_offset` and its values as text. Tuples are walkable without knowing the types: an int16
 * field count, then per field an int32 length (-1: NULL) and that many bytes.
 */

/** Header length: signature (11), flags (4), header extension length (4, always 0 here). */
export const BINARY_HEADER_LENGTH = BINARY_COPY_HEADER.length;

export function isBinaryCopy(data: Uint8Array): boolean {
  if (data.length < BINARY_HEADER_LENGTH) return false;
  for (let k = 0; k < BINARY_COPY_SIGNATURE.length; k++) if (data[k] !== BINARY_COPY_SIGNATURE[k]) return false;
  return true;
}

function view(data: Uint8Array): DataView {
  return new DataView(data.buffer, data.byteOffset, data.byteLength);
}

/** The byte range of the `n`-th tuple (1-based, as PostgreSQL's "line N" counts them), or null. */
export function tupleRange(data: Uint8Array, n: number): { start: number; end: number } | null {
  const dv = view(data);
  let at = BINARY_HEADER_LENGTH;
  for (let tuple = 1; at + 2 <= data.length; tuple++) {
    const fields = dv.getInt16(at);
    if (fields < 0) return null; // the trailer
    const start = at;
    at += 2;
    for (let f = 0; f < fields; f++) {
      const length = dv.getInt32(at);
      at += 4 + Math.max(0, length);
    }
    if (tuple === n) return { start, end: at };
  }
  return null;
}

/**
 * A tuple's `_offset` (its second field, bigint) and its other values as one CSV line (`,`
 * between fields, quoted where needed, NULL empty): a reject row's `raw`. `types` are the columns
 * after the two provenance fields; without them, each value shows as text.
 */
export function tupleText(data: Uint8Array, start: number, types: readonly ColumnTypeCode[] = []): { offset: number; raw: string } {
  const dv = view(data);
  const fields = dv.getInt16(start);
  let at = start + 2;
  let offset = -1;
  const values: string[] = [];
  for (let f = 0; f < fields; f++) {
    const length = dv.getInt32(at);
    at += 4;
    if (f === 1) offset = Number(dv.getBigInt64(at));
    if (f >= 2) values.push(length < 0 ? '' : csvField(valueText(dv, data, at, length, types[f - 2] ?? ColumnType.text)));
    at += Math.max(0, length);
  }
  return { offset, raw: values.join(',') };
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) || text === '' ? `"${text.replaceAll('"', '""')}"` : text;
}

const PG_EPOCH_MS = 10_957 * 86_400_000;

function valueText(dv: DataView, data: Uint8Array, at: number, length: number, type: ColumnTypeCode): string {
  switch (type) {
    case ColumnType.bool: return data[at] === 1 ? 'true' : 'false';
    case ColumnType.int: return String(dv.getInt32(at));
    case ColumnType.bigint: return dv.getBigInt64(at).toString();
    case ColumnType.float: return String(dv.getFloat64(at));
    case ColumnType.date: return new Date(PG_EPOCH_MS + dv.getInt32(at) * 86_400_000).toISOString().slice(0, 10);
    case ColumnType.timestamptz: {
      const micros = dv.getBigInt64(at);
      const ms = Number(micros / 1000n) - (micros % 1000n < 0n ? 1 : 0);
      const within = Number(micros - BigInt(ms) * 1000n);
      return new Date(PG_EPOCH_MS + ms).toISOString().replace('Z', `${String(within).padStart(3, '0')}Z`);
    }
    case ColumnType.json: return Buffer.from(data.buffer, data.byteOffset + at + 1, length - 1).toString('utf8');
    case ColumnType.numeric: return numericText(dv, at);
    default: return Buffer.from(data.buffer, data.byteOffset + at, length).toString('utf8');
  }
}

/** numeric's binary form (ndigits, weight, sign, dscale, base-10000 digits) as decimal text. */
function numericText(dv: DataView, at: number): string {
  const ndigits = dv.getInt16(at);
  const weight = dv.getInt16(at + 2);
  const sign = dv.getUint16(at + 4);
  const dscale = dv.getInt16(at + 6);
  const group = (k: number): number => (k >= 0 && k < ndigits ? dv.getInt16(at + 8 + 2 * k) : 0);
  let integer = '';
  for (let k = 0; k <= weight; k++) integer += k === 0 ? String(group(k)) : String(group(k)).padStart(4, '0');
  let fraction = '';
  for (let k = weight + 1; fraction.length < dscale; k++) fraction += String(group(k)).padStart(4, '0');
  const text = `${integer === '' ? '0' : integer}${dscale > 0 ? `.${fraction.slice(0, dscale)}` : ''}`;
  return sign === 0x4000 ? `-${text}` : text;
}
