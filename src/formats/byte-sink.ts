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
    // Buffer#copy copies without allocating a view; the loop and set(subarray) measure within
    // 10% of it for row-sized runs (bench/row-copy), so plain arrays take set().
    if (Buffer.isBuffer(source)) source.copy(bytes, this.length, start, end);
    else bytes.set(source.subarray(start, end), this.length);
    this.length += count;
  }

  /** Appends a non-negative integer as ASCII digits without building a string. */
  pushUint(value: number): void {
    const bytes = this.reserve(20);
    let digits = 1;
    for (let v = value; v >= 10; v = Math.floor(v / 10)) digits++;
    let at = this.length + digits - 1;
    let v = value;
    // Int32 arithmetic while it fits (offsets of files under 2 GiB): no float division.
    while (v > 0x7fffffff) { const q = Math.floor(v / 10); bytes[at--] = 0x30 + (v - q * 10); v = q; }
    let small = v | 0;
    do { const q = (small / 10) | 0; bytes[at--] = 0x30 + (small - q * 10); small = q; } while (small > 0);
    this.length += digits;
  }

  pushString(text: string): void {
    const encoded = Buffer.from(text, 'utf8');
    this.pushBytes(encoded, 0, encoded.length);
  }
}
