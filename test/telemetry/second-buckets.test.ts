import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SecondBuckets } from '../../src/telemetry/second-buckets.js';

describe('per-second buckets', () => {
  test('counts land in their second; sums and rates cover the last N seconds', () => {
    let now = 1_000_000_000;
    const buckets = new SecondBuckets(() => now);
    buckets.add('rows', 100, now);
    buckets.add('rows', 50, now + 999);
    buckets.add('rows', 7, now + 1000);
    now += 1500;
    assert.equal(buckets.sum('rows', 1), 7);
    assert.equal(buckets.sum('rows', 2), 157);
    assert.deepEqual(buckets.series('rows', 3), [0, 150, 7]);
    assert.equal(buckets.rate('rows', 2), 78.5);
    assert.equal(buckets.sum('bytes', 60), 0, 'counters are separate');
  });

  test('a bucket from a lap of the ring ago reads as empty, not as its old count', () => {
    let now = 5_000_000;
    const buckets = new SecondBuckets(() => now);
    buckets.add('files', 3, now);
    now += 120_000;
    assert.equal(buckets.sum('files', 120), 0, 'the second 120 s ago is outside the window');
    buckets.add('files', 1, now);
    assert.equal(buckets.sum('files', 120), 1, 'the slot was reused, its old count dropped');
    now += 60_000;
    assert.equal(buckets.sum('files', 60), 0);
    assert.equal(buckets.sum('files', 61), 1);
  });

  test('windows are clamped to 1..120 seconds', () => {
    const now = 9_000_000;
    const buckets = new SecondBuckets(() => now);
    buckets.add('chunks', 2, now);
    assert.equal(buckets.sum('chunks', 0), 2);
    assert.equal(buckets.sum('chunks', 10_000), 2);
    assert.equal(buckets.series('chunks', 500).length, 120);
  });
});
