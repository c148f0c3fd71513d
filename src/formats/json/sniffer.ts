import { SluiceError } from '../../errors.js';
import { ColumnType, type ColumnTypeCode } from '../../schema/column-type.js';
import { columnNamesFor } from '../../schema/identifiers.js';
import { fitsType } from '../../schema/value-checks.js';
import type { LateColumn } from '../prepared-file.js';
import { stringColumnFormat } from './string-formats.js';
import { COLON, COMMA, decodeStringBody, JsonKind, JsonScanner, LBRACE, QUOTE, RBRACE, ScanError, type ScanErrorCode, skipWhitespace, StringFlag } from './json-scanner.js';
import { readRecords, type RecordVisitor } from './record-reader.js';
import type { JsonLayout } from './row-boundary.js';

/**
 * The schema of a sample of JSON records: the union of their keys (a key missing from a record
 * loads as NULL), nested objects flattened to `parent_child` columns down to `flattenDepth` levels
 * of path, and a type per column from the JSON kinds of its values —
 *
 *   numbers only   int, bigint or float: the first every number fits (value-checks, on the
 *                  number's own text, so a 19-digit id is a bigint, not a rounded double)
 *   booleans only  bool
 *   strings only   date or timestamptz when every non-empty string is one, else text (a string
 *                  of digits stays text: JSON said it is a string)
 *   arrays, objects below flattenDepth, or an object in one record and a scalar in another: json
 *   anything else mixed, or only nulls: text
 *
 * The encoder checks every value against these types with the same value-checks, so a record the
 * sample did not foresee is a CAST reject, never a failed COPY.
 */

export interface JsonSampleRange {
  bytes: Uint8Array;
  start: number;
  end: number;
  /** File offset of bytes[0]. */
  base: number;
}

export interface JsonSniffColumn extends LateColumn {
  name: string;
  /** The JSON path, keys joined with `.`. */
  source: string;
  /** Sampled scalar values of the column as text (at most SAMPLE_VALUES; JSON null and missing keys left out). */
  samples: string[];
}

/** Values kept per column for the stages' baselines (see PreparedFile.sampleValues). */
const SAMPLE_VALUES = 4000;

export interface JsonSniffResult {
  columns: JsonSniffColumn[];
  /** Objects read from the sample. */
  records: number;
  /** Sampled records that would be rejected (syntax, depth, not an object). */
  broken: number;
  /** 0..1: sample size times how settled the key set was (1 when the sample was the whole file). */
  schemaConfidence: number;
}

const NUMBER_TYPES = [ColumnType.int, ColumnType.bigint, ColumnType.float] as const;
const STRING_TYPES = [ColumnType.date, ColumnType.timestamptz] as const;

class PathNode {
  readonly children = new Map<string, PathNode>();
  /** Bits 1 << JsonKind of the values seen (objects that were flattened excluded). */
  kinds = 0;
  /** Times the value was an object that was flattened. */
  objects = 0;
  nonNull = 0;
  /** Candidate bits 1 << ColumnType still possible for numbers, and for strings. */
  numberTypes = NUMBER_TYPES.reduce((mask, t) => mask | (1 << t), 0);
  stringTypes = STRING_TYPES.reduce((mask, t) => mask | (1 << t), 0);
  readonly samples: string[] = [];

  constructor(readonly path: string[]) {}
}

function scalarBits(kinds: number): number {
  return kinds & ~(1 << JsonKind.null);
}

function leafType(node: PathNode): ColumnTypeCode {
  const kinds = scalarBits(node.kinds);
  if (node.objects > 0 || (kinds & ((1 << JsonKind.object) | (1 << JsonKind.array))) !== 0) return ColumnType.json;
  if (kinds === 1 << JsonKind.bool) return ColumnType.bool;
  if (kinds === 1 << JsonKind.number) return NUMBER_TYPES.find((t) => (node.numberTypes & (1 << t)) !== 0) ?? ColumnType.text;
  if (kinds === 1 << JsonKind.string) return STRING_TYPES.find((t) => (node.stringTypes & (1 << t)) !== 0) ?? ColumnType.text;
  return ColumnType.text;
}

/** A node whose values were all non-empty objects is a prefix of columns, not a column. */
function isFlattened(node: PathNode): boolean {
  return node.objects > 0 && node.children.size > 0 && scalarBits(node.kinds) === 0;
}

