/**
 * A validating JSON scanner over bytes: it finds where a value ends and whether it is valid
 * (RFC 8259), without building it. The sniffer and the chunk encoder walk the objects they flatten
 * themselves and hand every other value to `skipValue`.
 *
 * Why not JSON.parse: it would build an object per row (the hot path writes COPY bytes straight
 * from the input instead), it rounds integers beyond 2^53 (a bigint id would load wrong, silently),
 * and it cannot say where a value ends inside a larger buffer. Containers are skipped with an
 * explicit stack, never recursion, and nesting is bounded (`maxDepth`): a 100,000-deep document is
 * an error at level maxDepth + 1, found in constant stack and without reading further.
 */

export const JsonKind = { null: 1, bool: 2, number: 3, string: 4, object: 5, array: 6 } as const;
export type JsonKindCode = (typeof JsonKind)[keyof typeof JsonKind];

export const ScanError = { none: 0, syntax: 1, depth: 2, notObject: 3 } as const;
export type ScanErrorCode = (typeof ScanError)[keyof typeof ScanError];

/** What the strings of a value hold, ORed over every string (keys included) the scanner passed. */
export const StringFlag = {
  /** A backslash escape: the bytes between the quotes are not the value. */
  escape: 1,
  /** A comma (the COPY delimiter): the value must be quoted. */
  comma: 2,
  /** `\u0000`: PostgreSQL's text and jsonb cannot hold it. */
  nul: 4,
  /** A `\uD800`-`\uDFFF` escape without its pair: not Unicode, and jsonb refuses it. */
  loneSurrogate: 8,
} as const;

/** PostgreSQL reads jsonb 10,000 levels deep (2 MB stack); no real record nests past a few dozen. */
export const MAX_JSON_DEPTH = 1000;

export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const LBRACE = 0x7b;
export const RBRACE = 0x7d;
export const LBRACKET = 0x5b;
export const RBRACKET = 0x5d;
export const LF = 0x0a;
export const CR = 0x0d;

const PLAIN = 0;
const STRING_END = 1;
const STRING_ESCAPE = 2;
const STRING_CONTROL = 3;
const STRING_COMMA = 4;

/** One table load per string byte: most bytes are PLAIN and cost one compare. */
const STRING_CLASS = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_CLASS[c] = STRING_CONTROL;
STRING_CLASS[QUOTE] = STRING_END;
STRING_CLASS[BACKSLASH] = STRING_ESCAPE;
STRING_CLASS[COMMA] = STRING_COMMA;

/** The bytes allowed after a backslash, other than `u`. */
const SIMPLE_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;

export function isWhitespace(c: number): boolean {
  return c === 0x20 || c === LF || c === CR || c === 0x09;
}

export function skipWhitespace(bytes: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = bytes[i];
    if (c === 0x20 || c === LF || c === CR || c === 0x09) i++;
    else break;
  }
  return i;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** The code unit of the four hex digits at bytes[at], or -1. */
export function hex4(bytes: Uint8Array, at: number): number {
  const a = hexValue(bytes[at]);
  const b = hexValue(bytes[at + 1]);
  const c = hexValue(bytes[at + 2]);
  const d = hexValue(bytes[at + 3]);
  return (a | b | c | d) < 0 ? -1 : (a << 12) | (b << 8) | (c << 4) | d;
}

const EMPTY = new Uint8Array(0);

export class JsonScanner {
  bytes: Uint8Array = EMPTY;
  /** Nothing at or after `end` is read. */
  end = 0;
  pos = 0;
  error: ScanErrorCode = ScanError.none;
  /** Where the error was found. */
  errorAt = 0;
  /** StringFlag bits of every string passed since the caller last cleared it. */
  flags = 0;
  /** StringFlag bits of the last string scanned. */
  stringFlags = 0;
  private readonly stack: Uint8Array;

  constructor(readonly maxDepth = MAX_JSON_DEPTH) {
    this.stack = new Uint8Array(maxDepth + 1);
  }

  /** Starts on bytes[pos, end). */
  reset(bytes: Uint8Array, pos: number, end: number): void {
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
    this.error = ScanError.none;
    this.errorAt = pos;
    this.flags = 0;
  }

  /** Records the first error; always returns -1 so callers can `return this.fail(…)`. */
  fail(error: ScanErrorCode, at: number): -1 {
    if (this.error === ScanError.none) {
      this.error = error;
      this.errorAt = at;
    }
    return -1;
  }

  /** `fail` for callers that return a boolean. */
  invalid(error: ScanErrorCode, at: number): false {
    this.fail(error, at);
    return false;
  }

