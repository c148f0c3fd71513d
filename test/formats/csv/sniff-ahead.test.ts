import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Piscina } from 'piscina';
import { sniffAhead, takeSniffAhead } from '../../../src/formats/csv/sniff-ahead.js';
import { sniffFile } from '../../../src/formats/csv/sniff-file.js';
import { createWorkerPool } from '../../../src/worker-pool.js';

let pool: Piscina;
let dir: string;

before(() => {
  pool = createWorkerPool(1);
  dir = mkdtempSync(join(tmpdir(), 'sluice-sniff-ahead-'));
});

after(async () => {
  await pool.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function csvFile(name: string, rows = 500): { path: string; size: number } {
  const path = join(dir, name);
  let text = 'id;when;amount;note\n';
  for (let i = 0; i < rows; i++) text += `${i};2024-03-0${1 + (i % 9)};${(i * 1.25).toFixed(2)};"a; b ${i}"\n`;
  writeFileSync(path, text);
  return { path, size: Buffer.byteLength(text) };
}

test('a sniff started ahead is what sniffing the file now gives, and is handed out once', async () => {
  const { path, size } = csvFile('ahead.csv');
  sniffAhead(pool, path);
  const ahead = await takeSniffAhead(path, size, {}, undefined);
  assert.ok(ahead !== undefined);
  assert.deepEqual(ahead, await sniffFile(pool, path, size, {}, undefined));
  assert.equal(String.fromCharCode(ahead.dialect.delimiter), ';');
  assert.equal(await takeSniffAhead(path, size, {}, undefined), undefined);
});

test('a request with overrides or a chosen encoding sniffs itself', async () => {
  const { path, size } = csvFile('overrides.csv');
  sniffAhead(pool, path);
  assert.equal(await takeSniffAhead(path, size, { delimiter: 0x2c }, undefined), undefined);
  sniffAhead(pool, path);
  assert.equal(await takeSniffAhead(path, size, {}, 'windows-1252'), undefined);
  // Options given as undefined are no options.
  sniffAhead(pool, path);
  assert.ok(await takeSniffAhead(path, size, { header: undefined, delimiter: undefined }, undefined) !== undefined);
});

test('a file that changed after the sniff began is sniffed again', async () => {
  const grown = csvFile('grown.csv');
  await sniffAhead(pool, grown.path);
  const bigger = csvFile('grown.csv', 600);
  assert.notEqual(bigger.size, grown.size);
  assert.equal(await takeSniffAhead(grown.path, bigger.size, {}, undefined), undefined);

  const touched = csvFile('touched.csv');
  await sniffAhead(pool, touched.path);
  // Rewritten after the sniff: the same size, a later modification time.
  const same = csvFile('touched.csv');
  utimesSync(touched.path, new Date(), new Date(Date.now() + 60_000));
  assert.equal(same.size, touched.size);
  assert.equal(await takeSniffAhead(touched.path, touched.size, {}, undefined), undefined);
});

test('what is not a local CSV file is left to the load: JSON, a directory, a missing path, a URL', async () => {
  const json = join(dir, 'records.json');
  writeFileSync(json, '[{"a":1},{"a":2}]');
  for (const path of [json, dir, join(dir, 'missing.csv'), 'https://example.invalid/data.csv']) {
    sniffAhead(pool, path);
    assert.equal(await takeSniffAhead(path, 17, {}, undefined), undefined, path);
  }
});
