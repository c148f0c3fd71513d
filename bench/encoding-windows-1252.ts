/**
 * Question: what does a file that is not UTF-8 cost? `sluice load` of a Windows-1252 file (every
 * chunk decoded to UTF-8 in the workers, offsets mapped back to the file's bytes) against
 * `psql \copy` of the same rows written in UTF-8 — the ratio to set beside the UTF-8 headline
 * (bench/engine-vs-psql-copy.ts).
 *
 * The files are the 1M-row time-series CSV with some notes turned into non-ASCII text (café,
 * Zürich, Straße, "remplacé, lot €…"): about a third of the rows, so every chunk holds some and
 * none takes the pure-ASCII shortcut. Written once beside the source file as
 * timeseries-1m-windows-1252.csv and timeseries-1m-notes-utf8.csv, reused while the marker matches.
 *
 * Same protocol as engine-vs-psql-copy (alternating rounds after a warm-up, medians; BENCH_ROUNDS,
 * BENCH_WARMUP, DATABASE_URL, SLUICE_* flags), plus: sluice must report windows-1252.
 *
 *   node dist/bench/encoding-windows-1252.js
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type EngineBenchResult, runEngineBench } from './engine-vs-psql-copy.js';
import { csvPathFor, generateTimeseriesCsv } from './generate-timeseries-csv.js';
import { envInteger, fmtInt, isMain } from './support.js';

/** Bump when the substitutions change. */
const VARIANT_VERSION = 1;

/** Notes of the generated file and what they become (Windows-1252 has all these characters). */
const SUBSTITUTIONS: [RegExp, string][] = [
  [/,nominal\n/g, ',café\n'],
  [/,maint\n/g, ',Zürich\n'],
  [/,spike\n/g, ',Straße\n'],
  [/"replaced, batch /g, '"remplacé, lot € '],
];

export interface EncodingVariant {
  utf8Path: string;
  windows1252Path: string;
  rows: number;
  utf8Bytes: number;
  windows1252Bytes: number;
  generated: boolean;
}

interface VariantMarker {
  version: number;
  sourceSha256: string;
  utf8Bytes: number;
  windows1252Bytes: number;
}

/** The UTF-8 and Windows-1252 files with non-ASCII notes, made from the time-series CSV. */
export async function encodingVariant(rows: number): Promise<EncodingVariant> {
  const source = await generateTimeseriesCsv(csvPathFor(rows), rows);
  const stem = basename(source.path, '.csv');
  const utf8Path = join(dirname(source.path), `${stem}-notes-utf8.csv`);
  const windows1252Path = join(dirname(source.path), `${stem}-windows-1252.csv`);
  const markerPath = `${windows1252Path}.meta.json`;
  if (existsSync(utf8Path) && existsSync(windows1252Path) && existsSync(markerPath)) {
    const marker = JSON.parse(readFileSync(markerPath, 'utf8')) as VariantMarker;
    if (marker.version === VARIANT_VERSION && marker.sourceSha256 === source.sha256
      && statSync(utf8Path).size === marker.utf8Bytes && statSync(windows1252Path).size === marker.windows1252Bytes) {
      return { utf8Path, windows1252Path, rows, utf8Bytes: marker.utf8Bytes, windows1252Bytes: marker.windows1252Bytes, generated: false };
    }
  }
  let text = readFileSync(source.path, 'utf8');
  for (const [pattern, replacement] of SUBSTITUTIONS) text = text.replace(pattern, replacement);
  const utf8 = Buffer.from(text, 'utf8');
  // Every character is Latin-1 except €, which Windows-1252 writes as 0x80.
  const windows1252 = Buffer.from(text.replace(/€/g, '\x80'), 'latin1');
  writeFileSync(utf8Path, utf8);
  writeFileSync(windows1252Path, windows1252);
  const marker: VariantMarker = { version: VARIANT_VERSION, sourceSha256: source.sha256, utf8Bytes: utf8.length, windows1252Bytes: windows1252.length };
  writeFileSync(markerPath, `${JSON.stringify(marker, null, 2)}\n`);
  return { utf8Path, windows1252Path, rows, utf8Bytes: utf8.length, windows1252Bytes: windows1252.length, generated: true };
}

export async function runEncodingBench(options: { log?: (line: string) => void } = {}): Promise<EngineBenchResult & { variant: EncodingVariant }> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const variant = await encodingVariant(envInteger('BENCH_ROWS', 1_000_000, 1));
  log(`${variant.generated ? 'generated' : 'reused'} ${variant.windows1252Path} (${(variant.windows1252Bytes / 1e6).toFixed(1)} MB) `
    + `and its UTF-8 twin (${(variant.utf8Bytes / 1e6).toFixed(1)} MB), ${fmtInt(variant.rows)} rows`);
  const result = await runEngineBench({
    log,
    input: { psqlPath: variant.utf8Path, sluicePath: variant.windows1252Path, rows: variant.rows, bytes: variant.windows1252Bytes },
    expectEncoding: 'windows-1252',
  });
  return { ...result, variant };
}

if (isMain(import.meta.url)) {
  const result = await runEncodingBench();
  process.stdout.write(`${JSON.stringify({ ...result, bench: 'encoding-windows-1252' })}\n`);
}
