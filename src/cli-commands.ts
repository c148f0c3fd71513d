import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveOptions } from './config.js';
import { datasetIdentity } from './configuration/dataset-identity.js';
import { parseDuration } from './configuration/duration.js';
import { loadConfiguration } from './configuration/locate-config.js';
import { openDatabase, redact } from './database/database.js';
import { createEngine } from './engine.js';
import { SluiceError, toPlainError } from './errors.js';
import { overrideEncoding } from './formats/encoding/text-encoding.js';
import { type FormatOverrides, overrideByte, overrideByteOrNone, parseTypesOption } from './formats/overrides.js';
import { columnTypeName, postgresTypeName } from './schema/column-type.js';
import { ProgressBar } from './telemetry/progress-bar.js';
import type { FileSummary } from './summary.js';
import { createWorkerPool } from './worker-pool.js';
import { prepareFile } from './schedule/file-loader.js';
import { findRejectedRows, formatRejectedRows } from './schedule/rejected-rows.js';
import { formatSchemaVersions, readSchemaVersions } from './datasets/schema-versions.js';
import { formatStoredAnomalies, readStoredAnomalies } from './stages/detect/stored-anomalies.js';
import { formatStoredProfile, readStoredProfile } from './stages/profile/stored-profile.js';
import { isLoadableName } from './sources/loadable-name.js';
import { isRemoteInput } from './sources/remote-file.js';
import { inUserTerms, resolveInput, resolveOptionsFrom } from './sources/resolve-input.js';
import { formatTable } from './text-table.js';
import { UsageError } from './usage-error.js';

const USAGE = `Usage:
  sluice load <file|dir|url>... [--config FILE] [--dataset NAME] [--json] [--force] [--keep-preamble] [--timeseries|--no-timeseries] [--workers N] [--writers N] [--chunk-size BYTES] [--copy-format csv|binary] [--db-outage-timeout 60s] [overrides]
  sluice watch <dir>... [--include GLOB]... [--exclude GLOB]... [--settle 2s] [--archive] [--load PATH]... [--port N] [--host ADDR]
                       [--dataset NAME] [--max-upload-bytes N] [--db-outage-timeout 60s] [--config FILE] [--workers N] [--writers N]
                               watch directories (created when missing) and serve the API, status page and uploads; Ctrl-C drains and stops
  sluice bench                 run the benchmark suite (sluice load vs psql \\copy, parsers; needs psql and DATABASE_URL's server)
  sluice sniff <file> [--config FILE] [overrides]   print what Sluice detects, without loading, and the overrides that reproduce it
  sluice rejects <file|sha256|dataset> [--limit N] [--json]   the rejected rows, newest load first (default limit 100)
  sluice profile <dataset> [--file PATH|ID] [--json]   the latest load's column profiles and quality scores (or that file's)
  sluice schema <dataset> [--json]                     the dataset's schema versions, oldest first, and what changed in each
  sluice anomalies <dataset> [--limit N] [--json]      the value, series and metric anomalies found, newest load first (default limit 100)
  sluice rules suggest <dataset> [--json]   validation rules from the latest profiles, as configuration (YAML; JSON with --json)

Inputs: local paths, http(s) URLs (downloaded first) and gzip files (.gz, decompressed first).

Overrides (instead of detection): --delimiter C  --quote C|none  --escape C|none  --comment C|none
  --encoding LABEL  --header | --no-header
  --types name=type,...  (types: bool, int, bigint, float, date, timestamptz, text)
  --date-order mdy|dmy   (when day and month cannot be told apart; default mdy)
  --sheet NAME|N         (a workbook: load only this sheet, by name or 1-based position; default all)
  --json-path KEYS       (JSON: the records are the array at these dotted keys of the top-level object, e.g. results.items; default: found)
  sluice migrate               apply the migrations in sql/ and exit
  sluice serve [--port N] [--host H] [--config FILE]   the HTTP API and status page (no watcher); default port SLUICE_PORT or 8080

Configuration file: --config FILE, else SLUICE_CONFIG, else ./sluice.yaml, ./sluice.yml or ./sluice.json when present.

Environment: DATABASE_URL (default: an embedded PostgreSQL under ./.sluice), SLUICE_HOME, SLUICE_CONFIG,
  SLUICE_API_TOKEN (without it the API listens on 127.0.0.1 only), SLUICE_PORT, REDIS_URL, SLUICE_LOG_LEVEL.`;

