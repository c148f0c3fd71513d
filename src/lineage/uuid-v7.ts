import { randomFillSync } from 'node:crypto';

/**
 * UUID version 7 (RFC 9562 §5.7): 48 bits of Unix time in milliseconds, then version and variant
 * bits around 74 random bits. The OpenLineage reference clients name runs with it, and since the
 * time comes first, run ids sort in the order the runs began (ingest.lineage_events and the
 * catalog's run ids can be ordered by them).
 *
 * Within one millisecond, ids from this process still increase: the 12 bits after the version
 * (`rand_a`) count up from a random start (RFC 9562 §6.2, method 1, a fixed-length counter); when
 * the counter runs out the timestamp is moved on by one millisecond, so order is never lost.
 */

const bytes = new Uint8Array(16);
let lastMs = -1;
let counter = 0;

export function uuidV7(now: number = Date.now()): string {
  randomFillSync(bytes);
  let ms = Math.max(now, lastMs);
  if (ms === lastMs) {
    counter++;
    if (counter > 0xfff) {
      ms++;
      counter = bytes[6] & 0x07;
    }
  } else {
    // A random start below half the range leaves room to count up within the millisecond.
    counter = ((bytes[6] & 0x07) << 8) | bytes[7];
  }
  lastMs = ms;
  // 48-bit big-endian milliseconds: a double holds them exactly; split to stay in 32-bit arithmetic.
  const high = Math.floor(ms / 2 ** 16);
  bytes[0] = (high >>> 24) & 0xff;
  bytes[1] = (high >>> 16) & 0xff;
  bytes[2] = (high >>> 8) & 0xff;
  bytes[3] = high & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | (counter >>> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  let hex = '';
  for (let i = 0; i < 16; i++) {
    hex += bytes[i].toString(16).padStart(2, '0');
    if (i === 3 || i === 5 || i === 7 || i === 9) hex += '-';
  }
  return hex;
}

/** The millisecond timestamp a v7 UUID carries. */
export function uuidV7Time(uuid: string): number {
  return Number.parseInt(uuid.slice(0, 8) + uuid.slice(9, 13), 16);
}
