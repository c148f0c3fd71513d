import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';
import { sluice } from '../../helpers/cli.js';
import { NOTES_SHEET, SALES_SHEET, writeSalesWorkbook } from './workbook-fixtures.js';

describe('sluice load with workbooks', () => {
  let db: TestDatabase;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-xlsx-cli-'));
    env = { ...process.env, DATABASE_URL: db.url, SLUICE_HOME: join(dir, 'home') };
  });

  after(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('--json prints one summary line per sheet; a directory contributes its .xlsx files', async () => {
    const inbox = join(dir, 'inbox');
    await mkdir(inbox);
    await writeSalesWorkbook(join(inbox, 'book.xlsx'));
    const outcome = await sluice(['load', inbox, '--json'], env);
    assert.equal(outcome.code, 0, outcome.stderr);
    const lines = outcome.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines.map((s) => [s.file, s.sheet, s.status, s.table, s.format]), [
      [join(inbox, 'book.xlsx'), SALES_SHEET, 'loaded', 'staging.book_sales_2024', 'xlsx'],
      [join(inbox, 'book.xlsx'), NOTES_SHEET, 'loaded', 'staging.book_notes', 'xlsx'],
    ]);
  });

  test('--sheet chooses the sheet; one that is not there fails with its code and a non-zero exit', async () => {
    const path = join(dir, 'pick.xlsx');
    await writeSalesWorkbook(path, 'cli-pick');
    const chosen = await sluice(['load', path, '--sheet', '2', '--json'], env);
    assert.equal(chosen.code, 0, chosen.stderr);
    const lines = chosen.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines.map((s) => [s.sheet, s.status, s.dataset]), [[NOTES_SHEET, 'loaded', 'pick_notes']]);
    const missing = await sluice(['load', path, '--sheet', 'Nope'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /SLUICE_ERR_FORMAT_XLSX_SHEET_NOT_FOUND/);
  });
});
