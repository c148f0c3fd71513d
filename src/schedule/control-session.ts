import type pg from 'pg';
import type { DependencyGuard } from '../resilience/dependency-guard.js';
import { isTransient } from '../resilience/transient-error.js';
import { releaseFile, tryHoldFile } from './ledger.js';

/**
 * A load's control connection (ledger claim, staging DDL, widening, completion) that survives the
 * database going away. Work on it is done in steps: a step runs on one connection from start to
 * end (so its transactions stay whole), and a step that fails transiently — a restart, a killed
 * backend — runs again from its start on a new connection, through the PostgreSQL breaker, once
 * the database answers. Steps are written to be re-run: the ledger's statements are idempotent
 * or inside a transaction the failure rolled back.
 *
 * The content hold (ledger.ts tryHoldFile, a session advisory lock) dies with its session; a new
 * connection takes it again. Should another process have taken it meanwhile, this load goes on
 * without it: the chunk ledger still lets each chunk commit once, whoever writes it.
 */
export class ControlSession {
  private client: pg.PoolClient | undefined;
  private held: string | undefined;

  constructor(private readonly pool: pg.Pool, private readonly guard: DependencyGuard, private readonly log: (line: string) => void) {}

  step<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.guard.run(async () => {
      const client = await this.connection();
      try {
        return await work(client);
      } catch (error) {
        if (isTransient(error)) this.drop(client, error as Error);
        throw error;
      }
    });
  }

  /** Records the content this session holds (claimContent took the lock on the current connection). */
  holding(sha256: string | undefined): void {
    this.held = sha256;
  }

  /** Releases the hold (if the connection still has it) and the connection. */
  async close(): Promise<void> {
    const client = this.client;
    if (client === undefined) return;
    if (this.held !== undefined) await releaseFile(client, this.held).catch(() => undefined);
    this.drop(client);
  }

  private async connection(): Promise<pg.PoolClient> {
    if (this.client !== undefined) return this.client;
    const client = await this.pool.connect();
    // A checked-out client has no pool listener: a server that ends the session between steps
    // (idle during a long COPY phase) would otherwise crash the process with an 'error' event.
    this.onError = (error: Error) => {
      this.log(`control connection lost: ${error.message}`);
      this.drop(client, error);
    };
    client.on('error', this.onError);
    this.client = client;
    try {
      if (this.held !== undefined && !(await tryHoldFile(client, this.held))) {
        this.log(`content ${this.held.slice(0, 12)}… is held by another session since the reconnect; going on (chunks still commit once)`);
      }
    } catch (error) {
      this.drop(client, error as Error);
      throw error;
    }
    return client;
  }

  private onError: ((error: Error) => void) | undefined;

  /** Gives the connection back; with an error, the pool destroys it instead of reusing it. */
  private drop(client: pg.PoolClient, error?: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (this.onError !== undefined) client.off('error', this.onError);
    // A destroyed client may still report its socket closing.
    if (error !== undefined) client.on('error', () => undefined);
    client.release(error);
  }
}