const OVERRIDE_OPTIONS = {
  delimiter: { type: 'string' }, quote: { type: 'string' }, escape: { type: 'string' }, comment: { type: 'string' }, encoding: { type: 'string' },
  header: { type: 'boolean' }, 'no-header': { type: 'boolean' }, types: { type: 'string' }, sheet: { type: 'string' },
  'date-order': { type: 'string' }, 'json-path': { type: 'string' },
} as const;

function overridesFrom(values: { delimiter?: string; quote?: string; escape?: string; comment?: string; encoding?: string; header?: boolean; 'no-header'?: boolean; types?: string; sheet?: string; 'date-order'?: string; 'json-path'?: string }): FormatOverrides {
  if (values.header === true && values['no-header'] === true) throw new UsageError('--header and --no-header contradict each other');
  const overrides: FormatOverrides = {};
  if (values.delimiter !== undefined) { overrideByte('delimiter', values.delimiter); overrides.delimiter = values.delimiter; }
  if (values.quote !== undefined) { overrideByteOrNone('quote', values.quote); overrides.quote = values.quote; }
  if (values.escape !== undefined) { overrideByteOrNone('escape', values.escape); overrides.escape = values.escape; }
  if (values.comment !== undefined) { overrideByteOrNone('comment', values.comment); overrides.comment = values.comment; }
  if (values.encoding !== undefined) { overrideEncoding(values.encoding); overrides.encoding = values.encoding; }
  if (values.header === true) overrides.header = true;
  if (values['no-header'] === true) overrides.header = false;
  if (values.types !== undefined) overrides.types = parseTypesOption(values.types);
  if (values.sheet !== undefined) overrides.sheet = values.sheet;
  if (values['json-path'] !== undefined) overrides.jsonPath = values['json-path'];
  const dateOrder = values['date-order'];
  if (dateOrder !== undefined) {
    if (dateOrder !== 'mdy' && dateOrder !== 'dmy') throw new UsageError(`--date-order must be mdy or dmy, got ${JSON.stringify(dateOrder)}`);
    overrides.dateOrder = dateOrder;
  }
  return overrides;
}

function integerOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return parsed;
}

/** A duration with a unit (`90s`, `2m`, `500ms`), as the configuration file writes them. */
function durationOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined) throw new UsageError(`--${name} must be a duration with a unit (90s, 2m, 500ms), got ${JSON.stringify(value)}`);
  return ms;
}

/** Files named on the command line; directories contribute their loadable files, recursively, sorted. */
export async function expandInputs(inputs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    // A URL is passed through as it is: the engine downloads it.
    const info = isRemoteInput(input) ? null : await stat(input).catch(() => null);
    if (info?.isDirectory()) {
      const entries = await readdir(input, { recursive: true, withFileTypes: true });
      // A compressed file counts when what it holds would (`x.csv.gz`).
      const found = entries.filter((e) => e.isFile() && isLoadableName(e.name)).map((e) => join(e.parentPath ?? e.path, e.name)).sort();
      files.push(...found);
    } else {
      files.push(input);
    }
  }
  return files;
}

/** The tables a load wrote: its staging table, and the time-series pass's when it ran. */
function tablesOf(s: FileSummary): string {
  const series = s.timeseries?.detected === true ? s.timeseries.tables : [];
  return [s.table ?? '-', ...series].join(' + ');
}

function printTable(summaries: FileSummary[]): void {
  const header = ['status', 'rows', 'rejected', 'table', 'ms', 'file'];
  const rows = summaries.map((s) => [s.status, String(s.rows), String(s.rejected), tablesOf(s), String(s.duration_ms),
    s.file + (s.sheet !== null ? ` [${s.sheet}]` : '') + (s.error !== null ? `  (${s.error.code}: ${s.error.message})` : '')]);
  process.stdout.write(formatTable(header, rows, { padLast: false }));
}

