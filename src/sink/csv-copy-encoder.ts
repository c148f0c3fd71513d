import type { ColumnBatch } from '../batch/column-batch.js';
import type { ByteSink } from '../formats/byte-sink.js';

const LF = 0x0a;
const CR = 0x0d;
/** Values at least this long are copied with one native call; shorter ones by the loop that also looks for bytes to quote. */
const NATIVE_COPY = 64;

/**
 * A ColumnBatch as COPY CSV rows (`FORMAT csv` with this delimiter and quote): per row kept,
 * `<file id><d><offset>` then each column not dropped. NULL is an empty unquoted field; an empty
 * text value is `""` (COPY reads that as an empty string); a value holding the delimiter, the
 * quote or a line end is quoted with its quotes doubled. The reference encoder: binary COPY
 * (binary-copy-encoder.ts) must load the same table (test/sink/copy-format-differential.test.ts).
 *
 * Hot path: rows are written straight into the sink's array (room checked inline, for a value's
 * worst case: quoted, every byte a doubled quote), with no view or string per value.
 */
export function encodeCsvCopy(batch: ColumnBatch, fileId: number, delimiter: number, quote: number, sink: ByteSink): number {
  const special = new Uint8Array(256);
  special[delimiter] = 1;
  special[quote] = 1;
  special[LF] = 1;
  special[CR] = 1;
  const prefix = Buffer.from(`${fileId}${String.fromCharCode(delimiter)}`, 'latin1');
  const columns = batch.columns.filter((c) => !c.dropped);
  for (const column of columns) batch.writeNumberText(column);
  const columnCount = columns.length;
  const bytes = batch.bytes;
  let rows = 0;
  for (let r = 0; r < batch.rowCount; r++) {
    if (batch.rejected[r] === 1) continue;
    rows++;
    // Room for the prefix, up to 16 digits of offset (< 2^53) and the row's LF; each value below
    // makes sure of room for itself at its worst (quoted, every byte a doubled quote) and the LF.
    let out = sink.reserve(prefix.length + 18);
    let at = sink.length;
    for (let k = 0; k < prefix.length; k++) out[at++] = prefix[k];
    at = writeUint(out, at, batch.rowOffset[r]);
    for (let c = 0; c < columnCount; c++) {
      const column = columns[c];
      const isNull = column.nulls[r] === 1;
      const start = column.starts[r];
      const end = isNull ? start : column.ends[r];
      // The delimiter, the value at its worst, and the row's LF.
      const worst = 2 * (end - start) + 4;
      if (at + worst > out.length) { sink.length = at; out = sink.reserve(worst); }
      out[at++] = delimiter;
      if (isNull) continue;
      const valueAt = at;
      let quoted = start === end ? 1 : 0;
      if (end - start >= NATIVE_COPY) {
        for (let i = start; quoted === 0 && i < end; i++) quoted = special[bytes[i]];
        if (quoted === 0) { out.set(bytes.subarray(start, end), at); at += end - start; continue; }
      } else {
        for (let i = start; i < end; i++) { const b = bytes[i]; out[at++] = b; quoted |= special[b]; }
        if (quoted === 0) continue;
      }
      at = valueAt;
      out[at++] = quote;
      for (let i = start; i < end; i++) {
        const b = bytes[i];
        out[at++] = b;
        if (b === quote) out[at++] = quote;
      }
      out[at++] = quote;
    }
    out[at++] = LF;
    sink.length = at;
  }
  return rows;
}

/** Writes a non-negative integer as ASCII digits at `at`; returns the index after it. */
function writeUint(out: Uint8Array, at: number, value: number): number {
  // Offsets below 2^31 (files under 2 GiB, and most chunks of larger ones) take int32 division,
  // which V8 turns into a multiply; the rest take the float path.
  const small = value < 0x80000000;
  let digits = 1;
  for (let v = value; v >= 10; v = small ? (v / 10) | 0 : Math.floor(v / 10)) digits++;
  let k = at + digits;
  let v = value;
  do {
    const next = small ? (v / 10) | 0 : Math.floor(v / 10);
    out[--k] = 0x30 + (v - next * 10);
    v = next;
  } while (v > 0);
  return at + digits;
}