  /** At a `"`: moves past the closing quote. False (and an error) if the string is invalid. */
  scanString(): boolean {
    const bytes = this.bytes;
    const end = this.end;
    let i = this.pos + 1;
    let flags = 0;
    while (i < end) {
      const kind = STRING_CLASS[bytes[i]];
      if (kind === PLAIN) { i++; continue; }
      if (kind === STRING_END) {
        this.pos = i + 1;
        this.stringFlags = flags;
        this.flags |= flags;
        return true;
      }
      if (kind === STRING_COMMA) { flags |= StringFlag.comma; i++; continue; }
      if (kind === STRING_CONTROL) return this.invalid(ScanError.syntax, i);
      // A backslash escape.
      flags |= StringFlag.escape;
      if (i + 1 >= end) break;
      const e = bytes[i + 1];
      if (e !== 0x75) {
        if (SIMPLE_ESCAPE[e] === 0) return this.invalid(ScanError.syntax, i);
        i += 2;
        continue;
      }
      if (i + 6 > end) break;
      const unit = hex4(bytes, i + 2);
      if (unit < 0) return this.invalid(ScanError.syntax, i);
      if (unit === 0) {
        flags |= StringFlag.nul;
      } else if (unit >= 0xd800 && unit <= 0xdbff) {
        if (i + 12 <= end && bytes[i + 6] === BACKSLASH && bytes[i + 7] === 0x75) {
          const low = hex4(bytes, i + 8);
          if (low >= 0xdc00 && low <= 0xdfff) { i += 12; continue; }
        }
        flags |= StringFlag.loneSurrogate;
      } else if (unit >= 0xdc00 && unit <= 0xdfff) {
        flags |= StringFlag.loneSurrogate;
      }
      i += 6;
    }
    return this.invalid(ScanError.syntax, this.pos);
  }

  /** At `-` or a digit: moves past a number of JSON's grammar. */
  scanNumber(): boolean {
    const bytes = this.bytes;
    const end = this.end;
    let i = this.pos;
    if (bytes[i] === 0x2d) i++;
    if (i >= end) return this.invalid(ScanError.syntax, i);
    let c = bytes[i];
    if (c === 0x30) {
      i++;
    } else if (c >= 0x31 && c <= 0x39) {
      i++;
      while (i < end && bytes[i] >= 0x30 && bytes[i] <= 0x39) i++;
    } else {
      return this.invalid(ScanError.syntax, i);
    }
    if (i < end && bytes[i] === 0x2e) {
      const digits = ++i;
      while (i < end && bytes[i] >= 0x30 && bytes[i] <= 0x39) i++;
      if (i === digits) return this.invalid(ScanError.syntax, i);
    }
    if (i < end && (bytes[i] === 0x65 || bytes[i] === 0x45)) {
      i++;
      if (i < end && (bytes[i] === 0x2b || bytes[i] === 0x2d)) i++;
      const digits = i;
      while (i < end && bytes[i] >= 0x30 && bytes[i] <= 0x39) i++;
      if (i === digits) return this.invalid(ScanError.syntax, i);
    }
    c = i < end ? bytes[i] : 0x20;
    // `12abc` or `1.5.5`: the number must end where a value may end.
    if (!isWhitespace(c) && c !== COMMA && c !== RBRACE && c !== RBRACKET) return this.invalid(ScanError.syntax, i);
    this.pos = i;
    return true;
  }

  private scanWord(word: string): boolean {
    const bytes = this.bytes;
    const i = this.pos;
    if (i + word.length > this.end) return this.invalid(ScanError.syntax, i);
    for (let k = 1; k < word.length; k++) if (bytes[i + k] !== word.charCodeAt(k)) return this.invalid(ScanError.syntax, i + k);
    this.pos = i + word.length;
    return true;
  }

  /** A string, number or literal at pos; its kind, or -1. */
  scanScalar(): number {
    const c = this.bytes[this.pos];
    if (c === QUOTE) return this.scanString() ? JsonKind.string : -1;
    if (c === 0x74) return this.scanWord('true') ? JsonKind.bool : -1;
    if (c === 0x66) return this.scanWord('false') ? JsonKind.bool : -1;
    if (c === 0x6e) return this.scanWord('null') ? JsonKind.null : -1;
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.scanNumber() ? JsonKind.number : -1;
    return this.fail(ScanError.syntax, this.pos);
  }

  /**
   * Skips the value at pos (pos < end, no whitespace before it) — validating it — and returns its
   * kind, or -1. `depth` is the number of containers around it: the value itself, if a container,
   * is at level depth + 1.
   */
  skipValue(depth: number): number {
    const c = this.bytes[this.pos];
    if (c === LBRACE || c === LBRACKET) return this.skipContainer(depth);
    return this.scanScalar();
  }

  /** After a `{` or `,` in an object (whitespace skipped): `"key" :` and whitespace; the value's index or -1. */
  private keyThenColon(i: number): number {
    const bytes = this.bytes;
    const end = this.end;
    if (bytes[i] !== QUOTE) return this.fail(ScanError.syntax, i);
    this.pos = i;
    if (!this.scanString()) return -1;
    i = skipWhitespace(bytes, this.pos, end);
    if (i >= end || bytes[i] !== COLON) return this.fail(ScanError.syntax, i);
    i = skipWhitespace(bytes, i + 1, end);
    return i < end ? i : this.fail(ScanError.syntax, i);
  }

