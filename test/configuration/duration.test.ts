import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseDuration } from '../../src/configuration/duration.js';

const UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

test('durations: units, combinations and fractions', () => {
  assert.equal(parseDuration('2d'), 172_800_000);
  assert.equal(parseDuration('10m'), 600_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1.5s'), 1_500);
  assert.equal(parseDuration(' 1w '), 604_800_000);
});

test('durations: no unit, unknown units, signs and words are not durations', () => {
  for (const text of ['', '10', '2 days', '2x', '-1s', 'm', '1h 30m', '1.s', 'P1D']) assert.equal(parseDuration(text), undefined, text);
});

test('durations: any sequence of whole-number parts adds up', () => {
  const unit = fc.constantFrom(...(Object.keys(UNITS) as (keyof typeof UNITS)[]));
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(10_000), unit), { minLength: 1, maxLength: 5 }), (parts) => {
    const text = parts.map(([n, u]) => `${n}${u}`).join('');
    assert.equal(parseDuration(text), parts.reduce((sum, [n, u]) => sum + n * UNITS[u], 0));
  }));
});
