// An ingest node inside another Node service: the service keeps its own routes and adds Sluice's
// upload route, a watched folder and the pipeline events. Run it after `npm run build`:
//
//   node examples/embed-ingest-node.mjs
//   curl -T examples/sensors.csv "http://127.0.0.1:8081/api/ingest?name=sensors.csv&wait=true"
//   cp examples/customers.csv inbox/
//
// With no DATABASE_URL the engine starts an embedded PostgreSQL under ./.sluice.
import { Hono } from 'hono';
import { createEngine, ingestRoutes, startDaemon } from 'sluice';

const engine = createEngine({ workers: 1, writers: 2 });

// The service's own events, fed from the pipeline: here, a log line per finished file.
engine.events.subscribe((event) => {
  if (event.type === 'file.loaded' || event.type === 'file.failed' || event.type === 'file.skipped') {
    const { summary } = event.data;
    console.log(`${event.type}: ${summary.file} → ${summary.table ?? '-'} (${summary.rows} rows)`);
  }
  if (event.type === 'breaker.changed') console.log(`breaker ${event.data.name} is ${event.data.state}`);
});

const daemon = await startDaemon({
  engine,
  dirs: ['inbox'],
  watch: { include: ['**/*.csv', '**/*.ndjson'], archive: true },
  port: Number(process.env.PORT ?? 8081),
  token: process.env.SLUICE_API_TOKEN,
  // The service's app: its own routes next to Sluice's upload route.
  app: (context) => {
    const app = new Hono();
    app.get('/hello', (c) => c.text('the host service answers here\n'));
    app.get('/ingest-state', (c) => c.json({ watcher: context.watcher?.status(), breakers: engine.breakers.list() }));
    app.route('/api', ingestRoutes({ engine, spoolDir: context.spoolDir, maxBytes: context.maxUploadBytes, token: context.token }));
    return app;
  },
});
console.log(`ingest node on ${daemon.url}, database ${daemon.databaseUrl}`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.log('draining…');
    daemon.close().then(() => process.exit(0));
  });
}
