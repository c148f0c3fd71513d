import assert from 'node:assert/strict';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SlotRing } from '../../src/ring/slot-ring.js';
import { ChunkPlanner, type PlannedChunk } from '../../src/schedule/chunk-planner.js';
import { lastRowEnd } from '../../src/formats/csv/row-boundary.js';
import { DEFAULT_DIALECT } from '../../src/formats/csv/dialect.js';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'sluice-planner-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

interface PlanOptions {
  maxRowBytes?: number;
  lineTerminator?: number | null;
  /** Line ends a quoted field may hold before its record is broken (row-boundary.ts). */
  maxQuotedLines?: number;
}

async function plan(text: string, chunkSize: number, committed = new Map<number, { byteStart: number; byteEnd: number }>(), options: PlanOptions = {}): Promise<{ chunks: PlannedChunk[]; planner: ChunkPlanner }> {
  const path = join(dir, `f${Math.random()}.csv`);
  await writeFile(path, text);
  const file = await open(path, 'r');
  const ring = new SlotRing({ slots: 2, inputCapacity: chunkSize });
  const planner = new ChunkPlanner({
    file, size: Buffer.byteLength(text), dataStart: 0, chunkSize, maxRowBytes: options.maxRowBytes ?? 1 << 20,
    lastRowEnd: (bytes, from, to) => lastRowEnd(bytes, from, to, DEFAULT_DIALECT, { maxQuotedLines: options.maxQuotedLines ?? 100 }), lineTerminator: options.lineTerminator === undefined ? 0x0a : options.lineTerminator, ring, committed,
  });
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

test('an unclosed quote: its first line ends a chunk once the quoted field holds too many lines', async () => {
  const text = `1,a\n2,"never closed\n${'x,y\n'.repeat(300_000)}`;
  const { chunks } = await plan(text, 4096);
  const ends = new Set(chunks.map((c) => c.byteEnd));
  // Every chunk ends at a line end, and the broken record (its first line) is a record: some
  // chunk ends right after it or after the lines that follow it.
  for (const end of ends) assert.ok(end === text.length || text[end - 1] === '\n');
  assert.equal(chunks.at(-1)!.byteEnd, text.length);
  assert.ok(chunks.length > 100, 'the lines after the unclosed quote are cut into chunks as rows');
});

test('a quoted field still open maxRowBytes after its record starts: the record is its first line', async () => {
  const text = `1,"never closed\n${'x,y\n'.repeat(300_000)}`;
  const { chunks } = await plan(text, 4096, new Map(), { maxQuotedLines: 10_000, maxRowBytes: 16 * 1024 });
  assert.deepEqual([chunks[0].byteStart, chunks[0].byteEnd], [0, text.indexOf('\n') + 1]);
  assert.equal(chunks.at(-1)!.byteEnd, text.length);
  for (let i = 1; i < chunks.length; i++) assert.equal(chunks[i].byteStart, chunks[i - 1].byteEnd);
});

function ranges(chunks: PlannedChunk[]): [number, number][] {
  return chunks.map((c) => [c.byteStart, c.byteEnd]);
}

test('a line longer than maxRowBytes is a chunk of its own, and the next line starts the next chunk', async () => {
  const long = `9,${'x'.repeat(5000)}\n`;
  const text = `1,a\n2,b\n${long}3,c\n4,d\n`;
  const { chunks } = await plan(text, 64, new Map(), { maxRowBytes: 1024 });
  const overlong = chunks.filter((c) => c.overlongLine !== undefined);
  assert.equal(overlong.length, 1);
  assert.deepEqual(ranges(overlong), [[text.indexOf('9,'), text.indexOf('3,c')]]);
  assert.equal(overlong[0].overlongLine!.terminated, true);
  assert.equal(overlong[0].overlongLine!.head.toString(), long.slice(0, 1024));
  assert.equal(chunks[0].byteStart, 0);
  assert.equal(chunks.at(-1)!.byteEnd, text.length);
  for (let i = 1; i < chunks.length; i++) assert.equal(chunks[i].byteStart, chunks[i - 1].byteEnd);
});

test('over-long lines are planned the same every time, and a resume skips them like any committed chunk', async () => {
  const text = Array.from({ length: 40 }, (_, i) => (i % 9 === 4 ? `${i},"${'q'.repeat(3000)}\n` : `${i},row\n`)).join('');
  const first = await plan(text, 128, new Map(), { maxRowBytes: 1024 });
  const again = await plan(text, 128, new Map(), { maxRowBytes: 1024 });
  assert.deepEqual(ranges(first.chunks), ranges(again.chunks));
  assert.equal(first.chunks.filter((c) => c.overlongLine !== undefined).length, 4);
  const committed = new Map(first.chunks.slice(0, 6).map((c) => [c.chunkNo, { byteStart: c.byteStart, byteEnd: c.byteEnd }]));
  const resumed = await plan(text, 128, committed, { maxRowBytes: 1024 });
  assert.deepEqual(ranges(resumed.chunks), ranges(first.chunks.slice(6)));
});

test('an over-long line holding an unbalanced quote is still one line: the next line starts a row', async () => {
  const text = `1,a\n2,"${'z'.repeat(3000)}\n3,c\n`;
  const { chunks } = await plan(text, 64, new Map(), { maxRowBytes: 1024 });
  const overlong = chunks.find((c) => c.overlongLine !== undefined)!;
  assert.equal(overlong.byteEnd, text.indexOf('3,c'));
  assert.equal(chunks.at(-1)!.byteEnd, text.length);
});

test('an over-long last line without a line end runs to the end of the file', async () => {
  const text = `1,a\n2,${'y'.repeat(4000)}`;
  const { chunks } = await plan(text, 64, new Map(), { maxRowBytes: 1024 });
  const last = chunks.at(-1)!;
  assert.deepEqual([last.byteStart, last.byteEnd, last.overlongLine?.terminated], [4, text.length, false]);
});

test('a row of exactly maxRowBytes (its line end included) is a row; one byte more is an over-long line', async () => {
  const row = (length: number): string => `${'r'.repeat(length - 1)}\n`;
  const fits = await plan(`a\n${row(1024)}b\nc\n`, 64, new Map(), { maxRowBytes: 1024 });
  assert.equal(fits.chunks.some((c) => c.overlongLine !== undefined), false);
  const over = await plan(`a\n${row(1025)}b\nc\n`, 64, new Map(), { maxRowBytes: 1024 });
  assert.deepEqual(over.chunks.filter((c) => c.overlongLine !== undefined).map((c) => [c.byteStart, c.byteEnd]), [[2, 2 + 1025]]);
});

test('with chunks larger than maxRowBytes, a line that no chunk can cut is still found over-long', async () => {
  const text = `1,a\n${'w'.repeat(9000)}\n2,b\n`;
  const { chunks } = await plan(text, 4096, new Map(), { maxRowBytes: 1024 });
  assert.deepEqual(ranges(chunks.filter((c) => c.overlongLine !== undefined)), [[4, 4 + 9001]]);
  assert.equal(chunks.at(-1)!.byteEnd, text.length);
});

test('a format without lines (no line terminator) fails the file on a row longer than maxRowBytes', async () => {
  const text = `1,a\n2,${'v'.repeat(5000)}\n3,c\n`;
  await assert.rejects(plan(text, 64, new Map(), { maxRowBytes: 1024, lineTerminator: null }), { code: 'SLUICE_ERR_FORMAT_ROW_TOO_LONG' });
});

test('a quoted field still open across lines: broken by its lines or by maxRowBytes, whichever comes first — the same cut', async () => {
  const text = `1,"opened\n${'x,y\n'.repeat(1000)}`;
  // 1000 lines allowed: maxRowBytes (1024) comes first; the first line is a chunk of its own.
  const byBytes = (await plan(text, 64, new Map(), { maxRowBytes: 1024, maxQuotedLines: 1000 })).chunks;
  assert.equal(byBytes[0].byteEnd, text.indexOf('\n') + 1);
  assert.equal(byBytes.at(-1)!.byteEnd, text.length);
  // 100 lines allowed: found broken within the first read, the first line is a record and the
  // rows after it fill the chunk.
  const byLines = (await plan(text, 64, new Map(), { maxRowBytes: 1024, maxQuotedLines: 100 })).chunks;
  assert.ok(byLines[0].byteEnd > text.indexOf('\n') + 1 && text[byLines[0].byteEnd - 1] === '\n');
  assert.equal(byLines.at(-1)!.byteEnd, text.length);
});
