/** Pattern classes and character lengths read from UTF-8 bytes. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { PATTERN_CLASSES, classifyText, textLength } from '../../src/profile/text-patterns.js';

/** The classes as the file comment states them, with regular expressions over the decoded string. */
function referenceClass(value: string): string {
  if (value === '') return 'empty';
  if (/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(value)) return 'uuid';
  if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][^]*)?$/.test(value)) return 'date';
  if (/^https?:\/\/[^]+$/.test(value)) return 'url';
  if (/^[^@]+@[^@]+[.][^@]+$/.test(value) && !/[\x00-\x20]/.test(value) && !value.endsWith('.')) return 'email';
  if (/[^0-9A-Za-z\u0080-\u{10ffff}]/u.test(value)) return 'other';
  if (/^[0-9]+$/.test(value)) return 'digits';
  if (!/[0-9]/.test(value)) return 'letters';
  return 'alphanumeric';
}

function classOf(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  return PATTERN_CLASSES[classifyText(bytes, 0, bytes.length)];
}

describe('classifyText', () => {
  const cases: Array<[string, string]> = [
    ['', 'empty'],
    ['123e4567-e89b-12d3-a456-426614174000', 'uuid'],
    ['123E4567-E89B-12D3-A456-42661417400G', 'other'],
    ['2024-02-29', 'date'],
    ['2024-02-29T12:00:00Z', 'date'],
    ['2024-02-29 12:00', 'date'],
    ['2024-02-2', 'other'],
    ['https://example.com/a?b=1', 'url'],
    ['http://x', 'url'],
    ['https://', 'other'],
    ['ann@example.com', 'email'],
    ['ann@example', 'other'],
    ['@example.com', 'other'],
    ['ann@ex.com.', 'other'],
    ['a b@example.com', 'other'],
    ['a@b@example.com', 'other'],
    ['0042', 'digits'],
    ['Zoë', 'letters'],
    ['abcDEF', 'letters'],
    ['A1B2', 'alphanumeric'],
    ['12.5', 'other'],
    ['-3', 'other'],
    ['hello world', 'other'],
  ];
  for (const [value, expected] of cases) {
    test(`${JSON.stringify(value)} is ${expected}`, () => assert.equal(classOf(value), expected));
  }

  test('random text of every shape gets the class and length the stated rules give', () => {
    const piece = fc.constantFrom('a', 'Z', '0', '9', '@', '.', ' ', '-', '\t', 'ë', '日', '😀', 'http://', 'https://', 'x.y', '2024-02-29', 'T');
    const value = fc.oneof(fc.array(piece, { maxLength: 12 }).map((p) => p.join('')), fc.string({ maxLength: 10 }), fc.emailAddress(), fc.uuid());
    fc.assert(fc.property(value, (v) => {
      const bytes = Buffer.from(`<${v}>`, 'utf8');
      assert.equal(PATTERN_CLASSES[classifyText(bytes, 1, bytes.length - 1)], referenceClass(v), JSON.stringify(v));
      assert.equal(textLength, [...v].length);
    }), { numRuns: 3000 });
  });

  test('length counts characters, not bytes', () => {
    for (const value of ['', 'abc', 'Zoë', '日本語', '😀x']) {
      const bytes = Buffer.from(value, 'utf8');
      classifyText(bytes, 0, bytes.length);
      assert.equal(textLength, [...value].length, value);
    }
  });

  test('reads only the given range of a larger buffer', () => {
    const bytes = Buffer.from('xx0042yy', 'utf8');
    assert.equal(PATTERN_CLASSES[classifyText(bytes, 2, 6)], 'digits');
    assert.equal(textLength, 4);
  });
});
