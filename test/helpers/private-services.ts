import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';

/**
 * Servers a fault test may stop and start: a PostgreSQL (embedded, its own data directory) and a
 * redis-server, each on a free loopback port of its own — never the shared ones other suites use.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface PrivatePostgres {
  /** postgres://…/postgres on the private server. */
  readonly url: string;
  /** A URL for another database on the same server. */
  urlFor(database: string): string;
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[], database?: string): Promise<R[]>;
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(downMs?: number): Promise<void>;
  /** Stops the server and removes its data directory. */
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const root = await mkdtemp(join(tmpdir(), 'sluice-private-pg-'));
  const port = await freePort();
  let server: EmbeddedDatabase | undefined = await startEmbeddedPostgres({ dataDir: join(root, 'pg'), port });
  const url = server.url;
  const urlFor = (database: string): string => url.replace(/\/postgres$/, `/${database}`);
  const self: PrivatePostgres = {
    url,
    urlFor,
    async query(sql, params, database = 'postgres') {
      const client = new pg.Client({ connectionString: urlFor(database) });
      client.on('error', () => undefined);
      await client.connect();
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async start() {
      server ??= await startEmbeddedPostgres({ dataDir: join(root, 'pg'), port });
    },
    async restart(downMs = 500) {
      await self.stop();
      await sleep(downMs);
      await self.start();
    },
    async destroy() {
      await self.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
  return self;
}

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    if (child !== undefined) return;
    const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let out = '';
    started.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    for (let i = 0; i < 100 && !out.includes('Ready to accept connections'); i++) await sleep(50);
    if (!out.includes('Ready to accept connections')) throw new Error(`redis-server on ${port} did not start: ${out}`);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    async stop() {
      const running = child;
      child = undefined;
      if (running === undefined || running.exitCode !== null) return;
      running.kill('SIGTERM');
      await once(running, 'exit');
    },
  };
}