async function load(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      config: { type: 'string' }, dataset: { type: 'string' }, json: { type: 'boolean' }, force: { type: 'boolean' }, 'keep-preamble': { type: 'boolean' },
      timeseries: { type: 'boolean' }, 'no-timeseries': { type: 'boolean' },
      workers: { type: 'string' }, writers: { type: 'string' }, 'chunk-size': { type: 'string' }, 'copy-format': { type: 'string' },
      'db-outage-timeout': { type: 'string' },
      ...OVERRIDE_OPTIONS,
    },
  });
  const overrides = overridesFrom(values);
  if (positionals.length === 0) throw new UsageError('sluice load needs at least one file or directory');
  if (values.timeseries === true && values['no-timeseries'] === true) throw new UsageError('--timeseries and --no-timeseries contradict each other');
  const timeseries = values.timeseries === true ? true : values['no-timeseries'] === true ? false : undefined;
  const copyFormat = values['copy-format'];
  if (copyFormat !== undefined && copyFormat !== 'csv' && copyFormat !== 'binary') throw new UsageError(`--copy-format must be csv or binary, got ${JSON.stringify(copyFormat)}`);
  const files = await expandInputs(positionals);
  const engine = createEngine({
    copyFormat,
    config: values.config,
    workers: integerOption('workers', values.workers),
    writers: integerOption('writers', values.writers),
    chunkSize: integerOption('chunk-size', values['chunk-size']),
    dbOutageTimeoutMs: durationOption('db-outage-timeout', values['db-outage-timeout']),
    log: process.env.SLUICE_DEBUG ? (line) => process.stderr.write(`${line}\n`) : undefined,
  });
  let bar: ProgressBar | undefined;
  if (process.stderr.isTTY && values.json !== true) {
    engine.on('progress', ({ file, doneBytes, totalBytes }) => {
      bar ??= new ProgressBar(process.stderr, file);
      bar.update(doneBytes, totalBytes);
    });
  }
  const summaries: FileSummary[] = [];
  let stopping = false;
  const onSignal = (): void => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write('\nstopping after the current file (again to abort)\n');
  };
  process.on('SIGINT', onSignal);
  try {
    for (const file of files) {
      if (stopping) break;
      // A workbook gives one summary per sheet.
      const loaded = await engine.ingestAll(file, { dataset: values.dataset, force: values.force, keepPreamble: values['keep-preamble'], timeseries, overrides });
      bar?.done();
      bar = undefined;
      summaries.push(...loaded);
      if (values.json === true) for (const summary of loaded) process.stdout.write(`${JSON.stringify(summary)}\n`);
    }
  } finally {
    await engine.close();
    process.off('SIGINT', onSignal);
  }
  if (values.json !== true) printTable(summaries);
  return summaries.some((s) => s.status === 'failed') ? 1 : 0;
}

function summaryLine(s: FileSummary): string {
  const error = s.error !== null ? `  (${s.error.code}: ${s.error.message})` : '';
  return `${s.status.padEnd(7)}  ${String(s.rows).padStart(9)} rows  ${String(s.rejected).padStart(6)} rejected  ${tablesOf(s).padEnd(24)}  ${s.file}${s.sheet !== null ? ` [${s.sheet}]` : ''}${error}\n`;
}

