/**
 * An exact sum of float64 values, so that the sum of a column does not depend on how the file was
 * cut into chunks or in which order the chunks are merged. Adding goes into Shewchuk's expansion
 * (non-overlapping partials, error-free two-sum) in a fixed Float64Array: no allocation per value.
 * The serialised form is canonical: the exact total as a BigInt counted in units of 2^-1074 (the
 * smallest subnormal), written as a hexadecimal string, so merge is BigInt addition and two states
 * holding the same total are the same string. Only finite values belong here.
 */

const CAPACITY = 64;
/** Values this large go straight to the BigInt, so partials can never overflow to Infinity. */
const HUGE = 2 ** 960;
const SCALE_BITS = 1074n;

const bitsView = new DataView(new ArrayBuffer(8));

/** The exact value of a finite double in units of 2^-1074. */
export function doubleToScaled(x: number): bigint {
  bitsView.setFloat64(0, x);
  const high = bitsView.getUint32(0);
  const low = bitsView.getUint32(4);
  const exponent = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  if (exponent !== 0) mantissa = (mantissa | (1n << 52n)) << BigInt(exponent - 1);
  return high >>> 31 ? -mantissa : mantissa;
}

/**
 * Rounds an exact total (units of 2^-1074) to the nearest double, ties to even (a total in the
 * subnormal range, below 2^-1022, may round twice).
 */
export function scaledToDouble(scaled: bigint): number {
  const negative = scaled < 0n;
  let magnitude = negative ? -scaled : scaled;
  const bits = magnitude.toString(2).length;
  // Keep 60 significant bits plus a sticky bit: Number() then rounds once, correctly.
  let shift = 0;
  if (bits > 60) {
    shift = bits - 60;
    const dropped = magnitude & ((1n << BigInt(shift)) - 1n);
    magnitude >>= BigInt(shift);
    if (dropped !== 0n) magnitude |= 1n;
  }
  const exponent = shift - Number(SCALE_BITS);
  // Two power-of-two steps: 2^-1074 itself underflows as a single factor beyond the subnormal range.
  let value = Number(magnitude) * 2 ** Math.max(exponent, -1000);
  if (exponent < -1000) value *= 2 ** (exponent + 1000);
  return negative ? -value : value;
}

export class ExactSum {
  private readonly partials = new Float64Array(CAPACITY);
  private used = 0;
  private overflow = 0n;

  add(x: number): void {
    if (x >= HUGE || x <= -HUGE) {
      this.overflow += doubleToScaled(x);
      return;
    }
    const p = this.partials;
    let kept = 0;
    for (let j = 0; j < this.used; j++) {
      let y = p[j];
      if (Math.abs(x) < Math.abs(y)) {
        const t = x;
        x = y;
        y = t;
      }
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) p[kept++] = lo;
      x = hi;
    }
    if (kept === CAPACITY) {
      this.used = kept;
      this.flush();
      kept = 0;
    }
    p[kept++] = x;
    this.used = kept;
  }

  /**
   * Adds values[0, count) (finite), overwriting them. Rump, Ogita and Oishi's error-free extraction
   * ("Accurate floating-point summation part I", 2008, Lemma 3.3): with σ a power of two at least
   * 2^⌈log2 count⌉ times every |value|, q = (σ + x) − σ and x − q split each value exactly, the q
   * are multiples of 2^-53 σ whose sum cannot leave 53 bits, so one plain float loop sums them
   * exactly. A few such levels take a column's bits from the top down; what is left (values too
   * large or too small for the bounds, rarely anything) goes through add().
   */
  addAll(values: Float64Array, count: number): void {
    if (count < 16) {
      for (let i = 0; i < count; i++) this.add(values[i]);
      return;
    }
    let bound = 0;
    for (let i = 0; i < count; i++) bound = Math.max(bound, Math.abs(values[i]));
    const spread = Math.ceil(Math.log2(count + 1));
    for (let level = 0; level < 4 && bound !== 0; level++) {
      // floor(log2) may be off by one at a power of two: +2 keeps σ ≥ 2^spread · bound.
      const k = Math.floor(Math.log2(bound)) + 2 + spread;
      if (k > 1000 || k < -960) break;
      const sigma = 2 ** k;
      let sum = 0;
      bound = 0;
      for (let i = 0; i < count; i++) {
        const x = values[i];
        const q = sigma + x - sigma;
        const rest = x - q;
        values[i] = rest;
        sum += q;
        bound = Math.max(bound, Math.abs(rest));
      }
      this.add(sum);
    }
    if (bound !== 0) for (let i = 0; i < count; i++) if (values[i] !== 0) this.add(values[i]);
  }

  /** The exact total, canonical: see the file comment. */
  toScaled(): bigint {
    let total = this.overflow;
    for (let j = 0; j < this.used; j++) total += doubleToScaled(this.partials[j]);
    return total;
  }

  reset(): void {
    this.used = 0;
    this.overflow = 0n;
  }

  private flush(): void {
    this.overflow = this.toScaled();
    this.used = 0;
  }
}

export function encodeScaled(scaled: bigint): string {
  return scaled < 0n ? `-${(-scaled).toString(16)}` : scaled.toString(16);
}

export function decodeScaled(text: string): bigint {
  return text.startsWith('-') ? -BigInt(`0x${text.slice(1)}`) : BigInt(`0x${text}`);
}