class SampleVisitor implements RecordVisitor {
  readonly root = new PathNode([]);
  records = 0;
  brokenRecords = 0;
  firstProblem: { offset: number; error: ScanErrorCode } | null = null;
  /** Per accepted record: did it bring a key path not seen before? */
  readonly introduced: boolean[] = [];
  base = 0;
  private newPath = false;
  private scratch = Buffer.alloc(256);

  constructor(private readonly flattenDepth: number) {}

  read(scanner: JsonScanner): boolean {
    this.newPath = false;
    if (scanner.bytes[scanner.pos] !== LBRACE) {
      const at = scanner.pos;
      if (scanner.skipValue(0) < 0) return false;
      scanner.fail(ScanError.notObject, at);
      return false;
    }
    return this.object(scanner, this.root, 0, 1);
  }

  accept(): void {
    this.records++;
    this.introduced.push(this.newPath);
  }

  broken(start: number, _end: number, error: ScanErrorCode): void {
    this.brokenRecords++;
    this.firstProblem ??= { offset: this.base + start, error };
  }

  private key(bytes: Uint8Array, start: number, end: number, flags: number): string {
    if ((flags & StringFlag.escape) === 0) return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
    const decoded = this.decode(bytes, start, end);
    return decoded.toString('utf8');
  }

  private decode(bytes: Uint8Array, start: number, end: number): Buffer {
    if (this.scratch.length < end - start) this.scratch = Buffer.alloc(2 * (end - start));
    return this.scratch.subarray(0, decodeStringBody(bytes, start, end, this.scratch));
  }

  private object(scanner: JsonScanner, node: PathNode, depth: number, level: number): boolean {
    const bytes = scanner.bytes;
    const end = scanner.end;
    let i = skipWhitespace(bytes, scanner.pos + 1, end);
    if (i < end && bytes[i] === RBRACE) { scanner.pos = i + 1; return true; }
    for (;;) {
      if (i >= end || bytes[i] !== QUOTE) return scanner.invalid(ScanError.syntax, i);
      scanner.pos = i;
      if (!scanner.scanString()) return false;
      const name = this.key(bytes, i + 1, scanner.pos - 1, scanner.stringFlags);
      let child = node.children.get(name);
      if (child === undefined) {
        child = new PathNode([...node.path, name]);
        node.children.set(name, child);
        this.newPath = true;
      }
      i = skipWhitespace(bytes, scanner.pos, end);
      if (i >= end || bytes[i] !== COLON) return scanner.invalid(ScanError.syntax, i);
      i = skipWhitespace(bytes, i + 1, end);
      if (i >= end) return scanner.invalid(ScanError.syntax, i);
      scanner.pos = i;
      if (bytes[i] === LBRACE && level < this.flattenDepth) {
        child.objects++;
        if (!this.object(scanner, child, depth + 1, level + 1)) return false;
      } else {
        scanner.flags = 0;
        const kind = scanner.skipValue(depth + 1);
        if (kind < 0) return false;
        this.observe(child, kind, bytes, i, scanner.pos, scanner.flags);
      }
      i = skipWhitespace(bytes, scanner.pos, end);
      if (i < end && bytes[i] === COMMA) { i = skipWhitespace(bytes, i + 1, end); continue; }
      if (i < end && bytes[i] === RBRACE) { scanner.pos = i + 1; return true; }
      return scanner.invalid(ScanError.syntax, i);
    }
  }

