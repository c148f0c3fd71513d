/**
 * The OpenLineage run events of real loads (a loaded, a failed and a skipped file), as kept in
 * ingest.lineage_events, checked against each rule of ARCHITECTURE.md "Lessons" — one test per
 * rule — and `sluice load` recording them too.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEngine, type Engine } from '../../src/index.js';
import type { Facet, LineageDataset, RunEvent } from '../../src/lineage/run-event.js';
import type { FileSummary } from '../../src/summary.js';
import { sluice } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Every facet of an event, with where it sits. */
function facetsOf(event: RunEvent): Array<[string, Facet]> {
  const all: Array<[string, Facet]> = [];
  const add = (where: string, facets: Record<string, Facet> | undefined) => {
    for (const [name, facet] of Object.entries(facets ?? {})) all.push([`${where}.${name}`, facet]);
  };
  add('run', event.run.facets);
  add('job', event.job.facets);
  const datasets = (kind: string, list: LineageDataset[]) => list.forEach((d, i) => {
    add(`${kind}[${i}].facets`, d.facets);
    add(`${kind}[${i}].inputFacets`, d.inputFacets);
    add(`${kind}[${i}].outputFacets`, d.outputFacets);
  });
  datasets('inputs', event.inputs);
  datasets('outputs', event.outputs);
  return all;
}

