import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { brokenRecordEnd, lastArrayRowEnd, lastNdjsonRowEnd, lastSequenceRowEnd } from '../../../src/formats/json/row-boundary.js';
import { parseFile, planChunks } from './support.js';

const b = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('JSON row ends: NDJSON', () => {
  test('the cut is just after the last newline in the range', () => {
    const text = b('{"a":1}\n{"a":2}\n{"a":');
    assert.equal(lastNdjsonRowEnd(text, 0, text.length), 16);
    assert.equal(lastNdjsonRowEnd(text, 0, 15), 8);
    assert.equal(lastNdjsonRowEnd(text, 0, 7), -1);
    assert.equal(lastNdjsonRowEnd(text, 9, 15), -1, 'a newline before `from` is not in the range');
  });
});

describe('JSON row ends: array', () => {
  test('a cut lands after a comma between top-level elements, never inside one', () => {
    const text = b('{"a":[1,2],"b":{"c":3}},{"a":4}');
    assert.equal(lastArrayRowEnd(text, 0, text.length), 24);
  });

  test('brackets, commas, escaped quotes and backslashes inside strings do not count', () => {
    const tricky = '{"s":"],[{,}\\"\\\\","t":"\\\\"}';
    assert.doesNotThrow(() => JSON.parse(tricky));
    const text = b(`${tricky},${tricky},`);
    assert.equal(lastArrayRowEnd(text, 0, text.length), text.length);
    assert.equal(lastArrayRowEnd(text, 0, text.length - 1), tricky.length + 1);
    // Inside the first element, whatever the range end, no cut.
    for (let to = 1; to <= tricky.length; to++) assert.equal(lastArrayRowEnd(text, 0, to), -1, `to=${to}`);
  });

  test('the closing bracket ends the data: the rest of the range is cut-able', () => {
    const text = b('{"a":1}\n]\n   \n');
    assert.equal(lastArrayRowEnd(text, 0, text.length), text.length);
    const empty = b(' ]\n');
    assert.equal(lastArrayRowEnd(empty, 0, empty.length), empty.length);
  });

  test('a string that does not close within the range leaves the last cut before it', () => {
    const text = b('{"a":1},{"b":"abc,def');
    assert.equal(lastArrayRowEnd(text, 0, text.length), 8);
  });

  test('a broken element ends at the next comma at depth 0', () => {
    const text = b('{"a": [1, "x,]"]} oops, {"b": 2}');
    assert.equal(brokenRecordEnd(text, 0, text.length, 'array'), text.indexOf(', {"b"'));
  });
});

describe('JSON row ends: sequence of values', () => {
  test('a cut lands after a bracket that closes depth 0', () => {
    const text = b('{\n "a": {"b": "}"}\n}\n{\n "a": 2\n}\n{"a"');
    assert.equal(lastSequenceRowEnd(text, 0, text.length), text.lastIndexOf('}') + 1);
    assert.equal(lastSequenceRowEnd(text, 0, 10), -1);
  });

  test('a broken value ends where its brackets close, junk before a value is a record of its own', () => {
    const text = b('xyz {"a": 1}');
    assert.equal(brokenRecordEnd(text, 0, text.length, 'sequence'), 4);
    assert.equal(brokenRecordEnd(text, 4, text.length, 'sequence'), text.length);
  });
});

// ── property: any chunk size finds every element exactly once ─────────────────────────────────

const TEXT_CHARS = ['a', 'Z', ' ', ',', '[', ']', '{', '}', '"', '\\', '\n', '\t', ':', 'é', '€', '😀', '\u0001', '/'];
const text = fc.array(fc.constantFrom(...TEXT_CHARS), { maxLength: 12 }).map((chars) => chars.join(''));
const scalar = fc.oneof(text, fc.integer({ min: -1e6, max: 1e6 }), fc.boolean(), fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true }));
const nested = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 3 }),
  object: fc.dictionary(fc.constantFrom('x', 'y', 'z,]', '"q"'), tie('value'), { maxKeys: 3 }),
})).value;
const KEYS = ['a', 'b', 'c', 'n'];
const record = fc.record({ a: scalar, b: text, c: nested, n: nested }, { requiredKeys: [] });

