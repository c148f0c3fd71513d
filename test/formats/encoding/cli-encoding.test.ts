/**
 * The encoding at the command line: `sluice sniff` reports it with its confidence and prints the
 * `--encoding` that reproduces it; a label Sluice cannot read is a usage error before any work.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sluice } from '../../helpers/cli.js';
import { encodeLines } from './encoded-text.js';

describe('sluice CLI: encodings', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-cli-encoding-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('sniff reports the encoding, its confidence and the --encoding that reproduces it', async () => {
    const path = join(dir, 'wide.csv');
    await writeFile(path, encodeLines(['id,city', '1,Zürich', '2,東京'], 'utf-16be', { bom: true }).bytes);
    const outcome = await sluice(['sniff', path], process.env);
    assert.equal(outcome.code, 0, outcome.stderr);
    const report = JSON.parse(outcome.stdout) as { encoding: string; confidence: Record<string, number>; columns: { source: string }[]; overrides: string };
    assert.equal(report.encoding, 'utf-16be');
    assert.equal(report.confidence.encoding, 1);
    assert.deepEqual(report.columns.map((c) => c.source), ['id', 'city']);
    assert.match(report.overrides, /--encoding utf-16be/);
  });

  test('an --encoding Sluice cannot read is a usage error (exit 2) that names the option', async () => {
    const path = join(dir, 'plain.csv');
    await writeFile(path, 'a,b\n1,2\n');
    const outcome = await sluice(['sniff', path, '--encoding', 'utf-32'], process.env);
    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, /--encoding/);
  });
});
