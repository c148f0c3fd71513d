import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { createEngine, type Engine } from '../../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';

/**
 * Round trip: for any generated table written out in any supported encoding (UTF-8 with or without
 * BOM, UTF-16LE/BE, Windows-1252) with any delimiter, quoting and line ending, and loaded at any
 * chunk size, the database gives back the same values.
 */

type Kind = 'int' | 'float' | 'bool' | 'date' | 'timestamp' | 'text';

interface Table {
  kinds: Kind[];
  rows: (string | null)[][];
}

const textValue = fc.string({ unit: fc.constantFrom('a', 'Z', 'é', '日', ' ', ',', ';', '|', '\t', '"', "'", '\n', '\r\n', '𝄞', 'x'), minLength: 0, maxLength: 12 })
  .map((s) => `tx${s}`); // letters first: never read as a number, a date or a boolean

function valueFor(kind: Kind): fc.Arbitrary<string> {
  switch (kind) {
    case 'int': return fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }).map(String);
    case 'float': return fc.integer({ min: -10_000_000, max: 10_000_000 }).map((n) => String(n / 1000));
    case 'bool': return fc.boolean().map(String);
    case 'date': return fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    case 'timestamp': return fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
    default: return textValue;
  }
}

// Two columns at least: a one-column file has no delimiter to find, and a value like `a|b` in it
// is a real ambiguity (the sniffer reports its confidence; the user can say --delimiter).
const tableArbitrary: fc.Arbitrary<Table> = fc.array(fc.constantFrom<Kind>('int', 'float', 'bool', 'date', 'timestamp', 'text'), { minLength: 2, maxLength: 5 })
  .chain((kinds) => fc.array(fc.tuple(...kinds.map((k) => fc.option(valueFor(k), { freq: 8, nil: null }))), { minLength: 1, maxLength: 40 })
    .map((rows) => ({ kinds, rows: rows as (string | null)[][] })));

type Encoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/** The file's bytes in an encoding; Windows-1252 only gets text it can hold (no 日, no 𝄞). */
function encode(text: string, encoding: Encoding): Buffer {
  switch (encoding) {
    case 'utf-8': return Buffer.from(text, 'utf8');
    case 'utf-8-bom': return Buffer.from(`\ufeff${text}`, 'utf8');
    case 'utf-16le': return Buffer.from(`\ufeff${text}`, 'utf16le');
    case 'utf-16be': return Buffer.from(`\ufeff${text}`, 'utf16le').swap16();
    default: return Buffer.from(text, 'latin1');
  }
}

const styleArbitrary = fc.record({
  encoding: fc.constantFrom<Encoding>('utf-8', 'utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be', 'windows-1252'),
  delimiter: fc.constantFrom(',', ';', '\t', '|'),
  quoteAll: fc.boolean(),
  newline: fc.constantFrom('\n', '\r\n'),
  chunkSize: fc.integer({ min: 64, max: 4096 }),
  finalNewline: fc.boolean(),
});

function writeCsv(table: Table, style: { delimiter: string; quoteAll: boolean; newline: string; finalNewline: boolean }): string {
  const field = (value: string | null): string => {
    if (value === null) return '';
    // Values holding any candidate delimiter are quoted: unquoted, `a,b` in a tab file is a real
    // ambiguity (two fields under `,` in every row) that no sniffer can settle from the text.
    const needs = style.quoteAll || /[,;|\t"\r\n]/.test(value);
    return needs ? `"${value.replace(/"/g, '""')}"` : value;
  };
  const header = table.kinds.map((k, i) => `${k}_${i}`).join(style.delimiter);
  const lines = [header, ...table.rows.map((row) => row.map(field).join(style.delimiter))];
  return lines.join(style.newline) + (style.finalNewline ? style.newline : '');
}

function canonical(kind: Kind, value: string | null): string | null {
  if (value === null) return null;
  if (kind === 'timestamp') return new Date(value).toISOString();
  if (kind === 'float') return String(Number(value));
  return value;
}

let db: TestDatabase;
let engine: Engine;
let dir: string;

before(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'sluice-roundtrip-'));
  engine = createEngine({ databaseUrl: db.url, workers: 2, writers: 2 });
});

after(async () => {
  await engine.close();
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

test('any table, written in any dialect and loaded at any chunk size, comes back unchanged', { timeout: 180_000 }, async () => {
  let run = 0;
  await fc.assert(fc.asyncProperty(tableArbitrary, styleArbitrary, async (table, style) => {
    run++;
    const path = join(dir, `rt_${run}.csv`);
    const legacy = style.encoding === 'windows-1252';
    if (legacy) for (const row of table.rows) for (let i = 0; i < row.length; i++) if (row[i] !== null) row[i] = row[i]!.replace(/[日𝄞]/gu, 'j');
    await writeFile(path, encode(writeCsv(table, style), style.encoding));
    const chunked = createEngine({ databaseUrl: db.url, workers: 2, writers: 2, chunkSize: style.chunkSize });
    try {
      // A single-byte encoding is a statistical guess from a sample this small: name it, as a user would.
      const summary = await chunked.ingest(path, { dataset: `rt_${run}`, force: true, overrides: legacy ? { encoding: 'windows-1252' } : {} });
      assert.equal(summary.encoding, style.encoding === 'utf-8-bom' ? 'utf-8' : style.encoding);
      assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
      assert.equal(summary.rejected, 0, JSON.stringify(summary.reject_samples));
      assert.equal(summary.rows, table.rows.length);
      // to_json keeps each value's type (an all-NULL column is text, whatever was generated).
      const select = table.kinds.map((kind, i) => `to_json("${kind}_${i}") AS c${i}`);
      const result = await db.query<Record<string, unknown>>(`SELECT ${select.join(', ')} FROM staging.rt_${run} ORDER BY _offset`);
      const loaded = result.rows.map((row) => table.kinds.map((kind, i) => {
        const value = row[`c${i}`];
        if (value === null || value === undefined) return null;
        if (kind === 'timestamp') return new Date(String(value)).toISOString();
        if (kind === 'float') return String(Number(value));
        return String(value);
      }));
      const expected = table.rows.map((row) => row.map((value, i) => canonical(table.kinds[i], value)));
      assert.deepEqual(loaded, expected);
    } finally {
      await chunked.close();
    }
  }), { numRuns: Number(process.env.SLUICE_PROPERTY_RUNS ?? 40), seed: process.env.SLUICE_TEST_SEED === undefined ? undefined : Number(process.env.SLUICE_TEST_SEED) });
});
