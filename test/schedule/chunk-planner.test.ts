import assert from 'node:assert/strict';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SlotRing } from '../../src/ring/slot-ring.js';
import { ChunkPlanner, type PlannedChunk } from '../../src/schedule/chunk-planner.js';
import { lastRowEnd } from '../../src/formats/csv/row-boundary.js';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'sluice-planner-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

async function plan(text: string, chunkSize: number, committed = new Map<number, { byteStart: number; byteEnd: number }>()): Promise<{ chunks: PlannedChunk[]; planner: ChunkPlanner }> {
  const path = join(dir, `f${Math.random()}.csv`);
  await writeFile(path, text);
  const file = await open(path, 'r');
  const ring = new SlotRing({ slots: 2, inputCapacity: chunkSize });
  const planner = new ChunkPlanner({ file, size: Buffer.byteLength(text), dataStart: 0, chunkSize, maxRowBytes: 1 << 20, lastRowEnd: (bytes, from, to) => lastRowEnd(bytes, from, to, 0x22, 0x0a), ring, committed });
  const chunks: PlannedChunk[] = [];
  try {
    for (let chunk = await planner.next(); chunk !== null; chunk = await planner.next()) {
      chunks.push(chunk);
      ring.release(chunk.slot);
    }
  } finally {
    await file.close();
  }
  return { chunks, planner };
}

test('chunks are contiguous, cover the file, and end after a row outside quotes', async () => {
  const text = 'a,"b\nc",d\ne,f,g\n"h\n\n\ni",j,k\nl,m,n\n';
  const { chunks } = await plan(text, 12);
  assert.equal(chunks[0].byteStart, 0);
  assert.equal(chunks.at(-1)!.byteEnd, text.length);
  for (let i = 1; i < chunks.length; i++) assert.equal(chunks[i].byteStart, chunks[i - 1].byteEnd);
  const rowStarts = new Set([0, text.indexOf('e,f'), text.indexOf('"h'), text.indexOf('l,m'), text.length]);
  for (const chunk of chunks) assert.ok(rowStarts.has(chunk.byteEnd), `chunk ends inside a row at ${chunk.byteEnd}`);
});

test('the plan is deterministic, and committed chunks are skipped without reading', async () => {
  const text = Array.from({ length: 200 }, (_, i) => `${i},"x\n${i}"`).join('\n');
  const first = await plan(text, 64);
  const again = await plan(text, 64);
  assert.deepEqual(first.chunks.map((c) => [c.byteStart, c.byteEnd]), again.chunks.map((c) => [c.byteStart, c.byteEnd]));
  const committed = new Map(first.chunks.slice(0, 5).map((c) => [c.chunkNo, { byteStart: c.byteStart, byteEnd: c.byteEnd }]));
  const resumed = await plan(text, 64, committed);
  assert.equal(resumed.planner.skipped, 5);
  assert.deepEqual(resumed.chunks.map((c) => [c.chunkNo, c.byteStart]), first.chunks.slice(5).map((c) => [c.chunkNo, c.byteStart]));
});

test('a row longer than a chunk gets a chunk of its own in a larger buffer', async () => {
  const long = `"${'z'.repeat(500)}"`;
  const text = `1,a\n2,${long}\n3,c\n`;
  const { chunks } = await plan(text, 16);
  const big = chunks.find((c) => c.oversize !== undefined);
  assert.ok(big !== undefined);
  assert.equal(text.slice(big.byteStart, big.byteEnd).includes(long), true);
  assert.equal(chunks.at(-1)!.byteEnd, text.length);
});

test('an unclosed quote fails the file once it runs past maxRowBytes', async () => {
  const text = `1,"never closed\n${'x,y\n'.repeat(300_000)}`;
  await assert.rejects(plan(text, 4096), { code: 'SLUICE_ERR_FORMAT_ROW_TOO_LONG' });
});
