/**
 * A stable 53-bit hash of a value's bytes for distinct counting and top values. Two MurmurHash3
 * (x86, 32-bit) lanes with fixed seeds run over the bytes in one pass: the high lane picks the
 * HyperLogLog register, the two lanes together give the rank bits and the exact-set key. Fixed
 * seeds, no Math.random and no per-process salt, so a re-run chunk hashes every value the same way
 * in any thread. 53 bits keep the key a safe integer: the exact phase (≤ 1,024 values) collides with
 * probability below 1e-10.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
// `| 0`: the same 32 bits as a signed integer. As written (above 2^31) the seed is a double, and a
// value too short for the block loop reached the tail's `^=` with it, which deoptimised the hot
// callers (every bitwise use reads it as these bits either way).
const SEED_HIGH = 0x9747b28c | 0;
const SEED_LOW = 0x5bd1e995;

/**
 * The last hash's halves, read right after hashBytes / hashNumber (or their *Parts forms): [HASH_HIGH]
 * the high 32 bits, [HASH_LOW] the low 21. A typed array rather than exported variables: an
 * unsigned 32-bit number in a variable is boxed on the heap, an allocation per value.
 */
export const hashParts = new Uint32Array(2);
export const HASH_HIGH = 0;
export const HASH_LOW = 1;

function mixBlock(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

function step(h: number, k: number): number {
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalMix(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes bytes[start, end); returns the 53-bit key and leaves its halves in hashParts. */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  hashBytesParts(bytes, start, end);
  return hashKey();
}

/** Hashes bytes[start, end) into hashParts only (no key: the hot path needs the halves). */
export function hashBytesParts(bytes: Uint8Array, start: number, end: number): void {
  let a = SEED_HIGH;
  let b = SEED_LOW;
  const length = end - start;
  const blocksEnd = start + (length & ~3);
  let i = start;
  for (; i < blocksEnd; i += 4) {
    const k = mixBlock(bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    a = step(a, k);
    b = step(b, k);
  }
  const rest = length & 3;
  if (rest !== 0) {
    let tail = bytes[i];
    if (rest > 1) tail |= bytes[i + 1] << 8;
    if (rest > 2) tail |= bytes[i + 2] << 16;
    const k = mixBlock(tail);
    a ^= k;
    b ^= k;
  }
  finish(a, b, length);
}

// A float's two 32-bit halves through aliased typed arrays (cheaper than a DataView per value);
// which index holds the low half depends on the platform's byte order.
const numberBits = new Float64Array(1);
const numberWords = new Int32Array(numberBits.buffer);
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HIGH_WORD = 1 - LOW_WORD;

/**
 * Hashes a float64 by its bits. -0 hashes as 0 and every NaN as the one canonical NaN, because
 * PostgreSQL counts them as one value (`count(DISTINCT x)`).
 */
export function hashNumber(x: number): number {
  hashNumberParts(x);
  return hashKey();
}

/** Hashes a float64 (as hashNumber) into hashParts only. */
export function hashNumberParts(x: number): void {
  if (x === 0) x = 0;
  else if (x !== x) x = NaN;
  numberBits[0] = x;
  const lo = mixBlock(numberWords[LOW_WORD]);
  const hi = mixBlock(numberWords[HIGH_WORD]);
  let a = step(step(SEED_HIGH, lo), hi);
  let b = step(step(SEED_LOW, lo), hi);
  // A number never hashes like the same 8 bytes as text: the tag separates the two domains.
  a = step(a, 0x4e554d42);
  b = step(b, 0x4e554d42);
  finish(a, b, 8);
}

function finish(a: number, b: number, length: number): void {
  hashParts[HASH_HIGH] = finalMix(a, length);
  hashParts[HASH_LOW] = finalMix(b, length) >>> 11;
}

/** The 53-bit key of the last hash: its high half, then its low 21 bits. */
export function hashKey(): number {
  return hashParts[HASH_HIGH] * 2 ** 21 + hashParts[HASH_LOW];
}
