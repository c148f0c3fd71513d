/** Pattern classes and character lengths read from UTF-8 bytes. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PATTERN_CLASSES, classifyText, textLength } from '../../src/profile/text-patterns.js';

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