  private skipContainer(depth: number): number {
    const bytes = this.bytes;
    const end = this.end;
    const stack = this.stack;
    const kind = bytes[this.pos] === LBRACE ? JsonKind.object : JsonKind.array;
    let level = depth;
    let i = this.pos;
    for (;;) {
      // A value starts at i (i < end).
      const c = bytes[i];
      if (c === LBRACE || c === LBRACKET) {
        if (level >= this.maxDepth) return this.fail(ScanError.depth, i);
        stack[++level] = c;
        i = skipWhitespace(bytes, i + 1, end);
        if (i >= end) return this.fail(ScanError.syntax, i);
        if (bytes[i] === (c === LBRACE ? RBRACE : RBRACKET)) {
          i++;
          level--;
        } else if (c === LBRACE) {
          i = this.keyThenColon(i);
          if (i < 0) return -1;
          continue;
        } else {
          continue;
        }
      } else {
        this.pos = i;
        if (this.scanScalar() < 0) return -1;
        i = this.pos;
      }
      // A value ended at i: close containers until one continues with another value.
      for (;;) {
        if (level === depth) {
          this.pos = i;
          return kind;
        }
        i = skipWhitespace(bytes, i, end);
        if (i >= end) return this.fail(ScanError.syntax, i);
        const open = stack[level];
        const next = bytes[i];
        if (next === COMMA) {
          i = skipWhitespace(bytes, i + 1, end);
          if (i >= end) return this.fail(ScanError.syntax, i);
          if (open === LBRACE) {
            i = this.keyThenColon(i);
            if (i < 0) return -1;
          }
          break;
        }
        if (next === (open === LBRACE ? RBRACE : RBRACKET)) {
          i++;
          level--;
          continue;
        }
        return this.fail(ScanError.syntax, i);
      }
    }
  }
}

/**
 * Decodes the string body bytes[start, end) (between the quotes, valid JSON escapes) into UTF-8 at
 * out[0…]; returns the length. `out` must hold end - start bytes (a decoded string is never longer
 * than its escaped form). A lone surrogate escape becomes U+FFFD.
 */
export function decodeStringBody(bytes: Uint8Array, start: number, end: number, out: Uint8Array): number {
  let o = 0;
  let i = start;
  while (i < end) {
    const c = bytes[i];
    if (c !== BACKSLASH) { out[o++] = c; i++; continue; }
    const e = bytes[i + 1];
    if (e !== 0x75) {
      out[o++] = e === 0x6e ? LF : e === 0x74 ? 0x09 : e === 0x72 ? CR : e === 0x62 ? 0x08 : e === 0x66 ? 0x0c : e;
      i += 2;
      continue;
    }
    let code = hex4(bytes, i + 2);
    i += 6;
    if (code >= 0xd800 && code <= 0xdbff) {
      const low = i + 6 <= end && bytes[i] === BACKSLASH && bytes[i + 1] === 0x75 ? hex4(bytes, i + 2) : -1;
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i += 6;
      } else {
        code = 0xfffd;
      }
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      code = 0xfffd;
    }
    if (code < 0x80) {
      out[o++] = code;
    } else if (code < 0x800) {
      out[o++] = 0xc0 | (code >> 6);
      out[o++] = 0x80 | (code & 0x3f);
    } else if (code < 0x10000) {
      out[o++] = 0xe0 | (code >> 12);
      out[o++] = 0x80 | ((code >> 6) & 0x3f);
      out[o++] = 0x80 | (code & 0x3f);
    } else {
      out[o++] = 0xf0 | (code >> 18);
      out[o++] = 0x80 | ((code >> 12) & 0x3f);
      out[o++] = 0x80 | ((code >> 6) & 0x3f);
      out[o++] = 0x80 | (code & 0x3f);
    }
  }
  return o;
}

/**
 * Copies the valid JSON value bytes[start, end) to out[at…] without the whitespace between its
 * tokens (strings are copied as they are, escapes included); returns the index after the copy.
 * `out` must hold end - start bytes from `at`. jsonb ignores that whitespace, so dropping it makes
 * one text per value whatever the file's indentation.
 */
export function compactJson(bytes: Uint8Array, start: number, end: number, out: Uint8Array, at: number): number {
  let o = at;
  let inString = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (inString) {
      out[o++] = c;
      if (c === BACKSLASH) out[o++] = bytes[++i];
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === 0x20 || c === LF || c === CR || c === 0x09) continue;
    out[o++] = c;
    if (c === QUOTE) inString = true;
  }
  return o;
}
