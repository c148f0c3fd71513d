/**
 * An append-only byte buffer that writes into a caller-provided region (a slot of a shared ring)
 * and, only if that region is too small, continues in memory of its own. The common case costs
 * nothing but index arithmetic; the rare overflow (a chunk of tiny rows, whose prefixes outgrow
 * the slot) stays correct instead of failing.
 */
export class ByteSink {
  private bytes: Uint8Array;
  private readonly region: Uint8Array;
  length = 0;

  constructor(region: Uint8Array) {
    this.region = region;
    this.bytes = region;
  }

  /** True when the output no longer lives in the caller's region. */
  get overflowed(): boolean {
    return this.bytes !== this.region;
  }

  /** The written bytes (a view of the region, or of the overflow buffer). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  /** Makes room for `extra` more bytes; returns the array to write into (it may have moved). */
  reserve(extra: number): Uint8Array {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return this.bytes;
    let capacity = Math.max(this.bytes.length * 2, 64 * 1024);
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(new ArrayBuffer(capacity));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    return grown;
  }

  pushByte(byte: number): void {
    const bytes = this.length < this.bytes.length ? this.bytes : this.reserve(1);
    bytes[this.length++] = byte;
  }

  pushBytes(source: Uint8Array, start: number, end: number): void {
    const count = end - start;
    const bytes = this.reserve(count);
    // Short runs are cheaper as a loop than as a native copy through a fresh subarray view.
    if (count < 48) {
      let at = this.length;
      for (let i = start; i < end; i++) bytes[at++] = source[i];
    } else {
      bytes.set(source.subarray(start, end), this.length);
    }
    this.length += count;
  }

  /** Appends a non-negative integer as ASCII digits without building a string. */
  pushUint(value: number): void {
    const bytes = this.reserve(20);
    if (value === 0) { bytes[this.length++] = 0x30; return; }
    let digits = 0;
    for (let v = value; v > 0; v = Math.floor(v / 10)) digits++;
    let at = this.length + digits - 1;
    for (let v = value; v > 0; v = Math.floor(v / 10)) bytes[at--] = 0x30 + (v % 10);
    this.length += digits;
  }

  pushString(text: string): void {
    const encoded = Buffer.from(text, 'utf8');
    this.pushBytes(encoded, 0, encoded.length);
  }
}
