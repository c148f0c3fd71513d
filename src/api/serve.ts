import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

/**
 * Serves an API app over HTTP (@hono/node-server). Without a token the API has no guard on its
 * mutating routes, so it listens on 127.0.0.1 only, whatever host was asked for, and says so in
 * `notice`; with a token it listens where asked (default all interfaces).
 */

export interface ApiServerOptions {
  app: Hono;
  /** 0: a free port. Default: SLUICE_PORT, else 8080. */
  port?: number;
  /** Default: 0.0.0.0 with a token, 127.0.0.1 without. */
  host?: string;
  /** SLUICE_API_TOKEN. */
  token?: string;
}

export interface ApiServer {
  /** `http://host:port` as bound (port resolved when 0 was asked). */
  url: string;
  host: string;
  port: number;
  /** Set when the bind address differs from the one asked for, or is loopback for want of a token. */
  notice: string | null;
  /** Stops accepting, ends open connections (event streams among them) and resolves when the server is closed. */
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8080;
const LOOPBACK = '127.0.0.1';

export function defaultPort(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.SLUICE_PORT;
  if (text === undefined || text === '') return DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`SLUICE_PORT must be a port number (0-65535), got ${JSON.stringify(text)}`);
  return port;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const port = options.port ?? defaultPort();
  const hasToken = options.token !== undefined && options.token !== '';
  let host = options.host ?? (hasToken ? '0.0.0.0' : LOOPBACK);
  let notice: string | null = null;
  if (!hasToken) {
    if (host !== LOOPBACK && host !== 'localhost') notice = `no SLUICE_API_TOKEN: listening on ${LOOPBACK} only, not ${host} (set a token to serve other hosts)`;
    else notice = `no SLUICE_API_TOKEN: listening on ${LOOPBACK} only`;
    host = LOOPBACK;
  }
  const server = await new Promise<Server>((resolve, reject) => {
    const created = serve({ fetch: options.app.fetch, port, hostname: host }) as Server;
    created.once('listening', () => resolve(created));
    created.once('error', reject);
  });
  // A failure after start (a socket error) must not crash the process: it is one connection.
  server.on('error', () => undefined);
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    host, port: bound, notice,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
