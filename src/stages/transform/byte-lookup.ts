/**
 * A set of words looked up by a value's bytes in place (a span of the batch), so matching a value
 * against null tokens, boolean words, map keys or an allowed set decodes no string per value. Words
 * are bucketed by a hash of their bytes; `foldCase` folds ASCII letters on both sides (boolean words
 * are compared case-insensitively; non-ASCII letters then still compare exactly).
 */
export class ByteLookup {
  private readonly buckets = new Map<number, number[]>();
  private readonly words: Uint8Array[] = [];

  constructor(words: readonly string[], private readonly foldCase = false) {
    const encoder = new TextEncoder();
    for (const word of words) {
      const bytes = encoder.encode(foldCase ? foldAscii(word) : word);
      if (this.find(bytes, 0, bytes.length) !== -1) continue;
      const hash = hashOf(bytes, 0, bytes.length, false);
      let bucket = this.buckets.get(hash);
      if (bucket === undefined) this.buckets.set(hash, bucket = []);
      bucket.push(this.words.length);
      this.words.push(bytes);
    }
  }

  get size(): number {
    return this.words.length;
  }

  /** The index (in first-seen order of distinct words) of the word bytes[start, end) is, or -1. */
  find(bytes: Uint8Array, start: number, end: number): number {
    const bucket = this.buckets.get(hashOf(bytes, start, end, this.foldCase));
    if (bucket === undefined) return -1;
    const length = end - start;
    for (let k = 0; k < bucket.length; k++) {
      const word = this.words[bucket[k]];
      if (word.length !== length) continue;
      let i = 0;
      if (this.foldCase) while (i < length && fold(bytes[start + i]) === word[i]) i++;
      else while (i < length && bytes[start + i] === word[i]) i++;
      if (i === length) return bucket[k];
    }
    return -1;
  }

  has(bytes: Uint8Array, start: number, end: number): boolean {
    return this.find(bytes, start, end) !== -1;
  }
}

function fold(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte;
}

function foldAscii(word: string): string {
  return word.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** FNV-1a over the bytes (folded when asked), as a small integer. */
function hashOf(bytes: Uint8Array, start: number, end: number, foldCase: boolean): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ (foldCase ? fold(bytes[i]) : bytes[i]), 0x01000193);
  return hash | 0;
}
