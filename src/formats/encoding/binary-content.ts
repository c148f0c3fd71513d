/**
 * Whether the start of a file is binary data rather than text with a stray control byte.
 *
 * One NUL byte is not enough: text exports do carry the odd NUL (a C string copied whole, a
 * corrupted row), and that row is a NUL_BYTE reject while the rest loads. Binary data is told by
 * how much of it is control bytes — images, archives, executables and compressed streams are full
 * of NULs and of bytes 0x01–0x1F that text never holds — not by one of them. UTF-16, whose ASCII
 * characters are half NUL, is recognised before this test runs.
 *
 * Counted: NUL, and the C0 controls other than TAB, LF, VT, FF, CR, ESC (terminal colours in logs)
 * and SUB (the DOS end-of-file mark some old exports end with). Control bytes count only when
 * there are several kinds of them: a few kinds used over and over are delimiters (Hive's ^A ^B ^C,
 * the ASCII unit and record separators 0x1F, 0x1E), and such a file is text.
 */

/** The part of a file looked at: binary formats show themselves in their first bytes. */
export const BINARY_PROBE_BYTES = 8192;
/** More NULs, or more other control bytes, than this share of the probe means binary. */
const CONTROL_SHARE = 0.01;
/** Up to this many of either are stray bytes whatever the share: a tiny file with one NUL is text. */
const STRAY_BYTES = 1;
/** Fewer kinds of control byte than this are delimiters, not binary structure. */
const DELIMITER_KINDS = 5;

const IS_CONTROL = new Uint8Array(256);
for (let c = 0x01; c < 0x20; c++) IS_CONTROL[c] = 1;
for (const c of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1a, 0x1b]) IS_CONTROL[c] = 0;

export interface BinaryEvidence {
  /** Offset of the first NUL byte in the probe, or -1. */
  firstNul: number;
  nuls: number;
  controls: number;
  /** How many different control bytes occur. */
  controlKinds: number;
  probed: number;
}

/** Counts the NULs and other control bytes of the first BINARY_PROBE_BYTES of `bytes`. */
export function binaryEvidence(bytes: Uint8Array): BinaryEvidence {
  const probed = Math.min(bytes.length, BINARY_PROBE_BYTES);
  let nuls = 0;
  let controls = 0;
  let firstNul = -1;
  let seen = 0;
  for (let i = 0; i < probed; i++) {
    const c = bytes[i];
    if (c === 0) {
      if (firstNul === -1) firstNul = i;
      nuls++;
    } else if (IS_CONTROL[c] === 1) {
      controls++;
      seen |= 1 << c;
    }
  }
  let controlKinds = 0;
  for (; seen !== 0; seen &= seen - 1) controlKinds++;
  return { firstNul, nuls, controls, controlKinds, probed };
}

/** A reason to call `bytes` binary (for the error message), or null when it reads as text. */
export function binaryReason(bytes: Uint8Array): string | null {
  const { firstNul, nuls, controls, controlKinds, probed } = binaryEvidence(bytes);
  const limit = probed * CONTROL_SHARE;
  if (nuls > STRAY_BYTES && nuls > limit) return `${nuls} NUL bytes in the first ${probed} bytes (the first at offset ${firstNul})`;
  if (controls > STRAY_BYTES && controls > limit && controlKinds >= DELIMITER_KINDS) {
    return `${controls} control bytes of ${controlKinds} kinds in the first ${probed} bytes`;
  }
  return null;
}
