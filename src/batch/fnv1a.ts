/**
 * FNV-1a (32 bits) over bytes[start, end): the hash that finds a value by its bytes without making
 * a string of it (JSON keys, series keys, remembered verdicts). Not for sketches: the profile's
 * distinct counts need the 64-bit hash of src/profile/value-hash.ts.
 */
export function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return hash >>> 0;
}
