import type pg from 'pg';
import { BINARY_COPY_SIGNATURE, PG_EPOCH_MS } from './binary-copy.js';
import { BINARY_HEADER_LENGTH, isBinaryCopy } from './binary-copy-tuple.js';
import { copyOut } from './copy-out.js';

/**
 * Reads `COPY (…) TO STDOUT (FORMAT binary)`: the fastest way to get many rows out of PostgreSQL
 * into a thread (no text to parse, no row objects from the driver). The data arrives in pieces
 * that end anywhere (copy-out.ts), so a tuple cut by a piece's end is carried into the next; each
 * whole tuple is handed to `onTuple` as one buffer with the start and length (-1: NULL) of every
 * field, in arrays reused from tuple to tuple — a consumer copies what it keeps.
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

/** Binary COPY data, fed as pieces cut anywhere, to whole tuples. */
export class BinaryTupleDecoder {
  /** Tuples handed to onTuple so far. */
  count = 0;
  private readonly tuple: BinaryTuple = { bytes: Buffer.alloc(0), fields: 0, starts: new Int32Array(MAX_FIELDS), lengths: new Int32Array(MAX_FIELDS), start: 0, end: 0 };
  /**
   * The bytes after the last whole tuple, as the pieces that hold them (views: joined once there
   * are `carryNeeds` of them, so a value spanning many pieces is copied once, not once per piece).
   */
  private carry: Buffer[] = [];
  private carryLength = 0;
  private carryNeeds = 0;
  private headerDone = false;
  private finished = false;

  constructor(private readonly onTuple: (tuple: BinaryTuple) => void) {}

  feed(piece: Buffer, start: number, end: number): void {
    if (this.finished || end <= start) return;
    let bytes = piece;
    let at = start;
    let stop = end;
    if (this.carryLength > 0) {
      this.carry.push(piece.subarray(start, end));
      this.carryLength += end - start;
      if (this.carryLength < this.carryNeeds) return;
      bytes = Buffer.concat(this.carry, this.carryLength);
      at = 0;
      stop = bytes.length;
      this.carry = [];
      this.carryLength = 0;
    }
    if (!this.headerDone) {
      if (stop - at < BINARY_HEADER_LENGTH) return this.keep(bytes, at, stop, BINARY_HEADER_LENGTH);
      if (!isBinaryCopy(bytes.subarray(at, stop))) throw new Error('not binary COPY data: the signature is missing');
      const headerEnd = BINARY_HEADER_LENGTH + bytes.readInt32BE(at + EXTENSION_LENGTH_AT);
      if (stop - at < headerEnd) return this.keep(bytes, at, stop, headerEnd);
      at += headerEnd;
      this.headerDone = true;
    }
    const { tuple } = this;
    const { starts, lengths } = tuple;
    while (at + 2 <= stop) {
      const fields = bytes.readInt16BE(at);
      if (fields === -1) {
        this.finished = true;
        return;
      }
      let p = at + 2;
      let needs = 0;
      for (let f = 0; f < fields; f++) {
        if (p + 4 > stop) { needs = p + 4; break; }
        const length = bytes.readInt32BE(p);
        p += 4;
        starts[f] = p;
        lengths[f] = length;
        if (length > 0) p += length;
        if (p > stop) { needs = p; break; }
      }
      if (needs > 0) return this.keep(bytes, at, stop, needs - at);
      tuple.bytes = bytes;
      tuple.fields = fields;
      tuple.start = at;
      tuple.end = p;
      this.onTuple(tuple);
      this.count++;
      at = p;
    }
    if (at < stop) this.keep(bytes, at, stop, 2);
  }

  /** After the last piece: the data must have ended with its trailer. */
  finish(): void {
    if (!this.finished) throw new Error('binary COPY data ended before its trailer');
  }

  private keep(bytes: Buffer, from: number, to: number, needs: number): void {
    this.carry = [bytes.subarray(from, to)];
    this.carryLength = to - from;
    this.carryNeeds = needs;
  }
}

export async function readBinaryCopy(client: pg.ClientBase, sql: string, onTuple: (tuple: BinaryTuple) => void): Promise<number> {
  const decoder = new BinaryTupleDecoder(onTuple);
  await copyOut(client, sql, (bytes, start, end) => decoder.feed(bytes, start, end));
  decoder.finish();
  return decoder.count;
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
