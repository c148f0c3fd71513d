import { parseArgs } from 'node:util';
import { redact } from '../database/database.js';
import { createEngine } from '../engine.js';
import { createLogger } from '../telemetry/logger.js';
import { UsageError } from '../usage-error.js';
import { createApiService } from './api-service.js';
import { defaultPort, startApiServer } from './serve.js';

/**
 * `sluice serve [--port N] [--host H] [--config FILE]`: the API and status page over an open
 * engine, without a watcher. Prints the API's URL and the database's (the embedded server's is
 * psql-ready while it runs); SIGINT or SIGTERM stops the server, then the engine (a second one
 * exits at once).
 */
export async function serveCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { port: { type: 'string' }, host: { type: 'string' }, config: { type: 'string' }, workers: { type: 'string' }, writers: { type: 'string' } },
  });
  if (positionals.length > 0) throw new UsageError(`sluice serve takes no arguments, got ${JSON.stringify(positionals[0])}`);
  let port: number;
  try {
    port = values.port === undefined ? defaultPort() : Number(values.port);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number (0-65535), got ${JSON.stringify(values.port)}`);
  const count = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(text)}`);
    return n;
  };

  const log = await createLogger();
  const token = process.env.SLUICE_API_TOKEN || undefined;
  const engine = createEngine({
    config: values.config, workers: count('workers', values.workers), writers: count('writers', values.writers),
    log: (line) => log.debug(line),
  });
  let stopping: Promise<void> | undefined;
  try {
    await engine.start();
    const service = createApiService({
      engine, token, redisUrl: process.env.REDIS_URL || undefined,
      log: (line) => log.warn(line),
      logError: (error, request) => log.error({ err: error, ...request }, 'request failed'),
    });
    const server = await startApiServer({ app: service.app, port, host: values.host, token }).catch(async (error: unknown) => {
      await service.close();
      throw error;
    });
    if (server.notice !== null) log.warn(server.notice);
    process.stdout.write(`sluice API on ${server.url}  (status page ${server.url}/)\ndatabase ${redact(engine.databaseUrl ?? '')}\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        if (stopping !== undefined) process.exit(130);
        log.info('stopping: closing the server, then the engine (again to exit at once)');
        stopping = (async () => {
          await server.close();
          await service.close();
        })();
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await stopping;
  } finally {
    await engine.close();
  }
  return 0;
}
