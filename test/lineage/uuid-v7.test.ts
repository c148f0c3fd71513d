import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { uuidV7, uuidV7Time } from '../../src/lineage/uuid-v7.js';

const FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('uuidV7', () => {
  test('is a UUID in the canonical form with version 7', () => {
    for (let i = 0; i < 1000; i++) {
      const id = uuidV7();
      assert.match(id, FORMAT);
      assert.equal(id[14], '7', id);
    }
  });

  test('has the RFC 9562 variant (the two top bits of byte 8 are 10)', () => {
    for (let i = 0; i < 1000; i++) {
      const byte8 = Number.parseInt(uuidV7().slice(19, 21), 16);
      assert.equal(byte8 >> 6, 0b10);
    }
  });

  test('carries the time it was made, in milliseconds', () => {
    const before = Date.now();
    const time = uuidV7Time(uuidV7());
    assert.ok(time >= before && time <= Date.now() + 1, `${time} not in [${before}, now]`);
    // Later than any id made so far (ids never go back in time; see the clock test below).
    const at = Date.now() + 5_000;
    assert.equal(uuidV7Time(uuidV7(at)), at);
  });

  test('ids made one after another sort in the order they were made, within a millisecond too', () => {
    const fixed = Date.now() + 10_000;
    // More ids in one millisecond than the 12-bit counter holds: the time moves on instead.
    const ids = Array.from({ length: 10_000 }, () => uuidV7(fixed));
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(uuidV7Time(ids[ids.length - 1]) > fixed);
  });

  test('a clock that steps back does not break the order', () => {
    const first = uuidV7(Date.now() + 20_000);
    const second = uuidV7(Date.now());
    assert.ok(second > first);
  });
});
