import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeStringBody, JsonKind, JsonScanner, ScanError, StringFlag } from '../../../src/formats/json/json-scanner.js';

/** The kind of the single value in `text`, or -1 (the scanner's verdict on the whole text). */
function scan(text: string, maxDepth?: number): { kind: number; scanner: JsonScanner } {
  const bytes = Buffer.from(text, 'utf8');
  const scanner = new JsonScanner(maxDepth);
  let start = 0;
  while (start < bytes.length && ' \t\r\n'.includes(String.fromCharCode(bytes[start]))) start++;
  scanner.reset(bytes, start, bytes.length);
  if (start >= bytes.length) return { kind: -1, scanner };
  let kind = scanner.skipValue(0);
  if (kind >= 0) {
    let i = scanner.pos;
    while (i < bytes.length && ' \t\r\n'.includes(String.fromCharCode(bytes[i]))) i++;
    if (i !== bytes.length) kind = -1;
  }
  return { kind, scanner };
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('JsonScanner', () => {
  test('agrees with JSON.parse on valid JSON of every shape', () => {
    fc.assert(fc.property(fc.json({ depthSize: 'medium' }), (text) => {
      assert.notEqual(scan(text).kind, -1, text);
    }), { numRuns: 500 });
  });

  test('agrees with JSON.parse on damaged JSON (a byte dropped, replaced or inserted)', () => {
    const damaged = fc.tuple(fc.json(), fc.nat(), fc.constantFrom('', ',', ']', '}', '"', '\\', ':', 'x', '0', '-', '.', 'e', '\u0001', '{', '[', ' '), fc.boolean())
      .map(([text, at, piece, replace]) => {
        const k = text.length === 0 ? 0 : at % text.length;
        return text.slice(0, k) + piece + text.slice(replace ? k + 1 : k);
      });
    fc.assert(fc.property(damaged, (text) => {
      assert.equal(scan(text).kind !== -1, parses(text), text);
    }), { numRuns: 2000 });
  });

  test('hand-picked edges: numbers, literals, escapes, control characters', () => {
    for (const text of ['0', '-0', '1.5e-3', '1E+400', '12345678901234567890123', 'true', 'null', '"\\u00e9\\n\\/"', '[]', '{}', '[[],{}]', '"\\ud83d\\ude00"']) {
      assert.equal(parses(text), true, text);
      assert.notEqual(scan(text).kind, -1, text);
    }
    for (const text of ['01', '1.', '.5', '-', '1e', '+1', 'tru', 'nul', '"\\x"', '"\\u12"', '"a\tb"', '[1,]', '{"a":1,}', '{"a" 1}', '{1:2}', '[1 2]', '"abc', '']) {
      assert.equal(scan(text).kind, -1, text);
    }
  });

  test('reports the kind of the value', () => {
    assert.equal(scan('{"a":[1]}').kind, JsonKind.object);
    assert.equal(scan('[{"a":1}]').kind, JsonKind.array);
    assert.equal(scan('"x"').kind, JsonKind.string);
    assert.equal(scan('-1.5').kind, JsonKind.number);
    assert.equal(scan('false').kind, JsonKind.bool);
    assert.equal(scan('null').kind, JsonKind.null);
  });

  test('100,000 levels of nesting are refused at the limit, without recursion', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const { kind, scanner } = scan(deep, 1000);
    assert.equal(kind, -1);
    assert.equal(scanner.error, ScanError.depth);
    assert.equal(scanner.errorAt, 1000, 'found at level 1001, not after reading the rest');
    const objects = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    assert.equal(scan(objects, 1000).scanner.error, ScanError.depth);
  });

  test('nesting up to the limit is fine', () => {
    assert.equal(scan(`${'['.repeat(1000)}${']'.repeat(1000)}`, 1000).kind, JsonKind.array);
    assert.equal(scan(`${'['.repeat(1001)}${']'.repeat(1001)}`, 1000).scanner.error, ScanError.depth);
  });

  test('string flags: escapes, commas, \\u0000 and unpaired surrogates', () => {
    const flags = (text: string): number => {
      const { scanner } = scan(text);
      return scanner.flags;
    };
    assert.equal(flags('"plain"'), 0);
    assert.equal(flags('"a,b"'), StringFlag.comma);
    assert.equal(flags('"a\\"b"'), StringFlag.escape);
    assert.equal(flags('"\\u0000"') & StringFlag.nul, StringFlag.nul);
    assert.equal(flags('"\\ud800"') & StringFlag.loneSurrogate, StringFlag.loneSurrogate);
    assert.equal(flags('"\\udc00\\ud800"') & StringFlag.loneSurrogate, StringFlag.loneSurrogate);
    assert.equal(flags('"\\ud83d\\ude00"') & StringFlag.loneSurrogate, 0);
    assert.equal(flags('["x", {"k\\u0000": 1}]') & StringFlag.nul, StringFlag.nul, 'keys inside a value count too');
  });
});

describe('decodeStringBody', () => {
  test('decodes as JSON.parse does (valid escapes, any Unicode)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (value) => {
      const literal = Buffer.from(JSON.stringify(value), 'utf8');
      const out = Buffer.alloc(literal.length);
      const length = decodeStringBody(literal, 1, literal.length - 1, out);
      assert.equal(out.toString('utf8', 0, length), Buffer.from(value, 'utf8').toString('utf8'));
    }), { numRuns: 1000 });
  });

  test('an unpaired surrogate escape becomes U+FFFD', () => {
    const literal = Buffer.from('a\\ud800b\\udc00', 'utf8');
    const out = Buffer.alloc(literal.length);
    assert.equal(out.toString('utf8', 0, decodeStringBody(literal, 0, literal.length, out)), 'a\uFFFDb\uFFFD');
  });
});
