import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PlainError } from '../errors.js';
import type { ColumnFigures } from '../stages/profile/column-profile.js';
import type { FileSummary } from '../summary.js';

/**
 * OpenLineage run events (spec 2-0-2) for a load, built to the rules lineage tools (Marquez, …)
 * read them by:
 *
 *   run     runId: the engine's UUID v7; facets processing_engine, errorMessage (FAIL)
 *   job     namespace `sluice`, name `load.<dataset>`; facet jobType (BATCH, SLUICE, LOAD)
 *   inputs  the file — namespace `file`, name its absolute path (a URL: namespace scheme://host,
 *           name its path); facets schema (header text, type), dataSource;
 *           inputFacets dataQualityMetrics (from the load's profile, when it has one)
 *   outputs the staging table — namespace `postgres://host:port`, name `database.staging.<dataset>`
 *           (and `database.timeseries.<dataset>`, `database.features.<dataset>` when the
 *           time-series pass wrote them);
 *           facets schema, dataSource; outputFacets outputStatistics (rows this run wrote)
 *
 * Every facet carries `_producer` and `_schemaURL`; `eventTime` is ISO 8601 in UTC (`Z`).
 */

export type RunEventType = 'START' | 'COMPLETE' | 'FAIL';

export interface Facet {
  _producer: string;
  _schemaURL: string;
  [field: string]: unknown;
}

export interface LineageDataset {
  namespace: string;
  name: string;
  facets: Record<string, Facet>;
  inputFacets?: Record<string, Facet>;
  outputFacets?: Record<string, Facet>;
}

export interface RunEvent {
  eventType: RunEventType;
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string; facets: Record<string, Facet> };
  job: { namespace: string; name: string; facets: Record<string, Facet> };
  inputs: LineageDataset[];
  outputs: LineageDataset[];
}

export const RUN_EVENT_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
export const JOB_NAMESPACE = 'sluice';

const FACET_SCHEMAS = {
  schema: 'https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet',
  dataSource: 'https://openlineage.io/spec/facets/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet',
  dataQualityMetrics: 'https://openlineage.io/spec/facets/1-0-2/DataQualityMetricsInputDatasetFacet.json#/$defs/DataQualityMetricsInputDatasetFacet',
  outputStatistics: 'https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet',
  errorMessage: 'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet',
  processing_engine: 'https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet',
  jobType: 'https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet',
} as const;

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Sluice as a URI (no web address of its own to point at): what `producer` and every `_producer` say. */
export const DEFAULT_PRODUCER = `urn:sluice:${VERSION}`;

/** Where the tables are: PostgreSQL's `postgres://host:port` and the database name, from the URL loaded into. */
export interface WarehouseNaming {
  namespace: string;
  database: string;
  /** `postgres://host:port/database`, without user or password. */
  uri: string;
}

export function warehouseNaming(databaseUrl: string): WarehouseNaming {
  const url = new URL(databaseUrl);
  const host = url.hostname || 'localhost';
  const port = url.port || '5432';
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || decodeURIComponent(url.username) || 'postgres';
  const namespace = `postgres://${host}:${port}`;
  return { namespace, database, uri: `${namespace}/${encodeURIComponent(database)}` };
}

/** The file as an OpenLineage dataset: namespace `file` and its absolute path, or a URL's origin and path. */
export function fileDataset(path: string): { namespace: string; name: string; uri: string } {
  if (/^https?:\/\//i.test(path)) {
    const url = new URL(path);
    return { namespace: `${url.protocol}//${url.host}`, name: url.pathname, uri: `${url.origin}${url.pathname}` };
  }
  const absolute = resolve(path);
  return { namespace: 'file', name: absolute, uri: pathToFileURL(absolute).href };
}

export interface RunStart {
  runId: string;
  path: string;
  /** The dataset the run loads into, as known at its start (the job is named after it). */
  dataset: string;
  time: Date;
}

export interface RunEnd {
  summaries: readonly FileSummary[];
  /** Column figures of each summary's load (by table), when profiled. */
  profiles: ReadonlyMap<string, readonly ColumnFigures[]>;
  /** Set when the run threw before giving any summary. */
  error: PlainError | null;
  time: Date;
}

export class RunEventBuilder {
  constructor(private readonly producer: string, private readonly warehouse: WarehouseNaming) {}

  start(run: RunStart): RunEvent {
    const file = fileDataset(run.path);
    return this.event('START', run, run.time, {}, [{ namespace: file.namespace, name: file.name, facets: { dataSource: this.facet('dataSource', { name: file.namespace, uri: file.uri }) } }],
      [this.table(run.dataset, null)]);
  }