/** `sluice watch`: the daemon (service/daemon.ts) until SIGINT or SIGTERM, then a drain. */
async function watchCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      include: { type: 'string', multiple: true }, exclude: { type: 'string', multiple: true }, settle: { type: 'string' }, archive: { type: 'boolean' },
      load: { type: 'string', multiple: true }, port: { type: 'string' }, host: { type: 'string' }, dataset: { type: 'string' },
      'max-upload-bytes': { type: 'string' }, 'db-outage-timeout': { type: 'string' }, config: { type: 'string' },
      workers: { type: 'string' }, writers: { type: 'string' }, 'chunk-size': { type: 'string' },
    },
  });
  if (positionals.length === 0) throw new UsageError('sluice watch needs at least one directory');
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) throw new UsageError(`--port must be 0–65535, got ${JSON.stringify(values.port)}`);
  const debug = process.env.SLUICE_DEBUG ? (line: string) => process.stderr.write(`${line}\n`) : undefined;
  const engine = createEngine({
    config: values.config,
    workers: integerOption('workers', values.workers),
    writers: integerOption('writers', values.writers),
    chunkSize: integerOption('chunk-size', values['chunk-size']),
    dbOutageTimeoutMs: durationOption('db-outage-timeout', values['db-outage-timeout']),
    log: debug,
  });
  engine.on('file', (summary) => process.stdout.write(summaryLine(summary)));
  const log = (line: string): void => { process.stderr.write(`sluice: ${line}\n`); };
  // Imported when used: the watcher and the API (chokidar, hono, prom-client) cost a load nothing.
  const { startDaemon } = await import('./service/daemon.js');
  const daemon = await startDaemon({
    engine, dirs: positionals, port, hostname: values.host, token: process.env.SLUICE_API_TOKEN,
    maxUploadBytes: integerOption('max-upload-bytes', values['max-upload-bytes']),
    watch: {
      include: values.include, exclude: values.exclude, settleMs: durationOption('settle', values.settle), archive: values.archive,
      ingest: values.dataset === undefined ? undefined : { dataset: values.dataset },
    },
    log: debug ?? (() => undefined),
  });
  const embedded = engine.options.databaseUrl === undefined;
  process.stdout.write(`serving   ${daemon.url}  (status page ${daemon.url}/, API ${daemon.url}/api/status, uploads POST /api/ingest)\n`);
  for (const dir of daemon.watcher?.status().dirs ?? []) process.stdout.write(`watching  ${dir}\n`);
  process.stdout.write(`database  ${redact(daemon.databaseUrl)}${embedded ? '  (embedded: psql-ready while this runs)' : ''}\n`);
  if (daemon.open) log('no SLUICE_API_TOKEN: listening on 127.0.0.1 only, and uploads need no token');
  for (const file of await expandInputs(values.load ?? [])) {
    engine.ingestAll(file, { dataset: values.dataset }).catch((error: unknown) => log(`${file}: ${(error as Error).message}`));
  }
  return new Promise((resolveExit) => {
    let stopping = false;
    const onSignal = (): void => {
      if (stopping) process.exit(130);
      stopping = true;
      log('draining: finishing the files in progress (again to stop at once)');
      daemon.close().then(() => resolveExit(0), (error: unknown) => { log((error as Error).message); resolveExit(1); });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

async function sniff(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' }, ...OVERRIDE_OPTIONS } });
  if (positionals.length !== 1) throw new UsageError('sluice sniff needs exactly one file');
  const overrides = overridesFrom(values);
  const path = positionals[0];
  const { config } = loadConfiguration({ config: values.config });
  const input = await resolveInput(path, resolveOptionsFrom(resolveOptions()));
  const pool = createWorkerPool(1);
  try {
    let prepared;
    try {
      prepared = await prepareFile(pool, input.localPath, (await stat(input.localPath)).size, overrides, input.label);
    } catch (error) {
      // Named as the user named it: a download or a decompressed copy is in the spool.
      const plain = inUserTerms(toPlainError(error), input);
      throw error instanceof SluiceError ? new SluiceError(error.code, plain.message, { cause: error }) : new Error(plain.message, { cause: error });
    }
    const flags: string[] = [];
    if (prepared.describe.delimiter !== null) flags.push(`--delimiter ${JSON.stringify(prepared.describe.delimiter)}`);
    if (prepared.format === 'csv') {
      flags.push(`--quote ${JSON.stringify(prepared.describe.quote ?? 'none')}`);
      if (prepared.describe.escape != null) flags.push(`--escape ${JSON.stringify(prepared.describe.escape)}`);
      if (prepared.describe.comment != null) flags.push(`--comment ${JSON.stringify(prepared.describe.comment)}`);
    }
    flags.push(`--encoding ${prepared.encoding}`);
    if (prepared.describe.header !== null) flags.push(prepared.describe.header ? '--header' : '--no-header');
    if (prepared.columns.length > 0) flags.push(`--types ${prepared.columns.map((c) => `${c.name}=${columnTypeName(c.type)}`).join(',')}`);
    if (prepared.columns.some((c) => c.format === 'DD/MM/YYYY')) flags.push('--date-order dmy');
    process.stdout.write(`${JSON.stringify({
      file: path, dataset: datasetIdentity(config, path, basename(input.localPath)).name,
      format: prepared.format, compression: input.compression, encoding: prepared.encoding, ...prepared.describe,
      columns: prepared.columns.map((c) => ({
        name: c.name, source: c.source, type: postgresTypeName(c.type), inferred: columnTypeName(c.type), confidence: c.confidence,
        format: c.format ?? null, ...(c.ambiguous === true ? { ambiguous: true } : {}),
      })),
      overrides: flags.join(' '),
    }, null, 2)}\n`);
    return 0;
  } finally {
    await pool.destroy();
    await input.cleanup();
  }
}

async function rejects(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { limit: { type: 'string' }, json: { type: 'boolean' } } });
  if (positionals.length !== 1) throw new UsageError('sluice rejects needs exactly one file, sha256 or dataset');
  const limit = integerOption('limit', values.limit) ?? 100;
  const target = positionals[0];
  const database = await openDatabase(resolveOptions());
  try {
    const client = await database.pool.connect();
    try {
      const report = await findRejectedRows(client, target, limit);
      if (report === null) {
        process.stderr.write(`sluice: no load of ${JSON.stringify(target)} in the ledger (a file as it was loaded, its sha256, or a dataset)\n`);
        return 1;
      }
      if (values.json === true) process.stdout.write(report.rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
      else process.stdout.write(formatRejectedRows(report));
      return 0;
    } finally {
      client.release();
    }
  } finally {
    await database.close();
  }
}

async function withClient<T>(use: (client: import('pg').PoolClient) => Promise<T>): Promise<T> {
  const database = await openDatabase(resolveOptions());
  try {
    const client = await database.pool.connect();
    try {
      return await use(client);
    } finally {
      client.release();
    }
  } finally {
    await database.close();
  }
}

async function profileCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { file: { type: 'string' }, json: { type: 'boolean' } } });
  if (positionals.length !== 1) throw new UsageError('sluice profile needs exactly one dataset');
  const profile = await withClient((client) => readStoredProfile(client, positionals[0], values.file));
  if (profile === null) {
    const which = values.file === undefined ? '' : ` from ${JSON.stringify(values.file)}`;
    process.stderr.write(`sluice: no profiled load of dataset ${JSON.stringify(positionals[0])}${which} in the ledger\n`);
    return 1;
  }
  process.stdout.write(values.json === true ? `${JSON.stringify(profile)}\n` : formatStoredProfile(profile));
  return 0;
}

