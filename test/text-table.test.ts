import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatStoredProfile, type StoredProfile } from '../src/stages/profile/stored-profile.js';
import { formatTable, tableCell } from '../src/text-table.js';

test('a cell shows line ends, tabs and other control characters escaped, and is cut with an ellipsis', () => {
  assert.equal(tableCell('called twice; prefers\nemail'), 'called twice; prefers\\nemail');
  assert.equal(tableCell('a\r\nb\tc\u0000d\u007f'), 'a\\r\\nb\\tc\\x00d\\x7f');
  assert.equal(tableCell('abcdef', 4), 'abc…');
  assert.equal(tableCell('abcd', 4), 'abcd');
});

test('columns are padded to their widest cell; an unpadded last column is left as it is', () => {
  assert.equal(formatTable(['a', 'bb'], [['xyz', '1'], ['', '22']]), 'a    bb\nxyz  1\n     22\n');
  assert.equal(formatTable(['a', 'file'], [['1', 'some/long/path  '], ['22', 'p']], { padLast: false }), 'a   file\n1   some/long/path  \n22  p\n');
});

test('a profile whose most common value holds a line end still prints one line per column', () => {
  const column = {
    name: 'notes', type: 'text', count: 50, nulls: 42, distinct: 1, distinct_exact: true, min: null, max: null, mean: null, stddev: null,
    quantiles: null, top: [{ value: 'called twice;\nprefers email', count: 8 }], patterns: {}, text_length: null,
  };
  const profile = {
    dataset: 'customers', file: 'customers.csv', file_id: 1, loaded_at: '2026-12-02T00:00:00Z', rows: 50, rejected: 0,
    columns: [column, { ...column, name: 'other', top: [{ value: 'plain', count: 3 }] }],
    quality: { completeness: 1, uniqueness: 1, validity: 1, consistency: 1, timeliness: null, accuracy: 1, score: 1 },
  } as unknown as StoredProfile;
  const lines = formatStoredProfile(profile).split('\n');
  const notes = lines.filter((l) => l.startsWith('notes'));
  assert.equal(notes.length, 1);
  assert.ok(notes[0].includes('called twice;\\nprefers … (8)'), notes[0]);
  assert.ok(lines.some((l) => l.startsWith('other') && l.includes('plain (3)')));
  assert.ok(!lines.some((l) => l.startsWith('prefers')));
});
