import { fnv1a } from '../../batch/fnv1a.js';

/**
 * The sniffed schema as lookup tables, one per flattened object: a key, given as bytes, finds its
 * column or the table of its nested object without building a string — the encoder looks up every
 * key of every record. Open addressing on an FNV-1a hash, keys compared byte by byte.
 *
 * Records of one file nearly always list their keys in the same order, so each table also
 * remembers which key followed which: the encoder first compares the raw bytes at hand with the
 * key it expects (no string scan, no hash) and looks the key up only when the guess is wrong.
 *
 *   { "id": …, "user": { "name": …, "age": … } }
 *   root: id → column 0, user → table ─▶ name → column 1, age → column 2
 */

const EMPTY_SLOT = -1;

export class KeyTable {
  private readonly keys: Uint8Array[] = [];
  /** Per key: a column index (>= 0), or -1 when the key leads to a nested table. */
  private readonly columns: number[] = [];
  private readonly children: (KeyTable | null)[] = [];
  /** Per key: its bytes as they appear in JSON when that is the key itself (no escape needed), else null. */
  private readonly rawKeys: (Uint8Array | null)[] = [];
  /** follows[previous + 1]: the key that came after `previous` last time (-1: the object's start). */
  private follows = new Int32Array(8).fill(-1);
  private slots = new Int32Array(8).fill(EMPTY_SLOT);
  /** The keys from the record down to this object (none: the record itself). */
  constructor(readonly route: readonly string[]) {}

  /** The JSON path of this object (`a.b`), for messages. */
  get path(): string {
    return this.route.join('.');
  }

  get size(): number {
    return this.keys.length;
  }

  /** The index of a key in bytes[start, end), or -1. */
  find(bytes: Uint8Array, start: number, end: number): number {
    const mask = this.slots.length - 1;
    const length = end - start;
    for (let slot = fnv1a(bytes, start, end) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot];
      if (entry === EMPTY_SLOT) return -1;
      const key = this.keys[entry];
      if (key.length !== length) continue;
      let k = 0;
      while (k < length && key[k] === bytes[start + k]) k++;
      if (k === length) return entry;
    }
  }

  /** The key expected after entry `previous` (-1: the first key), as raw JSON bytes; null when there is no guess. */
  guess(previous: number): number {
    return this.follows[previous + 1];
  }

  rawKey(entry: number): Uint8Array | null {
    return this.rawKeys[entry];
  }

  /** Records that `entry` came after `previous`. */
  learn(previous: number, entry: number): void {
    this.follows[previous + 1] = entry;
  }

  /** The column of entry `entry`, or -1 when it is a nested object. */
  column(entry: number): number {
    return this.columns[entry];
  }

  child(entry: number): KeyTable | null {
    return this.children[entry];
  }

  private insert(key: Uint8Array, column: number, child: KeyTable | null): number {
    if ((this.keys.length + 1) * 2 > this.slots.length) this.grow();
    const entry = this.keys.length;
    this.keys.push(key);
    this.columns.push(column);
    this.children.push(child);
    // Written as it is in JSON unless it holds a quote, a backslash or a control character.
    this.rawKeys.push(key.every((c) => c >= 0x20 && c !== 0x22 && c !== 0x5c) ? key : null);
    if (this.follows.length < this.keys.length + 1) {
      const grown = new Int32Array(this.follows.length * 2).fill(-1);
      grown.set(this.follows);
      this.follows = grown;
    }
    this.place(entry);
    return entry;
  }

  private place(entry: number): void {
    const key = this.keys[entry];
    const mask = this.slots.length - 1;
    let slot = fnv1a(key, 0, key.length) & mask;
    while (this.slots[slot] !== EMPTY_SLOT) slot = (slot + 1) & mask;
    this.slots[slot] = entry;
  }

  private grow(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(EMPTY_SLOT);
    for (let entry = 0; entry < this.keys.length; entry++) this.place(entry);
  }

  /** Adds a column at `path` (keys as decoded text), creating the nested tables on the way. */
  addPath(path: readonly string[], column: number): void {
    let table: KeyTable = this;
    for (let level = 0; level < path.length; level++) {
      const key = Buffer.from(path[level], 'utf8');
      const found = table.find(key, 0, key.length);
      const last = level === path.length - 1;
      if (last) {
        if (found !== -1) throw new RangeError(`JSON path ${path.join('.')} is given twice, or is both a column and an object`);
        table.insert(key, column, null);
        return;
      }
      if (found === -1) {
        const child = new KeyTable(path.slice(0, level + 1));
        table.insert(key, -1, child);
        table = child;
      } else {
        const child = table.child(found);
        if (child === null) throw new RangeError(`JSON path ${path.join('.')} is below a column`);
        table = child;
      }
    }
  }
}


/** The tables for a list of column paths (column i at paths[i]). */
export function keyTableFor(paths: readonly (readonly string[])[]): KeyTable {
  const root = new KeyTable([]);
  for (let column = 0; column < paths.length; column++) root.addPath(paths[column], column);
  return root;
}