function expectedText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return JSON.stringify(value);
}

/** A column's loaded text, normalised as expectedText (JSON text of a container re-serialised: it was pretty). */
function loadedText(value: string | null, original: unknown): string | null {
  if (value === null || typeof original !== 'object' || original === null) return value;
  return JSON.stringify(JSON.parse(value));
}

describe('JSON row ends: property', () => {
  test('random arrays, pretty or compact, cut at any chunk size: every element once, values intact', () => {
    fc.assert(fc.property(fc.array(record, { maxLength: 25 }), fc.boolean(), fc.integer({ min: 1, max: 300 }), (records, pretty, chunkSize) => {
      const serialise = (value: unknown): string => (pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value));
      // Build the file element by element, remembering where each one starts.
      let file = pretty ? '[\n' : '[';
      const offsets: number[] = [];
      records.forEach((r, i) => {
        if (i > 0) file += pretty ? ',\n' : ',';
        if (pretty) file += '  ';
        offsets.push(Buffer.byteLength(file));
        file += serialise(r);
      });
      file += pretty ? '\n]\n' : ']';
      const bytes = Buffer.from(file);
      const dataEnd = bytes.lastIndexOf(']');
      const parsed = parseFile(bytes, 1, chunkSize, { layout: 'array', paths: KEYS.map((k) => [k]), dataEnd });
      assert.deepEqual(parsed.rejects, []);
      assert.deepEqual(parsed.rows.map((r) => r.offset), offsets);
      parsed.rows.forEach((row, i) => {
        const original = records[i] as Record<string, unknown>;
        assert.deepEqual(row.values.map((v, c) => loadedText(v, original[KEYS[c]])), KEYS.map((k) => expectedText(original[k])));
      });
      const chunks = planChunks(bytes, 1, chunkSize, 'array');
      for (const chunk of chunks.slice(0, -1)) {
        assert.ok(bytes[chunk.end - 1] === 0x2c || chunk.end > dataEnd, `cut at ${chunk.end}: not after a comma, nor past the closing bracket`);
      }
    }), { numRuns: 300 });
  });

  test('random NDJSON cut at any chunk size: every line once', () => {
    fc.assert(fc.property(fc.array(record, { maxLength: 25 }), fc.boolean(), fc.integer({ min: 1, max: 200 }), (records, crlf, chunkSize) => {
      let file = '';
      const offsets: number[] = [];
      for (const r of records) {
        offsets.push(Buffer.byteLength(file));
        file += JSON.stringify(r) + (crlf ? '\r\n' : '\n');
      }
      const parsed = parseFile(Buffer.from(file), 0, chunkSize, { layout: 'ndjson', paths: KEYS.map((k) => [k]) });
      assert.deepEqual(parsed.rejects, []);
      assert.deepEqual(parsed.rows.map((r) => r.offset), offsets);
      const lines = parsed.stats.reduce((sum, s) => sum + s.lines, 0);
      assert.equal(lines, records.length, 'the chunks count every line once');
    }), { numRuns: 200 });
  });

  test('random pretty-printed values one after another, cut at any chunk size: every value once', () => {
    fc.assert(fc.property(fc.array(record, { maxLength: 15 }), fc.integer({ min: 1, max: 200 }), (records, chunkSize) => {
      let file = '';
      const offsets: number[] = [];
      for (const r of records) {
        offsets.push(Buffer.byteLength(file));
        file += `${JSON.stringify(r, null, 2)}\n`;
      }
      const parsed = parseFile(Buffer.from(file), 0, chunkSize, { layout: 'sequence', paths: KEYS.map((k) => [k]) });
      assert.deepEqual(parsed.rejects, []);
      assert.deepEqual(parsed.rows.map((r) => r.offset), offsets);
    }), { numRuns: 200 });
  });
});
