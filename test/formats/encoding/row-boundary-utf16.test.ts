/**
 * The planner's cut for UTF-16 files: the reading rule applied to code units at even offsets,
 * never to bytes that merely look like a quote or a newline inside another character.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { bufferView, countUnits, indexOfUnit } from '../../../src/formats/encoding/code-units.js';
import { csvDialect } from '../../../src/formats/csv/dialect.js';
import { lastRowEnd, lastRowEndUtf16 } from '../../../src/formats/csv/row-boundary.js';

const QUOTE = 0x22;
const LF = 0x0a;

function utf16(text: string, bigEndian: boolean): Buffer {
  const bytes = Buffer.from(text, 'utf16le');
  return bigEndian ? bytes.swap16() : bytes;
}

/**
 * The reference: the planner's cut on the same text with every non-ASCII code unit made an ASCII
 * letter (one byte per unit), in bytes of UTF-16 — another character is text to the reading rule.
 */
function expectedCut(text: string, fromUnit: number, toByte: number): number {
  const ascii = Buffer.from(Array.from({ length: text.length }, (_, u) => (text.charCodeAt(u) < 0x80 ? text.charCodeAt(u) : 0x78)));
  const cut = lastRowEnd(ascii, fromUnit, Math.floor(toByte / 2), csvDialect({ quote: QUOTE, newline: LF }));
  return cut === -1 ? -1 : cut * 2;
}

for (const bigEndian of [false, true]) {
  const name = bigEndian ? 'UTF-16BE' : 'UTF-16LE';
  describe(`lastRowEndUtf16 (${name})`, () => {
    test('cuts after the last newline outside quotes', () => {
      const text = 'a,b\n"x\ny",z\nc,d';
      const bytes = utf16(text, bigEndian);
      assert.equal(lastRowEndUtf16(bytes, 0, bytes.length, csvDialect({ quote: QUOTE, newline: LF }), bigEndian), 2 * (text.lastIndexOf('\n') + 1));
    });

    test('a newline inside quotes is not a row end', () => {
      const text = 'a,b\n"x\ny';
      const bytes = utf16(text, bigEndian);
      assert.equal(lastRowEndUtf16(bytes, 0, bytes.length, csvDialect({ quote: QUOTE, newline: LF }), bigEndian), 8);
    });

    test('no row end in the range: -1', () => {
      const bytes = utf16('"a\nb\nc', bigEndian);
      assert.equal(lastRowEndUtf16(bytes, 0, bytes.length, csvDialect({ quote: QUOTE, newline: LF }), bigEndian), -1);
    });

    test('bytes 0x0A and 0x22 inside other characters count as neither', () => {
      // U+0A22 and U+220A hold both bytes; U+0A00 and U+2200 hold them beside a zero byte.
      const text = 'a\u0A22b\u220A\u0A00\u2200\n\u0A22"\u220A\nq\u0A0A';
      const bytes = utf16(text, bigEndian);
      // The one real quote is mid-field (text), so both real newlines end rows.
      assert.equal(lastRowEndUtf16(bytes, 0, bytes.length, csvDialect({ quote: QUOTE, newline: LF }), bigEndian), 2 * (text.lastIndexOf('\n') + 1));
      assert.equal(lastRowEndUtf16(utf16(text.replace('\u0A22"', '"'), bigEndian), 0, 2 * (text.length - 1), csvDialect({ quote: QUOTE, newline: LF }), bigEndian), 2 * (text.indexOf('\n') + 1),
        'a quote at a field start opens a field the other newline is inside');
      const view = bufferView(bytes);
      assert.equal(countUnits(view, LF, bigEndian ? 'utf16be' : 'utf16le'), 2);
      assert.equal(countUnits(view, QUOTE, bigEndian ? 'utf16be' : 'utf16le'), 1);
    });

    test('an odd end (half a code unit) is never cut into', () => {
      const bytes = utf16('ab\ncd\n', bigEndian);
      // 11 bytes: the last newline unit is incomplete, so the cut is after the first.
      assert.equal(lastRowEndUtf16(bytes, 0, 11, csvDialect({ quote: QUOTE, newline: LF }), bigEndian), 6);
      assert.equal(lastRowEndUtf16(bytes, 0, 12, csvDialect({ quote: QUOTE, newline: LF }), bigEndian), 12);
    });

    test('`from` is a row start inside the buffer; units are counted from it', () => {
      const prefix = utf16('zz"\n', bigEndian);
      const bytes = Buffer.concat([prefix, utf16('a\nb', bigEndian)]);
      assert.equal(lastRowEndUtf16(bytes, prefix.length, bytes.length, csvDialect({ quote: QUOTE, newline: LF }), bigEndian), prefix.length + 4);
    });

    test('agrees with the reference on random text (property)', () => {
      const unit = fc.constantFrom('a', ',', '"', '""', '\n', '\r\n', 'é', '😀', '\u0A22', '\u220A', '\u0A00', '\u2200', '\u0A0A', '\u2222');
      fc.assert(fc.property(
        fc.array(unit, { maxLength: 60 }).map((units) => units.join('')),
        fc.array(unit, { maxLength: 8 }).map((units) => `${units.join('').replace(/"/g, '')}\n`),
        fc.nat(),
        (body, prefix, cutSeed) => {
          const text = prefix + body;
          const bytes = utf16(text, bigEndian);
          const from = 2 * prefix.length;
          const to = from + (cutSeed % (bytes.length - from + 1));
          assert.equal(lastRowEndUtf16(bytes, from, to, csvDialect({ quote: QUOTE, newline: LF }), bigEndian), expectedCut(text, prefix.length, to));
        },
      ), { numRuns: 500 });
    });
  });
}

describe('indexOfUnit', () => {
  test('finds the unit, not a byte of another character', () => {
    const le = bufferView(Buffer.from('\u0A00x\n', 'utf16le'));
    assert.equal(indexOfUnit(le, LF, 0, 'utf16le'), 4);
    const be = bufferView(Buffer.from('\u0A00x\n', 'utf16le').swap16());
    assert.equal(indexOfUnit(be, LF, 0, 'utf16be'), 4);
    assert.equal(indexOfUnit(bufferView(Buffer.from('ab\ncd')), LF, 0, 'bytes'), 2);
  });

  test('a unit cut in half at the end of the view is not found', () => {
    const le = bufferView(Buffer.from([0x61, 0x00, 0x0a]));
    assert.equal(indexOfUnit(le, LF, 0, 'utf16le'), -1);
  });
});
