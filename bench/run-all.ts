/**
 * The whole suite — what `npm run bench` (and `make bench`) runs:
 *   1. generate (or reuse) the time-series CSV            bench/generate-timeseries-csv.ts
 *   2. parser micro-benchmark: parse + COPY vs csv-parser  bench/parser-vs-csv-parser.ts
 *      and the planner's row-end scan: lenient rule vs reference vs quote parity  bench/row-end-scan.ts
 *   3. headline: sluice load vs psql \copy                bench/engine-vs-psql-copy.ts
 *   4. a Windows-1252 file vs psql \copy of its UTF-8 twin (BENCH_ENCODING=0 skips)  bench/encoding-windows-1252.ts
 *   5. the same rows as NDJSON vs psql \copy of the CSV (BENCH_NDJSON=0 skips)  bench/ndjson-vs-psql-copy.ts
 *   6. where one load spends its time (BENCH_PROFILE=0 skips)  bench/profile-sluice-load.ts
 *   7. binary vs CSV COPY of the same parsed rows, server side (BENCH_BINARY=0 skips)  bench/binary-vs-csv-copy.ts
 *      and PostgreSQL's floor: the staging rows alone, as binary COPY in one and two sessions, vs psql \copy
 *      (BENCH_FLOOR=0 skips)  bench/postgres-floor.ts
 *   8. the stages end to end: default, stages off, CSV COPY, five rules + two transforms, the time-series pass, each vs psql \copy
 *      (BENCH_STAGES=0 skips)  bench/stage-variants-vs-psql-copy.ts
 *   9. the stages per value (tinybench): typed values, transform, validate, profile, detect, and the
 *      time-series computation per row (rolling windows, robust scores, processSeries)  bench/series-features.ts
 *      bench/typed-values.ts, transform-stage.ts, validate-stage.ts, profile-stage.ts, detect-stage.ts
 * then a summary and one machine-readable JSON line. A watchdog ends the run if it ever takes
 * longer than BENCH_TIMEOUT_S (default 570 s), so it always stops by itself.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { runEncodingBench } from './encoding-windows-1252.js';
import { runEngineBench } from './engine-vs-psql-copy.js';
import { csvPathFor, generateTimeseriesCsv } from './generate-timeseries-csv.js';
import { runNdjsonBench } from './ndjson-vs-psql-copy.js';
import { runParserBench } from './parser-vs-csv-parser.js';
import { runBinaryVsCsvCopy } from './binary-vs-csv-copy.js';
import { runPostgresFloorBench } from './postgres-floor.js';
import { runProfile } from './profile-sluice-load.js';
import { runRowEndScanBench } from './row-end-scan.js';
import { runDetectStageBench } from './detect-stage.js';
import { runProfileStageBench } from './profile-stage.js';
import { runSeriesFeaturesBench } from './series-features.js';
import { runStageVariantsBench } from './stage-variants-vs-psql-copy.js';
import { runTransformStageBench } from './transform-stage.js';
import { runCopyWritersBench } from './copy-writers.js';
import { runCopyOutReaderBench } from './copy-out-reader.js';
import { runTypedValuesBench } from './typed-values.js';
import { runValidateStageBench } from './validate-stage.js';
import { envInteger, fmtInt } from './support.js';

function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

function section(title: string): void {
  process.stdout.write(`\n=== ${title} ${'='.repeat(Math.max(0, 86 - title.length))}\n`);
}

const timeoutS = envInteger('BENCH_TIMEOUT_S', 570, 10);
const watchdog = setTimeout(() => {
  process.stderr.write(`\nbench: still running after ${timeoutS} s — giving up (BENCH_TIMEOUT_S)\n`);
  process.exit(124);
}, timeoutS * 1000);
watchdog.unref();

const started = performance.now();
const rows = envInteger('BENCH_ROWS', 1_000_000, 1);
process.stdout.write(`sluice benchmark suite — node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadAverage()}\n`);

section('1. data');
const csv = await generateTimeseriesCsv(csvPathFor(rows), rows);
process.stdout.write(`${csv.generated ? 'generated' : 'reused'} ${csv.path}: ${fmtInt(csv.rows)} rows, ${(csv.bytes / 1e6).toFixed(1)} MB, `
  + `sha256 ${csv.sha256.slice(0, 16)}… (${Math.round(csv.ms)} ms)\n`);

section('2. parser: parse + CSV COPY vs csv-parser (one thread)');
const parser = await runParserBench();
process.stdout.write('\n  planner row-end scan (tinybench, median ms per chunk-sized text):\n');
const scan = await runRowEndScanBench();

section('3. sluice load vs psql \\copy');
const engine = await runEngineBench();

let encoding: Awaited<ReturnType<typeof runEncodingBench>> | undefined;
if (process.env.BENCH_ENCODING !== '0') {
  section('4. sluice load of a Windows-1252 file vs psql \\copy of the same rows in UTF-8');
  encoding = await runEncodingBench();
}

let ndjson: Awaited<ReturnType<typeof runNdjsonBench>> | undefined;
if (process.env.BENCH_NDJSON !== '0') {
  section('5. sluice load of the rows as NDJSON vs psql \\copy of the CSV');
  ndjson = await runNdjsonBench();
}

let profile: Awaited<ReturnType<typeof runProfile>> | undefined;
if (process.env.BENCH_PROFILE !== '0') {
  section('6. profile of one sluice load');
  profile = await runProfile();
}

let binary: Awaited<ReturnType<typeof runBinaryVsCsvCopy>> | undefined;
if (process.env.BENCH_BINARY !== '0') {
  section('7. binary vs CSV COPY of the same rows (server side)');
  binary = await runBinaryVsCsvCopy();
}

let floor: Awaited<ReturnType<typeof runPostgresFloorBench>> | undefined;
if (process.env.BENCH_FLOOR !== '0') {
  section('7b. PostgreSQL alone: the staging rows as binary COPY vs psql \\copy (the floor of any load)');
  floor = await runPostgresFloorBench();
}

let stages: Awaited<ReturnType<typeof runStageVariantsBench>> | undefined;
if (process.env.BENCH_STAGES !== '0') {
  section('8. the worker stages end to end, each variant vs psql \\copy');
  stages = await runStageVariantsBench();
}

section('9. the worker stages per value (tinybench)');
await runTypedValuesBench();
await runCopyWritersBench();
await runCopyOutReaderBench();
await runTransformStageBench();
await runValidateStageBench();
await runProfileStageBench();
await runDetectStageBench();
await runSeriesFeaturesBench();

section('summary');
const task = (prefix: string) => parser.tasks.find((t) => t.name.startsWith(prefix));
const totalS = (performance.now() - started) / 1000;
const lines = [
  `data: ${fmtInt(csv.rows)} rows, ${(csv.bytes / 1e6).toFixed(1)} MB`,
  `parser (${fmtInt(parser.rows)} rows in memory): csv-parser ${task('(a)')?.mbPerSecond.toFixed(1)} MB/s, parse + COPY ${task('(b)')?.mbPerSecond.toFixed(1)} MB/s `
    + `(${parser.encodeSpeedupOverCsvParser.toFixed(2)}×), lastRowEnd ${task('(c) lastRowEnd')?.mbPerSecond.toFixed(0)} MB/s`,
  `row-end scan, lenient rule vs quote parity: ${scan.map((f) => `${f.text} ${f.lenientOverParity.toFixed(2)}×`).join(', ')}`,
  `load: psql \\copy median ${(engine.medianPsqlMs / 1000).toFixed(2)} s (${fmtInt(engine.psqlRowsPerSecond)} rows/s), `
    + `sluice median ${(engine.medianSluiceMs / 1000).toFixed(2)} s (${fmtInt(engine.sluiceRowsPerSecond)} rows/s)`,
  `ratio sluice/psql: ${engine.ratio.toFixed(2)} (target ≤ ${engine.ratioTarget}: ${engine.ratio <= engine.ratioTarget ? 'MET' : 'MISSED'})`,
  ...(encoding === undefined ? [] : [`windows-1252: sluice median ${(encoding.medianSluiceMs / 1000).toFixed(2)} s vs psql \\copy (UTF-8) ${(encoding.medianPsqlMs / 1000).toFixed(2)} s, ratio ${encoding.ratio.toFixed(2)}`]),
  ...(ndjson === undefined ? [] : [`ndjson: sluice median ${(ndjson.medianSluiceMs / 1000).toFixed(2)} s (${(ndjson.variant.ndjsonBytes / 1e6).toFixed(0)} MB) vs psql \\copy of the CSV ${(ndjson.medianPsqlMs / 1000).toFixed(2)} s, ratio ${ndjson.ratio.toFixed(2)}`]),
  ...(binary === undefined ? [] : [`binary COPY ${binary.binaryMs.toFixed(0)} ms vs CSV COPY ${binary.csvMs.toFixed(0)} ms server side (${binary.ratio.toFixed(2)}); binary encoding ${binary.encodeMsPerMillion.toFixed(0)} ms per million rows`]),
  ...(floor === undefined ? [] : [`floor (PostgreSQL alone, the staging rows as binary COPY): one session ${floor.oneSessionRatio.toFixed(2)} × psql \\copy, `
    + `two sessions ${floor.twoSessionsRatio.toFixed(2)} ×; its CPU ${floor.twoSessionsPostgresCpuS.toFixed(2)} s vs ${floor.psqlCsvPostgresCpuS.toFixed(2)} s for psql \\copy`]),
  ...(stages === undefined ? [] : [`stages (median ratio to psql \\copy ${(stages.psqlMs / 1000).toFixed(2)} s): ${stages.variants.map((v) => `${v.name} ${v.ratio.toFixed(2)}`).join(', ')}; rules over the default per round ${signedPercent(stages.variants.find((v) => v.name === 'rules')!.perRoundToDefault)}`]),
  `sluice peak RSS: ${engine.peakSluiceRssMB?.toFixed(0) ?? '?'} MB (target < ${engine.rssTargetMB} MB: ${engine.peakSluiceRssMB !== null && engine.peakSluiceRssMB < engine.rssTargetMB ? 'MET' : 'MISSED'})`,
  `suite took ${totalS.toFixed(0)} s; load average now ${loadAverage()}`,
];
for (const line of lines) process.stdout.write(`  ${line}\n`);
process.stdout.write(`${JSON.stringify({
  bench: 'sluice-suite', node: process.version, cpus: cpus().length, seconds: Math.round(totalS),
  data: { path: csv.path, rows: csv.rows, bytes: csv.bytes, sha256: csv.sha256 },
  parser: {
    rows: parser.rows, bytes: parser.bytes, speedup: parser.encodeSpeedupOverCsvParser,
    tasks: parser.tasks.map((t) => ({ name: t.name, ms: t.medianMs, mbPerSecond: t.mbPerSecond, rowsPerSecond: t.rowsPerSecond })),
  },
  rowEndScan: scan.map((f) => ({ text: f.text, megabytes: f.megabytes, ms: f.ms, lenientOverParity: f.lenientOverParity })),
  engine: {
    rounds: engine.rounds, medianPsqlMs: engine.medianPsqlMs, medianSluiceMs: engine.medianSluiceMs, ratio: engine.ratio,
    ratioPerRoundMedian: engine.ratioPerRoundMedian, psqlRowsPerSecond: engine.psqlRowsPerSecond, sluiceRowsPerSecond: engine.sluiceRowsPerSecond,
    peakSluiceRssMB: engine.peakSluiceRssMB, psqlMs: engine.psql.map((r) => r.ms), sluiceMs: engine.sluice.map((r) => r.ms),
  },
  encoding: encoding === undefined ? null : {
    rounds: encoding.rounds, medianPsqlMs: encoding.medianPsqlMs, medianSluiceMs: encoding.medianSluiceMs, ratio: encoding.ratio,
    ratioPerRoundMedian: encoding.ratioPerRoundMedian, peakSluiceRssMB: encoding.peakSluiceRssMB,
  },
  ndjson: ndjson === undefined ? null : {
    rounds: ndjson.rounds, bytes: ndjson.variant.ndjsonBytes, medianPsqlMs: ndjson.medianPsqlMs, medianSluiceMs: ndjson.medianSluiceMs, ratio: ndjson.ratio,
    ratioPerRoundMedian: ndjson.ratioPerRoundMedian, peakSluiceRssMB: ndjson.peakSluiceRssMB,
  },
  binaryCopy: binary ?? null,
  postgresFloor: floor ?? null,
  stages: stages ?? null,
  profile: profile === undefined ? null : {
    wallMs: profile.wallMs,
    nodeCpuS: profile.threads.reduce((s, t) => s + t.cpuS, 0),
    postgresCpuS: profile.postgres.reduce((s, p) => s + p.cpuS, 0),
    hottest: profile.profiles.map((p) => ({ thread: p.thread, top: p.top.slice(0, 5).map((f) => f.name) })),
  },
})}\n`);
clearTimeout(watchdog);

/** 1.07 → "+7 %". */
function signedPercent(ratio: number): string {
  const percent = Math.round((ratio - 1) * 100);
  return `${percent >= 0 ? '+' : ''}${percent} %`;
}