  end(run: RunStart, end: RunEnd): RunEvent {
    const failed = end.error ?? end.summaries.find((s) => s.status === 'failed')?.error ?? null;
    const first = end.summaries[0];
    const file = fileDataset(run.path);
    const input: LineageDataset = {
      namespace: file.namespace, name: file.name,
      facets: { dataSource: this.facet('dataSource', { name: file.namespace, uri: file.uri }) },
    };
    if (first !== undefined && first.columns.length > 0 && end.summaries.length === 1) {
      input.facets.schema = this.facet('schema', { fields: first.columns.map((c) => ({ name: c.source === '' ? c.name : c.source, type: c.type })) });
    }
    // A workbook's sheets are one input with several outputs: its metrics would mix the sheets.
    const profiled = end.summaries.length === 1 && first.table !== null ? end.profiles.get(first.table) : undefined;
    if (profiled !== undefined) input.inputFacets = { dataQualityMetrics: this.qualityMetrics(first, profiled) };
    const outputs = end.summaries.filter((s) => s.dataset !== null).flatMap((s) => [this.table(s.dataset!, s), ...this.seriesTables(s)]);
    const runFacets: Record<string, Facet> = failed === null ? {} : {
      errorMessage: this.facet('errorMessage', { message: `${failed.code}: ${failed.message}`, programmingLanguage: 'JavaScript' }),
    };
    return this.event(failed === null ? 'COMPLETE' : 'FAIL', run, end.time, runFacets, [input], outputs.length > 0 ? outputs : [this.table(run.dataset, null)]);
  }

  private event(eventType: RunEventType, run: RunStart, time: Date, runFacets: Record<string, Facet>, inputs: LineageDataset[], outputs: LineageDataset[]): RunEvent {
    return {
      eventType,
      eventTime: time.toISOString(),
      producer: this.producer,
      schemaURL: RUN_EVENT_SCHEMA_URL,
      run: { runId: run.runId, facets: { processing_engine: this.facet('processing_engine', { version: VERSION, name: 'sluice' }), ...runFacets } },
      job: {
        namespace: JOB_NAMESPACE,
        name: jobName(run.dataset),
        facets: { jobType: this.facet('jobType', { processingType: 'BATCH', integration: 'SLUICE', jobType: 'LOAD' }) },
      },
      inputs,
      outputs,
    };
  }

  /** The staging table; with a summary, its schema and what this run wrote to it. */
  private table(dataset: string, summary: FileSummary | null): LineageDataset {
    const output: LineageDataset = {
      namespace: this.warehouse.namespace,
      name: tableName(this.warehouse, dataset),
      facets: { dataSource: this.facet('dataSource', { name: this.warehouse.namespace, uri: this.warehouse.uri }) },
    };
    if (summary === null) return output;
    if (summary.columns.length > 0) output.facets.schema = this.facet('schema', { fields: summary.columns.map((c) => ({ name: c.name, type: c.type })) });
    // A skipped file wrote nothing in this run.
    output.outputFacets = { outputStatistics: this.facet('outputStatistics', { rowCount: summary.status === 'loaded' ? summary.rows : 0 }) };
    return output;
  }

  /** timeseries.<dataset> and features.<dataset> when the load's time-series pass wrote them: a row per series point. */
  private seriesTables(summary: FileSummary): LineageDataset[] {
    const series = summary.timeseries;
    if (summary.status !== 'loaded' || series === null || !series.detected || series.error !== null || series.tables.length === 0) return [];
    const rowCount = series.points - series.duplicates + series.imputed;
    return ['timeseries', 'features'].map((schema) => ({
      namespace: this.warehouse.namespace,
      name: `${this.warehouse.database}.${schema}.${summary.dataset}`,
      facets: { dataSource: this.facet('dataSource', { name: this.warehouse.namespace, uri: this.warehouse.uri }) },
      outputFacets: { outputStatistics: this.facet('outputStatistics', { rowCount }) },
    }));
  }

  private qualityMetrics(summary: FileSummary, columns: readonly ColumnFigures[]): Facet {
    const columnMetrics: Record<string, Record<string, unknown>> = {};
    for (const figures of columns) {
      const metrics: Record<string, unknown> = { nullCount: figures.nulls, count: figures.count };
      if (figures.distinct_exact) metrics.distinctCount = figures.distinct;
      // The facet's min, max and quantiles are numbers: dates, timestamps and text have none here.
      if (typeof figures.min === 'number' && typeof figures.max === 'number') {
        metrics.min = figures.min;
        metrics.max = figures.max;
      }
      if (figures.quantiles !== null && Object.values(figures.quantiles).every((q) => typeof q === 'number')) {
        metrics.quantiles = { ...figures.quantiles };
      }
      columnMetrics[figures.name] = metrics;
    }
    return this.facet('dataQualityMetrics', { rowCount: summary.rows, columnMetrics });
  }

  private facet(kind: keyof typeof FACET_SCHEMAS, fields: Record<string, unknown>): Facet {
    return { _producer: this.producer, _schemaURL: FACET_SCHEMAS[kind], ...fields };
  }
}

export function jobName(dataset: string): string {
  return `load.${dataset}`;
}

/** `database.schema.table`, OpenLineage's name of a PostgreSQL table. */
export function tableName(warehouse: WarehouseNaming, dataset: string): string {
  return `${warehouse.database}.staging.${dataset}`;
}
