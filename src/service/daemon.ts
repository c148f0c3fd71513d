import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { type ApiService, createApiService } from '../api/api-service.js';
import { ingestRoutes } from '../api/ingest-routes.js';
import type { Engine } from '../engine.js';
import { createWatcher, type FileWatcher, type WatchOptions } from '../watch/file-watcher.js';

/**
 * Sluice as a service: one engine, a watcher on its directories and an HTTP API, started in that
 * order and stopped in the reverse one — the server stops taking requests, the watcher stops
 * taking files and waits for its loads, the engine drains what it accepted (uploads included) and
 * stops its pool, writers and the embedded PostgreSQL.
 *
 * The HTTP app is passed in (`app`), so the full API (status, health, metrics, catalog, …) and an
 * embedding service's own routes mount the same way; by default the app serves the upload route.
 */
export interface DaemonOptions {
  engine: Engine;
  /** Directories to watch (created when missing); none: the API alone. */
  dirs?: readonly string[];
  /** The watcher's options (globs, settle time, archive, …) besides its directories. */
  watch?: Omit<WatchOptions, 'dirs'>;
  /** SLUICE_API_TOKEN: mutating routes need it. Without one the server listens on 127.0.0.1 only. */
  token?: string;
  /** Default: SLUICE_PORT, else 8080; 0 for a free port. */
  port?: number;
  /** Default: 0.0.0.0 with a token, 127.0.0.1 without. */
  hostname?: string;
  /** Largest upload. Default: the engine's maxDownloadBytes (10 GiB). */
  maxUploadBytes?: number;
  /** The HTTP app; default: the whole API with uploads (`defaultServiceApp`); `uploadApp` for the upload route alone. */
  app?: (context: ServiceContext) => Hono;
  log?: (line: string) => void;
}

/** What an app factory is given to build its routes on. */
export interface ServiceContext {
  engine: Engine;
  watcher: FileWatcher | undefined;
  token: string | undefined;
  spoolDir: string;
  maxUploadBytes: number;
  log: (line: string) => void;
}

export interface Daemon {
  /** http://host:port of the API. */
  readonly url: string;
  /** The database's URL (the embedded server's while the daemon runs). */
  readonly databaseUrl: string;
  readonly engine: Engine;
  readonly watcher: FileWatcher | undefined;
  /** True when no token was given (and the server listens on loopback only). */
  readonly open: boolean;
  /** Stops taking requests and files, drains what was accepted, then stops everything. Idempotent. */
  close(): Promise<void>;
}

/** The upload route alone under /api (an embedding service that mounts the rest itself passes `app`). */
export function uploadApp(context: ServiceContext): Hono {
  const app = new Hono();
  app.route('/api', uploadRoutes(context));
  return app;
}

function uploadRoutes(context: ServiceContext): Hono {
  return ingestRoutes({ engine: context.engine, spoolDir: context.spoolDir, maxBytes: context.maxUploadBytes, token: context.token, log: context.log });
}

/**
 * The whole API (createApiService: status, health, metrics, files, datasets, events, catalog,
 * the status page) with the upload route and the engine's breakers; stopped with the daemon.
 */
export function defaultServiceApp(context: ServiceContext): ApiService {
  return createApiService({
    engine: context.engine, token: context.token, redisUrl: context.engine.options.redisUrl,
    breakers: () => context.engine.breakers.list(), routes: [{ path: '/api', app: uploadRoutes(context) }], log: context.log,
  });
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { engine } = options;
  const log = options.log ?? (() => undefined);
  const token = options.token === '' ? undefined : options.token;
  const port = options.port ?? (process.env.SLUICE_PORT ? Number(process.env.SLUICE_PORT) : 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new TypeError(`the port must be 0–65535, got ${String(port)}`);
  const hostname = options.hostname ?? (token === undefined ? '127.0.0.1' : '0.0.0.0');
  await engine.start();

  let watcher: FileWatcher | undefined;
  let server: ServerType | undefined;
  let service: ApiService | undefined;
  try {
    const dirs = (options.dirs ?? []).map((dir) => resolve(dir));
    for (const dir of dirs) await mkdir(dir, { recursive: true });
    if (dirs.length > 0) {
      watcher = createWatcher(engine, { ...options.watch, dirs, log: options.watch?.log ?? log });
      await watcher.ready;
    }
    const context: ServiceContext = {
      engine, watcher, token, spoolDir: join(engine.options.home, 'spool'), maxUploadBytes: options.maxUploadBytes ?? engine.options.maxDownloadBytes, log,
    };
    service = options.app === undefined ? defaultServiceApp(context) : undefined;
    const app = options.app === undefined ? service!.app : options.app(context);
    server = await listen(app, port, hostname);
  } catch (error) {
    await watcher?.close();
    await service?.close();
    await engine.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const shownHost = hostname === '0.0.0.0' || hostname === '::' ? '127.0.0.1' : hostname;
  const running = server;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${address.port}`,
    databaseUrl: engine.databaseUrl!,
    engine,
    watcher,
    open: token === undefined,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolveClose) => running.close(() => resolveClose()));
        // Idle keep-alive connections would hold close() open; requests in flight finish.
        (running as { closeIdleConnections?: () => void }).closeIdleConnections?.();
        await watcher?.close();
        await engine.close();
        await service?.close();
        (running as { closeAllConnections?: () => void }).closeAllConnections?.();
        await stopped;
      })();
      return closing;
    },
  };
}

function listen(app: Hono, port: number, hostname: string): Promise<ServerType> {
  return new Promise((resolveListen, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname });
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} on ${hostname} is in use: choose another with --port or SLUICE_PORT`, { cause: error }) : error);
    });
    server.once('listening', () => resolveListen(server));
  });
}
