import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import type pg from 'pg';

/**
 * `COPY … TO STDOUT` read straight off the connection's socket: every CopyData payload is handed
 * to `onData` as a view of the socket chunk that holds it, in order — a payload cut by a chunk
 * boundary arrives as two calls. Nothing is copied and no stream sits in between.
 *
 *   socket chunk ─┬─ 'H' CopyOutResponse, 'N' / 'S' / 'A' (may come between rows): skipped
 *                 ├─ 'd' CopyData ─────────────── onData(chunk, start, end)
 *                 ├─ 'c' CopyDone ─┐
 *                 └─ 'E' Error ────┴─ the socket goes back to pg with the rest of the chunk:
 *                                     CommandComplete / ErrorResponse, then ReadyForQuery, settle it
 *
 * Why not pg-copy-streams' `to()` (the reference in test/sink/copy-out.test.ts and
 * bench/copy-out-reader.ts): it frames each message through a buffer list and hands the data on
 * as a Readable; PostgreSQL sends one CopyData message per row, and at a million rows that framing
 * kept the main thread ~0.2 µs a row behind what the server sends, the read-back of a file's rows
 * taking twice what PostgreSQL needs to produce them. Taking the socket over while the COPY runs
 * is how pg-copy-streams does it too: pg's own parser never sees these messages.
 *
 * `onData` runs synchronously per chunk, so the socket needs no backpressure of its own: a slow
 * consumer holds the event loop, and the kernel's receive window holds the server. A consumer that
 * throws fails the query once the server has finished (its remaining data is read and dropped), so
 * the connection stays usable.
 */

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'
/** Message type byte and the int32 length (which counts itself, not the type byte). */
const HEADER_BYTES = 5;

export type CopyOutData = (bytes: Buffer, start: number, end: number) => void;

export class CopyOut {
  /** Rows the server reports (CommandComplete `COPY n`). */
  rowCount = 0;
  readonly done: Promise<number>;
  private resolveDone!: (rows: number) => void;
  private rejectDone!: (error: Error) => void;
  private stream: Socket | undefined;
  private pgData: ((chunk: Buffer) => void) | undefined;
  /** The first bytes of a message header cut by a chunk boundary. */
  private headerCarry: Buffer | null = null;
  /** Bytes of the current message still to come in later chunks, and whether they are CopyData. */
  private remaining = 0;
  private remainingIsData = false;
  private failure: Error | null = null;
  private settled = false;
  private readonly onChunk = (chunk: Buffer): void => this.read(chunk);

  constructor(readonly text: string, private readonly onData: CopyOutData) {
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
  }

  /** Called by pg when the query's turn comes: take the socket, then send the query. */
  submit(connection: { stream: Socket; query: (text: string) => void }): void {
    const stream = connection.stream;
    const listeners = stream.listeners('data') as Array<(chunk: Buffer) => void>;
    assert.equal(listeners.length, 1, 'a pg connection has one data listener: its protocol parser');
    this.pgData = listeners[0];
    this.stream = stream;
    stream.removeListener('data', this.pgData);
    stream.on('data', this.onChunk);
    connection.query(this.text);
  }

  private read(incoming: Buffer): void {
    let chunk = incoming;
    if (this.headerCarry !== null) {
      chunk = Buffer.concat([this.headerCarry, incoming]);
      this.headerCarry = null;
    }
    let at = 0;
    if (this.remaining > 0) {
      const take = Math.min(this.remaining, chunk.length);
      if (this.remainingIsData) this.deliver(chunk, 0, take);
      this.remaining -= take;
      at = take;
    }
    while (at < chunk.length) {
      if (chunk.length - at < HEADER_BYTES) {
        this.headerCarry = Buffer.from(chunk.subarray(at));
        return;
      }
      const code = chunk[at];
      if (code === ERROR_RESPONSE) {
        this.release(chunk.subarray(at));
        return;
      }
      const end = at + 1 + chunk.readInt32BE(at + 1);
      const bodyEnd = Math.min(end, chunk.length);
      if (code === COPY_DATA) this.deliver(chunk, at + HEADER_BYTES, bodyEnd);
      if (end > chunk.length) {
        this.remaining = end - chunk.length;
        this.remainingIsData = code === COPY_DATA;
        return;
      }
      at = end;
      if (code === COPY_DONE) {
        this.release(chunk.subarray(at));
        return;
      }
      // CopyOutResponse, and the NoticeResponse / ParameterStatus / NotificationResponse the
      // protocol allows between CopyData messages: nothing this reader needs.
    }
  }

  private deliver(chunk: Buffer, start: number, end: number): void {
    if (this.failure !== null || end <= start) return;
    try {
      this.onData(chunk, start, end);
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
    }
  }

  /** Gives the socket back to pg's parser, with what it holds after the COPY's data. */
  private release(rest: Buffer): void {
    const { stream, pgData } = this;
    if (stream === undefined || pgData === undefined) return;
    this.stream = undefined;
    stream.removeListener('data', this.onChunk);
    stream.on('data', pgData);
    if (rest.length > 0) pgData(rest);
  }

  handleCommandComplete(message: { text?: string }): void {
    const match = /COPY (\d+)/.exec(message.text ?? '');
    if (match !== null) this.rowCount = Number(match[1]);
  }

  handleReadyForQuery(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.failure !== null) this.rejectDone(this.failure);
    else this.resolveDone(this.rowCount);
  }

  /** An ErrorResponse, or the connection lost (then the socket is of no use to anyone). */
  handleError(error: Error): void {
    this.release(Buffer.alloc(0));
    if (this.settled) return;
    this.settled = true;
    this.rejectDone(this.failure ?? error);
  }
}

/** Runs `sql` (a `COPY … TO STDOUT`) on `client`, each CopyData payload to `onData`; resolves with the server's row count. */
export function copyOut(client: pg.ClientBase, sql: string, onData: CopyOutData): Promise<number> {
  const query = new CopyOut(sql, onData);
  client.query(query as unknown as pg.Submittable);
  return query.done;
}
