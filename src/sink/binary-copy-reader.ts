import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { BINARY_COPY_SIGNATURE, PG_EPOCH_MS } from './binary-copy.js';

/**
 * Reads `COPY (…) TO STDOUT (FORMAT binary)`: the fastest way to get many rows out of PostgreSQL
 * into a thread (no text to parse, no row objects from the driver). The stream's chunks end
 * anywhere, so a tuple cut by a chunk boundary is carried into the next; each whole tuple is
 * handed to `onTuple` as one buffer with the start and length (-1: NULL) of every field, in
 * arrays reused from tuple to tuple — a consumer copies what it keeps.
 */

export interface BinaryTuple {
  bytes: Buffer;
  fields: number;
  /** Where each field's bytes start in `bytes`. */
  starts: Int32Array;
  /** Each field's byte length, -1 for NULL. */
  lengths: Int32Array;
  /** Where the tuple starts (its field count) and ends in `bytes`: fields [start + 2, end). */
  start: number;
  end: number;
}

/** Signature, flags (int32), then the header extension's length (int32) and that many bytes. */
const EXTENSION_LENGTH_AT = BINARY_COPY_SIGNATURE.length + 4;
const MAX_FIELDS = 1_600;

export async function readBinaryCopy(client: pg.ClientBase, sql: string, onTuple: (tuple: BinaryTuple) => void): Promise<number> {
  const tuple: BinaryTuple = { bytes: Buffer.alloc(0), fields: 0, starts: new Int32Array(MAX_FIELDS), lengths: new Int32Array(MAX_FIELDS), start: 0, end: 0 };
  let carry: Buffer | null = null;
  let headerDone = false;
  let count = 0;
  let finished = false;
  const stream = client.query(copyTo(sql));
  for await (const piece of stream as AsyncIterable<Buffer>) {
    const bytes: Buffer = carry === null ? piece : Buffer.concat([carry, piece]);
    let at = 0;
    if (!headerDone) {
      if (bytes.length < EXTENSION_LENGTH_AT + 4) { carry = bytes; continue; }
      at = EXTENSION_LENGTH_AT + 4 + bytes.readInt32BE(EXTENSION_LENGTH_AT);
      headerDone = true;
    }
    while (!finished && at + 2 <= bytes.length) {
      const fields = bytes.readInt16BE(at);
      if (fields === -1) { finished = true; at += 2; break; }
      let p = at + 2;
      let whole = true;
      for (let f = 0; f < fields; f++) {
        if (p + 4 > bytes.length) { whole = false; break; }
        const length = bytes.readInt32BE(p);
        p += 4;
        tuple.starts[f] = p;
        tuple.lengths[f] = length;
        if (length > 0) p += length;
        if (p > bytes.length) { whole = false; break; }
      }
      if (!whole) break;
      tuple.bytes = bytes;
      tuple.fields = fields;
      tuple.start = at;
      tuple.end = p;
      onTuple(tuple);
      count++;
      at = p;
    }
    carry = at < bytes.length ? bytes.subarray(at) : null;
  }
  return count;
}

/** int8 / timestamptz field as a double (exact within ±2^53). */
export function readInt64(bytes: Buffer, at: number): number {
  return bytes.readInt32BE(at) * 4_294_967_296 + bytes.readUInt32BE(at + 4);
}

const PG_EPOCH_MICROS = PG_EPOCH_MS * 1000;

/** A timestamptz field as microseconds since 1970-01-01 UTC. */
export function readTimestampMicros(bytes: Buffer, at: number): number {
  return readInt64(bytes, at) + PG_EPOCH_MICROS;
}
