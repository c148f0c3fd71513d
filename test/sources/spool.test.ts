import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { SluiceError } from '../../src/errors.js';
import { openSpoolEntry, spoolFileName, spoolStream, sweepSpool } from '../../src/sources/spool.js';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'sluice-spool-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

test('directories of processes that are gone are swept; live ones and other hosts\' are kept', async () => {
  const spool = join(dir, 'sweep');
  // Beyond any pid_max: no such process.
  const dead = `${hostname()}-2147483000-abcdef`;
  const live = `${hostname()}-${process.ppid}-abcdef`;
  const foreign = 'another-host-2147483000-abcdef';
  for (const name of [dead, live, foreign]) await mkdir(join(spool, name, 'gunzip'), { recursive: true });
  const entry = await openSpoolEntry(spool);
  assert.deepEqual((await readdir(spool)).sort(), [foreign, live, entry.dir.slice(spool.length + 1)].sort());
  await entry.remove();
  assert.deepEqual(await sweepSpool(spool), []);
});

test('a stream is written under .part and renamed into place only when complete', async () => {
  const entry = await openSpoolEntry(join(dir, 'write'));
  const target = join(entry.dir, 'data.csv');
  const file = await spoolStream([Readable.from([Buffer.from('a,b\n'), Buffer.from('1,2\n')])], target, 1024, () => new SluiceError('SLUICE_ERR_SOURCE_TOO_LARGE', 'too large'));
  assert.deepEqual([file.bytes, (await stat(target)).size], [8, 8]);
  assert.deepEqual(await readdir(entry.dir), ['data.csv']);
  await entry.remove();
});

test('a stream past the limit fails with the given error and leaves no file', async () => {
  const entry = await openSpoolEntry(join(dir, 'limit'));
  const chunks = Array.from({ length: 100 }, () => Buffer.alloc(1000, 0x61));
  await assert.rejects(
    spoolStream([Readable.from(chunks)], join(entry.dir, 'big.csv'), 10_000, () => new SluiceError('SLUICE_ERR_SOURCE_TOO_LARGE', 'too large')),
    { code: 'SLUICE_ERR_SOURCE_TOO_LARGE' });
  assert.deepEqual(await readdir(entry.dir), []);
  await entry.remove();
});

test('spool names are single, non-empty path segments', () => {
  assert.equal(spoolFileName('a/b\\c'), 'a_b_c');
  assert.equal(spoolFileName('..'), 'download');
  assert.equal(spoolFileName(''), 'download');
  assert.ok(Buffer.byteLength(spoolFileName('é'.repeat(300))) <= 200);
});
