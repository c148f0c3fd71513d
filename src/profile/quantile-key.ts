/**
 * The DDSketch bucket of a value, as @datadog/sketches-js's LogarithmicMapping computes it
 * (key = ceil(log2(x) · multiplier), relative accuracy 1 %), without a logarithm per value.
 *
 * The key only changes at bucket bounds, about 35 per power of two. A value's float bits give its
 * cell: the exponent and the top 12 mantissa bits, 4,096 cells per power of two, each a contiguous
 * range of floats. A cell whose first and last float have the same key, both farther than
 * KEY_MARGIN from a bucket bound, holds that key for every float in it — the logarithm is monotone
 * and Math.log2 is off by at most an ulp or so, far below the margin — so the key is computed for
 * the cell once (two logarithms) and read from a table after that. The other cells (under 1 %)
 * take the library's formula per value. Tables are filled lazily, per exponent, and kept for the
 * life of the thread (the key of a float never changes), up to MAX_TABLES of them.
 */

export const QUANTILE_RELATIVE_ACCURACY = 0.01;

// The library's constants, computed by the same operations in the same order (KeyMapping and
// LogarithmicMapping constructors), so they are the same doubles.
const GAMMA_MANTISSA = (2 * QUANTILE_RELATIVE_ACCURACY) / (1 - QUANTILE_RELATIVE_ACCURACY);
const GAMMA = 1 + GAMMA_MANTISSA;
const MULTIPLIER = (1 / Math.log1p(GAMMA_MANTISSA)) * Math.log(2);
/** At or below this magnitude a value counts as zero (the library's minPossible). */
export const ZERO_BELOW = 2 ** -1023 * GAMMA;

/** The library's key for x > ZERO_BELOW. */
export function directKey(x: number): number {
  // + 0: a key of -0 (just below 1) is the bucket 0; a state never holds -0.
  return Math.ceil(Math.log2(x) * MULTIPLIER) + 0;
}

const CELL_BITS = 12;
const CELLS = 1 << CELL_BITS;
/** Bits of the high word below the cell index. */
const CELL_SHIFT = 20 - CELL_BITS;
/** In key units (|log2(x) · multiplier| < 36,000, an ulp there is below 1e-11). */
const KEY_MARGIN = 1e-7;
const UNKNOWN = 0x7fffffff;
const MIXED = 0x7ffffffe;

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HIGH_WORD = 1 - LOW_WORD;

/** Per exponent field (1…2046), the cells' keys, UNKNOWN or MIXED. */
const tables: Array<Int32Array | undefined> = new Array(2048);
/**
 * Tables are 16 KiB each; a column's values span a few dozen powers of two, so this many is room
 * for every column of a load, and data spread over the whole double range cannot take 32 MiB.
 */
const MAX_TABLES = 256;
let tableCount = 0;

function floatOf(high: number, low: number): number {
  words[HIGH_WORD] = high;
  words[LOW_WORD] = low;
  return bits[0];
}

function cellKey(high: number): number {
  const first = high & ~((1 << CELL_SHIFT) - 1);
  const a = Math.log2(floatOf(first, 0)) * MULTIPLIER;
  const b = Math.log2(floatOf(first | ((1 << CELL_SHIFT) - 1), 0xffffffff)) * MULTIPLIER;
  const key = Math.ceil(b) + 0;
  return a - (key - 1) > KEY_MARGIN && key - b > KEY_MARGIN ? key : MIXED;
}

/** The library's key of a positive finite x > ZERO_BELOW. */
export function quantileKey(x: number): number {
  bits[0] = x;
  const high = words[HIGH_WORD];
  const exponent = high >>> 20;
  if (exponent === 0) return directKey(x);
  let table = tables[exponent];
  if (table === undefined) {
    if (tableCount === MAX_TABLES) return directKey(x);
    table = tables[exponent] = new Int32Array(CELLS).fill(UNKNOWN);
    tableCount++;
  }
  const cell = (high >>> CELL_SHIFT) & (CELLS - 1);
  let key = table[cell];
  if (key === UNKNOWN) key = table[cell] = cellKey(high);
  return key === MIXED ? directKey(x) : key;
}