  private observe(node: PathNode, kind: number, bytes: Uint8Array, start: number, end: number, flags: number): void {
    node.kinds |= 1 << kind;
    if (kind === JsonKind.null) return;
    node.nonNull++;
    const keep = node.samples.length < SAMPLE_VALUES;
    if (keep && (kind === JsonKind.number || kind === JsonKind.bool)) node.samples.push(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1'));
    if (keep && kind === JsonKind.string) node.samples.push(this.decode(bytes, start + 1, end - 1).toString('utf8'));
    if (kind === JsonKind.number) {
      for (const type of NUMBER_TYPES) if ((node.numberTypes & (1 << type)) !== 0 && !fitsType(type, bytes, start, end)) node.numberTypes &= ~(1 << type);
    } else if (kind === JsonKind.string && node.stringTypes !== 0 && end - start > 2) {
      let value: Uint8Array = bytes;
      let from = start + 1;
      let to = end - 1;
      if ((flags & StringFlag.escape) !== 0) {
        value = this.decode(bytes, from, to);
        from = 0;
        to = value.length;
      }
      for (const type of STRING_TYPES) if ((node.stringTypes & (1 << type)) !== 0 && !fitsType(type, value, from, to)) node.stringTypes &= ~(1 << type);
    }
  }
}

function collectLeaves(node: PathNode, leaves: PathNode[]): void {
  for (const child of node.children.values()) {
    if (isFlattened(child)) collectLeaves(child, leaves);
    else leaves.push(child);
  }
}

function schemaConfidence(visitor: SampleVisitor, wholeFile: boolean): number {
  if (wholeFile) return 1;
  const records = visitor.introduced.length;
  const half = Math.floor(records / 2);
  if (records - half === 0) return 0;
  let late = 0;
  for (let r = half; r < records; r++) if (visitor.introduced[r]) late++;
  const settled = 1 - late / (records - half);
  return Math.round(Math.min(1, records / 100) * settled * 1000) / 1000;
}

export interface JsonSniffInput {
  ranges: JsonSampleRange[];
  layout: JsonLayout;
  flattenDepth: number;
  /** The sample is every record of the file. */
  wholeFile: boolean;
}

const REASON: Record<number, string> = {
  [ScanError.syntax]: 'is not valid JSON',
  [ScanError.depth]: 'nests deeper than the limit',
  [ScanError.notObject]: 'is not a JSON object',
};

export function sniffJson(input: JsonSniffInput, maxDepth?: number): JsonSniffResult {
  const visitor = new SampleVisitor(input.flattenDepth);
  const scanner = new JsonScanner(maxDepth);
  for (const range of input.ranges) {
    visitor.base = range.base;
    readRecords(scanner, range.bytes, range.start, range.end, input.layout, visitor);
  }
  if (visitor.records === 0 && visitor.firstProblem !== null) {
    const { offset, error } = visitor.firstProblem;
    const what = error === ScanError.depth ? `nests deeper than ${scanner.maxDepth} levels` : REASON[error];
    throw new SluiceError(error === ScanError.depth ? 'SLUICE_ERR_FORMAT_JSON_DEPTH' : 'SLUICE_ERR_FORMAT_JSON_INVALID',
      `no JSON object to load in the sample: the record at byte ${offset} ${what}`);
  }
  const leaves: PathNode[] = [];
  collectLeaves(visitor.root, leaves);
  const names = columnNamesFor(leaves.map((leaf) => leaf.path.join('_')));
  return {
    columns: leaves.map((leaf, i) => ({ name: names[i], source: leaf.path.join('.'), ...leafColumn(leaf) })),
    records: visitor.records,
    broken: visitor.brokenRecords,
    schemaConfidence: schemaConfidence(visitor, input.wholeFile),
  };
}

/** A leaf's column as the sniffer types it (names are given by the caller). */
function leafColumn(leaf: PathNode): LateColumn & { samples: string[] } {
  // Strings only (and nulls): they may be written in one of the CSV value formats.
  const formatted = (leaf.kinds & ~(1 << JsonKind.null)) === 1 << JsonKind.string && leaf.objects === 0 ? stringColumnFormat(leaf.samples) : null;
  return {
    path: leaf.path, type: formatted?.type ?? leafType(leaf), format: formatted?.format ?? null,
    confidence: Math.min(1, leaf.nonNull / 100), samples: leaf.samples,
  };
}

/**
 * The columns under key paths a chunk's parser met outside its columns (`paths`: where it skipped a
 * value), typed from every record of the range by the sniff's own rules — a path whose values were
 * all objects is flattened into the columns below it, as the sniff flattens. A path the sample
 * cannot find (its record read differently here) is one `text` column.
 */
export function lateColumnsOf(range: JsonSampleRange, layout: JsonLayout, flattenDepth: number, paths: readonly (readonly string[])[]): LateColumn[] {
  const visitor = new SampleVisitor(flattenDepth);
  visitor.base = range.base;
  readRecords(new JsonScanner(), range.bytes, range.start, range.end, layout, visitor);
  const leaves: PathNode[] = [];
  for (const path of paths) {
    let node: PathNode | undefined = visitor.root;
    for (let k = 0; k < path.length && node !== undefined; k++) node = node.children.get(path[k]);
    if (node === undefined) leaves.push(new PathNode([...path]));
    else if (isFlattened(node)) collectLeaves(node, leaves);
    else leaves.push(node);
  }
  return leaves.map((leaf) => {
    const { samples: _samples, ...column } = leafColumn(leaf);
    return column;
  });
}
