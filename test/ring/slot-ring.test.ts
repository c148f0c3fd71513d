import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SlotRing, SlotState, transition } from '../../src/ring/slot-ring.js';
import { BoundedQueue } from '../../src/schedule/bounded-queue.js';

test('acquire hands out each slot once and waits when all are in use', async () => {
  const ring = new SlotRing({ slots: 2, inputCapacity: 16 });
  const a = await ring.acquire();
  const b = await ring.acquire();
  assert.notEqual(a, b);
  assert.equal(ring.available, 0);
  let third: number | undefined;
  const waiting = Promise.resolve(ring.acquire()).then((slot) => { third = slot; });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(third, undefined, 'acquire must wait while every slot is in use');
  ring.release(b);
  await waiting;
  assert.equal(third, b);
  assert.equal(ring.state(b), SlotState.filling);
});

test('slot regions do not overlap and are shared memory', () => {
  const ring = new SlotRing({ slots: 3, inputCapacity: 8, outputCapacity: 12, rejectsCapacity: 4 });
  const views = [0, 1, 2].map((slot) => ring.views(slot));
  views.forEach((v, slot) => { v.input.fill(slot + 1); v.output.fill(slot + 1); v.rejects.fill(slot + 1); });
  views.forEach((v, slot) => {
    assert.ok(v.input.every((byte) => byte === slot + 1));
    assert.ok(v.output.every((byte) => byte === slot + 1));
    assert.ok(v.rejects.every((byte) => byte === slot + 1));
    assert.ok(v.input.buffer instanceof SharedArrayBuffer);
  });
});

test('a transition from the wrong state fails loudly', async () => {
  const ring = new SlotRing({ slots: 1, inputCapacity: 8 });
  const slot = await ring.acquire();
  assert.throws(() => transition(ring.shared, slot, SlotState.encoding, SlotState.encoded), /expected 2/);
  transition(ring.shared, slot, SlotState.filling, SlotState.encoding);
  assert.equal(ring.state(slot), SlotState.encoding);
});

test('the bounded queue refuses items past its capacity and wakes consumers in order', async () => {
  const queue = new BoundedQueue<number>(2);
  assert.equal(queue.push(1), true);
  assert.equal(queue.push(2), true);
  assert.equal(queue.push(3), false);
  assert.equal(await queue.take(), 1);
  assert.equal(await queue.take(), 2);
  const pending = queue.take();
  queue.push(4);
  assert.equal(await pending, 4);
  const ended = queue.take();
  queue.close();
  assert.equal(await ended, undefined);
});