async function anomaliesCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { limit: { type: 'string' }, json: { type: 'boolean' } } });
  if (positionals.length !== 1) throw new UsageError('sluice anomalies needs exactly one dataset');
  const limit = integerOption('limit', values.limit) ?? 100;
  const found = await withClient((client) => readStoredAnomalies(client, positionals[0], limit));
  if (values.json === true) process.stdout.write(found.rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  else process.stdout.write(formatStoredAnomalies(found));
  return 0;
}

async function schemaCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  if (positionals.length !== 1) throw new UsageError('sluice schema needs exactly one dataset');
  const versions = await withClient((client) => readSchemaVersions(client, positionals[0]));
  if (values.json === true) process.stdout.write(`${JSON.stringify(versions)}\n`);
  else process.stdout.write(formatSchemaVersions(positionals[0], versions));
  return versions.length === 0 ? 1 : 0;
}

async function rulesCommand(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand !== 'suggest') throw new UsageError(`sluice rules: unknown subcommand ${JSON.stringify(subcommand ?? '')} (sluice rules suggest <dataset>)`);
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { json: { type: 'boolean' } } });
  if (positionals.length !== 1) throw new UsageError('sluice rules suggest needs exactly one dataset');
  const { formatSuggestedConfig, readColumnLoads, suggestedConfig, suggestRules } = await import('./stages/validate/rule-suggestions.js');
  const found = await withClient((client) => readColumnLoads(client, positionals[0]));
  if (found === null) {
    process.stderr.write(`sluice: no profiled load of dataset ${JSON.stringify(positionals[0])} in the ledger\n`);
    return 1;
  }
  const suggestions = suggestRules(found.columns);
  process.stdout.write(values.json === true
    ? `${JSON.stringify(suggestedConfig(found.dataset, suggestions), null, 2)}\n`
    : formatSuggestedConfig(found.dataset, suggestions, found.loads));
  return 0;
}

/** The benchmark suite of bench/ (what `make bench` runs), as a child process with this terminal. */
function benchCommand(): Promise<number> {
  const suite = new URL('../bench/run-all.js', import.meta.url);
  return new Promise((resolveExit, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(suite)], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolveExit(code ?? 1));
  });
}

async function migrateCommand(): Promise<number> {
  const database = await openDatabase(resolveOptions());
  await database.close();
  process.stdout.write('migrations applied\n');
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'load': return await load(rest);
      case 'sniff': return await sniff(rest);
      case 'watch': return await watchCommand(rest);
      case 'rejects': return await rejects(rest);
      case 'profile': return await profileCommand(rest);
      case 'anomalies': return await anomaliesCommand(rest);
      case 'schema': return await schemaCommand(rest);
      case 'rules': return await rulesCommand(rest);
      case 'migrate': return await migrateCommand();
      // Imported when used: the API's modules (hono, prom-client, ioredis, pino) cost a load nothing.
      case 'serve': return await (await import('./api/serve-command.js')).serveCommand(rest);
      case 'bench': return await benchCommand();
      case undefined: case '-h': case '--help': case 'help':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default: throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (error instanceof UsageError || code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || code === 'SLUICE_ERR_CONFIG_INVALID') {
      // A configuration error already names the file, key and line: the usage text would bury it.
      const usage = code === 'SLUICE_ERR_CONFIG_INVALID' ? '' : `${USAGE}\n`;
      process.stderr.write(`sluice: ${(error as Error).message}\n${usage}`);
      return 2;
    }
    const prefix = error instanceof SluiceError ? `${error.code}: ` : '';
    process.stderr.write(`sluice: ${prefix}${(error as Error).message}\n`);
    return 1;
  }
}
