import { open } from 'node:fs/promises';
import { SpoolWriter } from './spool-writer.js';

/**
 * The second pass over a spooled sheet, for the few sheets whose shape is only known at the end
 * of the first: a row wider than the header (a merged or empty header cell over data), columns
 * that hold nothing at all (a table indented from column A), or a column that mixed midnight dates
 * with date-times (its `2024-01-02` fields become `2024-01-02T00:00:00.000`, which a
 * `timestamptz` column takes). Streaming and byte-level, so memory stays one read buffer.
 *
 * It reads only what the first pass writes: LF-terminated rows, `,` between fields, strings
 * always in double quotes with `""` inside, every other field unquoted and free of `,`, `"`
 * and LF. So one flag (inside quotes or not) is the whole parser state: the two quotes of a `""`
 * toggle it twice.
 */

export interface ReshapePlan {
  /** Per source column (0-based): whether it is written. */
  keep: readonly boolean[];
  /** Per source column: whether its unquoted 10-character fields (dates) get a midnight time. */
  widen: readonly boolean[];
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const READ_BYTES = 1024 * 1024;
const MIDNIGHT = Buffer.from('T00:00:00.000');

export class CsvReshaper {
  private column = 0;
  private inQuote = false;
  private quoted = false;
  private fieldLength = 0;
  private keptInRow = 0;
  private readonly width: number;

  constructor(private readonly plan: ReshapePlan, private readonly out: SpoolWriter) {
    this.width = plan.keep.length;
    this.beginField();
  }

  private beginField(): void {
    if (this.plan.keep[this.column] !== true) return;
    if (this.keptInRow > 0) this.out.writeByte(COMMA);
    this.keptInRow++;
  }

  private endField(): void {
    if (this.plan.keep[this.column] === true && this.plan.widen[this.column] === true && !this.quoted && this.fieldLength === 10) {
      for (let i = 0; i < MIDNIGHT.length; i++) this.out.writeByte(MIDNIGHT[i]);
    }
    this.quoted = false;
    this.fieldLength = 0;
  }

  private endRow(): void {
    this.endField();
    // Pad a short row with empty fields up to the full width.
    for (let c = this.column + 1; c < this.width; c++) {
      if (this.plan.keep[c] !== true) continue;
      if (this.keptInRow > 0) this.out.writeByte(COMMA);
      this.keptInRow++;
    }
    this.out.writeByte(LF);
    this.column = 0;
    this.keptInRow = 0;
    this.beginField();
  }

  /** Feeds bytes[0, length); the output grows by about as much (flush it between pushes). */
  push(bytes: Uint8Array, length: number): void {
    const out = this.out;
    for (let i = 0; i < length; i++) {
      const b = bytes[i];
      if (this.inQuote) {
        if (b === QUOTE) this.inQuote = false;
      } else if (b === QUOTE) {
        this.inQuote = true;
        this.quoted = true;
      } else if (b === COMMA) {
        this.endField();
        this.column++;
        this.beginField();
        continue;
      } else if (b === LF) {
        this.endRow();
        continue;
      }
      if (this.plan.keep[this.column] === true) out.writeByte(b);
      this.fieldLength++;
    }
  }

  /** Ends a last row that has no newline (the first pass always writes one). */
  end(): void {
    if (this.column > 0 || this.fieldLength > 0) this.endRow();
  }
}

/** Rewrites the spooled CSV at `from` into a new file at `to` by `plan`; returns the bytes written. */
export async function reshapeCsv(from: string, to: string, plan: ReshapePlan): Promise<number> {
  const input = await open(from, 'r');
  const out = await SpoolWriter.create(to);
  try {
    const reshaper = new CsvReshaper(plan, out);
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      const { bytesRead } = await input.read(buffer, 0, READ_BYTES, null);
      if (bytesRead === 0) break;
      reshaper.push(buffer, bytesRead);
      await out.flush();
    }
    reshaper.end();
    await out.close();
    return out.bytes;
  } catch (error) {
    await out.abandon();
    throw error;
  } finally {
    await input.close();
  }
}