describe('OpenLineage run events of loads', () => {
  let db: TestDatabase;
  let engine: Engine;
  let dir: string;
  let loadedPath: string;
  let loaded: FileSummary;
  let failed: FileSummary;
  let skipped: FileSummary;
  const runs = new Map<string, string>();
  const eventsOf = async (summary: FileSummary): Promise<RunEvent[]> => {
    const runId = runs.get(`${summary.file}:${summary.status}`)!;
    const rows = await db.query<{ event: RunEvent }>('SELECT event FROM ingest.lineage_events WHERE run_id = $1 ORDER BY id', [runId]);
    return rows.rows.map((r) => r.event);
  };
  const allEvents = async (): Promise<RunEvent[]> => [...await eventsOf(loaded), ...await eventsOf(failed), ...await eventsOf(skipped)];

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-lineage-'));
    engine = createEngine({ databaseUrl: db.url, workers: 1, writers: 1 });
    const started = new Map<string, string>();
    engine.events.subscribe((event) => {
      if (event.type === 'file.started') started.set(event.data.path, event.data.runId);
      if (event.type === 'file.loaded' || event.type === 'file.failed' || event.type === 'file.skipped') runs.set(`${event.data.path}:${event.type.slice(5)}`, event.data.runId);
    });
    loadedPath = join(dir, 'meters.csv');
    await writeFile(loadedPath, 'meter,read_at,kwh,site\n1,2026-06-01T00:00:00Z,10.5,north\n2,2026-06-01T01:00:00Z,,south\n3,2026-06-01T02:00:00Z,12,north\n');
    loaded = await engine.ingest(loadedPath);
    // Binary content fails the file as a whole (SLUICE_ERR_FORMAT_BINARY), after its claim.
    const broken = join(dir, 'broken.csv');
    await writeFile(broken, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array(2000).fill(0)]));
    failed = await engine.ingest(broken);
    skipped = await engine.ingest(loadedPath);
    assert.deepEqual([loaded.status, failed.status, skipped.status], ['loaded', 'failed', 'skipped']);
  });

  after(async () => {
    await engine.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('one START and then one COMPLETE or FAIL per run: loaded → COMPLETE, failed → FAIL, skipped → COMPLETE', async () => {
    assert.deepEqual((await eventsOf(loaded)).map((e) => e.eventType), ['START', 'COMPLETE']);
    assert.deepEqual((await eventsOf(failed)).map((e) => e.eventType), ['START', 'FAIL']);
    assert.deepEqual((await eventsOf(skipped)).map((e) => e.eventType), ['START', 'COMPLETE']);
    for (const summary of [loaded, failed, skipped]) {
      const [start, end] = await eventsOf(summary);
      assert.equal(start.run.runId, end.run.runId);
      assert.deepEqual(start.job, end.job);
      assert.ok(Date.parse(start.eventTime) <= Date.parse(end.eventTime));
    }
    const total = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ingest.lineage_events');
    assert.equal(total.rows[0].n, 6);
  });

  test('eventTime is ISO 8601 with a zone', async () => {
    for (const event of await allEvents()) {
      assert.match(event.eventTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
      assert.ok(Number.isFinite(Date.parse(event.eventTime)));
    }
  });

  test('producer and schemaURL are URIs; schemaURL names the RunEvent definition', async () => {
    for (const event of await allEvents()) {
      assert.ok(new URL(event.producer).protocol.length > 1, event.producer);
      const schema = new URL(event.schemaURL);
      assert.equal(schema.protocol, 'https:');
      assert.match(event.schemaURL, /^https:\/\/openlineage\.io\/spec\/\d+-\d+-\d+\/OpenLineage\.json#\/\$defs\/RunEvent$/);
    }
  });

  test("run.runId is a UUID, version 7, the engine's run id of the load", async () => {
    for (const event of await allEvents()) {
      assert.match(event.run.runId, UUID);
      assert.equal(event.run.runId[14], '7');
    }
    const [start] = await eventsOf(loaded);
    const edge = await db.query<{ run_id: string }>('SELECT run_id FROM metadata_lineage WHERE target = $1', [loaded.table]);
    assert.equal(edge.rows[0].run_id, start.run.runId);
  });

  test('every facet carries _producer and _schemaURL (a URI to its definition)', async () => {
    let count = 0;
    for (const event of await allEvents()) {
      for (const [where, facet] of facetsOf(event)) {
        count++;
        assert.equal(facet._producer, event.producer, where);
        assert.ok(new URL(facet._producer), where);
        assert.match(facet._schemaURL, /^https:\/\/openlineage\.io\/spec\/facets\/\d+-\d+-\d+\/\w+\.json#\/\$defs\/\w+$/, where);
      }
    }
    assert.ok(count > 20, `only ${count} facets`);
  });

  test('dataQualityMetrics sits in inputs[].inputFacets, with the profile of every column', async () => {
    const [start, complete] = await eventsOf(loaded);
    assert.equal(start.inputs[0].inputFacets, undefined);
    const metrics = complete.inputs[0].inputFacets?.dataQualityMetrics as Facet & { rowCount: number; columnMetrics: Record<string, Record<string, number>> };
    assert.ok(metrics !== undefined);
    assert.equal(metrics.rowCount, 3);
    assert.deepEqual(Object.keys(metrics.columnMetrics).sort(), ['kwh', 'meter', 'read_at', 'site']);
    assert.equal(metrics.columnMetrics.kwh.nullCount, 1);
    assert.equal(metrics.columnMetrics.kwh.min, 10.5);
    assert.equal(metrics.columnMetrics.kwh.max, 12);
    assert.equal(metrics.columnMetrics.site.distinctCount, 2);
    assert.equal(metrics.columnMetrics.meter.count, 3);
    for (const event of await allEvents()) {
      for (const [where] of facetsOf(event).filter(([w]) => w.endsWith('.dataQualityMetrics'))) assert.match(where, /^inputs\[\d+\]\.inputFacets\./);
    }
  });

  test('outputStatistics sits in outputs[].outputFacets: the rows this run wrote (0 for a skipped file)', async () => {
    const rowCount = async (summary: FileSummary) => ((await eventsOf(summary))[1].outputs[0].outputFacets?.outputStatistics as Facet & { rowCount: number }).rowCount;
    assert.equal(await rowCount(loaded), 3);
    assert.equal(await rowCount(skipped), 0);
    for (const event of await allEvents()) {
      for (const [where] of facetsOf(event).filter(([w]) => w.endsWith('.outputStatistics'))) assert.match(where, /^outputs\[\d+\]\.outputFacets\./);
    }
  });

  test('schema and dataSource are dataset facets of the file and the table', async () => {
    const complete = (await eventsOf(loaded))[1];
    const [input] = complete.inputs;
    const [output] = complete.outputs;
    assert.deepEqual((input.facets.schema as Facet & { fields: unknown[] }).fields.map((f) => (f as { name: string }).name), ['meter', 'read_at', 'kwh', 'site']);
    assert.deepEqual((output.facets.schema as Facet & { fields: unknown[] }).fields, [
      { name: 'meter', type: 'integer' }, { name: 'read_at', type: 'timestamp with time zone' }, { name: 'kwh', type: 'double precision' }, { name: 'site', type: 'text' }]);
    assert.equal((input.facets.dataSource as Facet & { uri: string }).uri, `file://${loadedPath}`);
    const source = output.facets.dataSource as Facet & { name: string; uri: string };
    assert.equal(source.name, 'postgres://127.0.0.1:5432');
    assert.equal(source.uri, `postgres://127.0.0.1:5432/${db.name}`);
    for (const event of await allEvents()) {
      for (const dataset of [...event.inputs, ...event.outputs]) assert.ok('dataSource' in dataset.facets);
    }
  });

  test('a PostgreSQL dataset is namespace postgres://host:port, name database.schema.table', async () => {
    for (const event of await allEvents()) {
      for (const output of event.outputs) {
        assert.equal(output.namespace, 'postgres://127.0.0.1:5432');
        assert.equal(output.name.split('.').length, 3);
        assert.ok(output.name.startsWith(`${db.name}.staging.`), output.name);
      }
    }
    assert.equal((await eventsOf(loaded))[1].outputs[0].name, `${db.name}.staging.meters`);
  });

  test('a file is namespace file, name its absolute path', async () => {
    for (const event of await allEvents()) {
      assert.equal(event.inputs.length, 1);
      assert.equal(event.inputs[0].namespace, 'file');
      assert.ok(event.inputs[0].name.startsWith(dir), event.inputs[0].name);
    }
    assert.equal((await eventsOf(loaded))[0].inputs[0].name, loadedPath);
  });

  test('the job is in namespace sluice, named after the dataset', async () => {
    for (const event of await allEvents()) assert.equal(event.job.namespace, 'sluice');
    assert.equal((await eventsOf(loaded))[0].job.name, 'load.meters');
    assert.equal((await eventsOf(failed))[0].job.name, 'load.broken');
  });

  test('a FAIL carries the errorMessage run facet: the code and message, the language', async () => {
    const fail = (await eventsOf(failed))[1];
    const error = fail.run.facets.errorMessage as Facet & { message: string; programmingLanguage: string };
    assert.ok(error.message.startsWith(`${failed.error!.code}: `), error.message);
    assert.ok(error.message.includes(failed.error!.message));
    assert.equal(error.programmingLanguage, 'JavaScript');
    for (const summary of [loaded, skipped]) assert.equal((await eventsOf(summary))[1].run.facets.errorMessage, undefined);
  });

  test('sluice load records the events too', async () => {
    const path = join(dir, 'cli_meters.csv');
    await writeFile(path, 'a,b\n1,2\n');
    const outcome = await sluice(['load', path, '--json'], { ...process.env, DATABASE_URL: db.url });
    assert.equal(outcome.code, 0, outcome.stderr);
    const rows = await db.query<{ event_type: string; job_name: string }>("SELECT event_type, job_name FROM ingest.lineage_events WHERE 'cli_meters' = ANY(datasets) ORDER BY id");
    assert.deepEqual(rows.rows.map((r) => [r.event_type, r.job_name]), [['START', 'load.cli_meters'], ['COMPLETE', 'load.cli_meters']]);
  });
});
