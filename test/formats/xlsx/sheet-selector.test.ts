import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { selectSheet } from '../../../src/formats/xlsx/sheet-selector.js';

describe('selectSheet (--sheet NAME|N)', () => {
  const names = ['Sales', 'Notes', '3', 'Q1 2024'];

  test('a name, exactly', () => {
    assert.equal(selectSheet('Notes', names), 'Notes');
    assert.equal(selectSheet('Q1 2024', names), 'Q1 2024');
  });

  test('a 1-based position in tab order', () => {
    assert.equal(selectSheet('1', names), 'Sales');
    assert.equal(selectSheet('4', names), 'Q1 2024');
  });

  test('a sheet named like a number wins over the position', () => {
    assert.equal(selectSheet('3', names), '3');
  });

  test('a name in another case, as Excel compares names', () => {
    assert.equal(selectSheet('notes', names), 'Notes');
  });

  test('nothing that matches', () => {
    assert.equal(selectSheet('5', names), null);
    assert.equal(selectSheet('0', names), null);
    assert.equal(selectSheet('Nope', names), null);
  });
});
