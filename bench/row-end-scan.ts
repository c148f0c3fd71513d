/**
 * The planner's question, asked of every chunk on the main thread: where does the last complete
 * record end? Three answers side by side, on three kinds of text:
 *
 *   (a) lastRowEnd — the lenient RFC 4180 rule, quote-to-quote with indexOf (what the planner runs)
 *   (b) the reference record-by-record reading of the same rule (escapes, comments, UTF-16 use it)
 *   (c) quote parity — the rule Sluice used before (csv-parser's): count quotes, walk back
 *
 * on the benchmark rows as they are (no quotes), with every field quoted (dense quotes), and with
 * one text field in ten quoted and holding a line end. (c) reads stray quotes wrongly; it is here
 * as the speed to keep. `node dist/bench/row-end-scan.js` (BENCH_SCAN_ROWS, BENCH_SCAN_ROUNDS).
 */
import { readFileSync } from 'node:fs';
import { Bench } from 'tinybench';
import { csvDialect, LF } from '../src/formats/csv/dialect.js';
import { countByte, DEFAULT_LIMITS, lastRowEnd, lastRowEndReference } from '../src/formats/csv/row-boundary.js';
import { csvPathFor, generateTimeseriesCsv } from './generate-timeseries-csv.js';
import { envInteger, isMain, median } from './support.js';

const QUOTE = 0x22;

/** The former rule: parity of the quotes before `to`, then back to a newline outside quotes. */
function lastRowEndByParity(bytes: Uint8Array, from: number, to: number): number {
  let parity = countByte(bytes, QUOTE, from, to) & 1;
  for (let i = to - 1; i >= from; i--) {
    const c = bytes[i];
    if (c === QUOTE) parity ^= 1;
    else if (c === LF && parity === 0) return i + 1;
  }
  return -1;
}

export interface ScanFigure {
  text: string;
  megabytes: number;
  /** Median ms per task over the rounds. */
  ms: Record<string, number>;
  /** (a) relative to (c): how much the lenient rule costs over parity. */
  lenientOverParity: number;
}

function variants(rows: string[]): Record<string, Buffer> {
  const header = rows[0];
  const body = rows.slice(1);
  const quoted = body.map((r) => r.split(',').map((f) => `"${f}"`).join(','));
  const multiline = body.map((r, i) => (i % 10 === 0 ? `${r},"note ${i}\nsecond line"` : `${r},note ${i}`));
  return {
    'as generated (no quotes)': Buffer.from(`${header}\n${body.join('\n')}\n`),
    'every field quoted': Buffer.from(`${header}\n${quoted.join('\n')}\n`),
    'one row in ten with a quoted line end': Buffer.from(`${header},note\n${multiline.join('\n')}\n`),
  };
}

export async function runRowEndScanBench(options: { log?: (line: string) => void } = {}): Promise<ScanFigure[]> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const fileRows = envInteger('BENCH_ROWS', 1_000_000, 1);
  const rowsWanted = envInteger('BENCH_SCAN_ROWS', 100_000, 10);
  const rounds = envInteger('BENCH_SCAN_ROUNDS', 3, 1);
  const path = csvPathFor(fileRows);
  await generateTimeseriesCsv(path, fileRows);
  const text = readFileSync(path, 'utf8');
  const rows = text.split('\n', rowsWanted + 1);
  const dialect = csvDialect({});
  const figures: ScanFigure[] = [];
  for (const [name, bytes] of Object.entries(variants(rows))) {
    // A chunk as the planner sees it: the last record is cut in two, so the scan must find the one before.
    const to = bytes.length - 7;
    const expected = lastRowEndReference(bytes, 0, to, dialect, DEFAULT_LIMITS);
    if (lastRowEnd(bytes, 0, to, dialect) !== expected) throw new Error(`row-end-scan: lastRowEnd disagrees with the reference on ${name}`);
    if (!name.includes('line end') && lastRowEndByParity(bytes, 0, to) !== expected) throw new Error(`row-end-scan: parity disagrees on ${name}`);
    const perRound: Record<string, number[]> = { '(a) lastRowEnd': [], '(b) reference': [], '(c) quote parity': [] };
    let sink = 0;
    for (let round = 0; round < rounds; round++) {
      const bench = new Bench({ time: 500, iterations: 5, warmupTime: 100, warmupIterations: 2, throws: true });
      bench.add('(a) lastRowEnd', () => { sink += lastRowEnd(bytes, 0, to, dialect); });
      bench.add('(b) reference', () => { sink += lastRowEndReference(bytes, 0, to, dialect, DEFAULT_LIMITS); });
      bench.add('(c) quote parity', () => { sink += lastRowEndByParity(bytes, 0, to); });
      await bench.run();
      for (const task of bench.tasks) perRound[task.name].push(task.result!.latency.p50 ?? task.result!.latency.mean);
    }
    if (sink === 0) throw new Error('row-end-scan: no work done');
    const ms = Object.fromEntries(Object.entries(perRound).map(([task, times]) => [task, median(times)]));
    const figure = { text: name, megabytes: bytes.length / 1e6, ms, lenientOverParity: ms['(a) lastRowEnd'] / ms['(c) quote parity'] };
    figures.push(figure);
    log(`  ${name.padEnd(40)} ${figure.megabytes.toFixed(1)} MB: ${Object.entries(ms).map(([task, t]) => `${task} ${t.toFixed(2)} ms`).join('  ')}  (a)/(c) ${figure.lenientOverParity.toFixed(2)}`);
  }
  return figures;
}

if (isMain(import.meta.url)) {
  const figures = await runRowEndScanBench();
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ bench: 'row-end-scan', figures })}\n`);
}
