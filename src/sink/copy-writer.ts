import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { SluiceError } from '../errors.js';
import { rejectRow } from '../formats/reject-row.js';
import { NO_LIMITS, nextRowEnd } from '../formats/csv/row-boundary.js';
import { csvDialect, LF } from '../formats/csv/dialect.js';
import { type ColumnTypeCode, columnTypeFromPostgres } from '../schema/column-type.js';
import { DependencyGuard } from '../resilience/dependency-guard.js';
import { isTransient } from '../resilience/transient-error.js';
import { ANOMALIES_COPY } from '../stages/anomaly-row.js';
import { isBinaryCopy, tupleRange, tupleText } from './binary-copy-tuple.js';

/**
 * One COPY connection. Each chunk lands exactly once, the way timescaledb-parallel-copy's
 * `--import-id` does it: in one transaction, insert the chunk's ledger row (nothing inserted means
 * an earlier run already committed it: skip), COPY the rows and the rejects, commit. A crash
 * anywhere before COMMIT leaves neither rows nor ledger row; after it, both.
 *
 * A value the worker accepted can still fail COPY (an edge of PostgreSQL's input syntax). Then the
 * transaction is rolled back, the row PostgreSQL names is moved to the rejects with reason CAST and
 * the database's message (CONSTRAINT when the table's own constraints refused it), and the chunk
 * is retried — one bad row never fails a file (pgloader's approach). Only transient failures (connection lost, admin shutdown, disk full, serialization)
 * are retried as they are, through the PostgreSQL circuit breaker (resilience/dependency-guard.ts):
 * with back-off and jitter, for as long as the outage lasts up to its timeout.
 */

export interface CopyJob {
  fileId: number;
  chunkNo: number;
  attempt: number;
  byteStart: number;
  byteEnd: number;
  rows: number;
  rejected: number;
  lines: number;
  /** COPY CSV rows, each `<file id><d><offset><d>fields…\n`, or binary COPY (header, tuples, trailer). */
  data: Uint8Array;
  /** COPY text rows for ingest.rejects. */
  rejects: Uint8Array;
  /** `COPY staging.x (...) FROM STDIN WITH (...)` for `data`. */
  copySql: string;
  delimiter: number;
  quote: number;
  /** The types of the columns after `_file, _offset` (binary data: to show a refused tuple as text). */
  columnTypes?: readonly ColumnTypeCode[];
  /** Binary data: the table and its columns' names (after `_file, _offset`), to check its types before the COPY. */
  table?: string;
  columnNames?: readonly string[];
  /** The 1-based line within the chunk at which the row at a file offset starts (rare path). */
  chunkLineOf(offset: number): number;
  /** Columns widened for this chunk (JSON for ingest.chunks.widened), or null. */
  widened?: string | null;
  /** The worker stages' findings for this chunk (JSON for ingest.chunks.reports), or null. */
  reports?: string | null;
  /** COPY text rows for ingest.anomalies. */
  anomalies?: Uint8Array;
}

export type CopyOutcome = 'committed' | 'skipped';

/**
 * Binary COPY reads each value by its column's type, so binary rows encoded under other types
 * than the table has now (another load widened a column meanwhile) would be refused or misread.
 * The writer checks under the table's lock and throws this, with the table's types, instead of
 * copying; the pipeline encodes the chunk again under them.
 */
export class TableTypesChanged extends Error {
  constructor(readonly columnTypes: ColumnTypeCode[]) {
    super('the table\'s column types changed since the chunk was encoded');
  }
}

export const REJECTS_COPY = 'COPY ingest.rejects (file_id, chunk_no, chunk_line, byte_offset, reason, detail, raw) FROM STDIN';
const MAX_ISOLATED_ROWS = 10_000;

/**
 * COPY FROM STDIN of `bytes`, or of pieces sent one after another as they are (COPY data may be
 * cut anywhere), so a caller holding its data in pieces does not join them into one copy first.
 */
export function copyIn(client: pg.ClientBase, sql: string, bytes: Uint8Array | readonly Uint8Array[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = client.query(copyFrom(sql));
    stream.on('error', reject);
    stream.on('finish', () => resolve());
    const pieces = bytes instanceof Uint8Array ? [bytes] : bytes;
    for (const piece of pieces) if (piece.length > 0) stream.write(Buffer.from(piece.buffer, piece.byteOffset, piece.length));
    stream.end();
  });
}

export { isTransient };

/** Data errors: the input, not the system (invalid text representation, out of range, …). */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

export class CopyWriter {
  private client: pg.Client | undefined;
  /** The session being opened (by prepare() or the first write), until it is the client. */
  private connecting: Promise<pg.Client> | undefined;

  /**
   * `guard`: the process's PostgreSQL breaker (engine's DependencyBreakers); by default one of its
   * own, with the default outage timeout.
   */
  constructor(private readonly connect: () => Promise<pg.Client>, private readonly log: (line: string) => void = () => undefined,
    private readonly guard: DependencyGuard = new DependencyGuard({ name: 'postgres', unavailableCode: 'SLUICE_ERR_DATABASE_UNAVAILABLE' })) {}

  /**
   * Opens the session ahead of the first write (the engine does as it opens), so a load's first
   * COPY does not also wait for a backend to start and the session to be set up. A failure here
   * is left to the write, which connects again through the breaker.
   */
  prepare(): void {
    this.connection().catch(() => undefined);
  }

  private connection(): Promise<pg.Client> {
    if (this.client !== undefined) return Promise.resolve(this.client);
    if (this.connecting === undefined) {
      const connecting: Promise<pg.Client> = this.connect().then((client) => {
        // A session the server ends while the writer is idle (a restart, an idle timeout) emits
        // 'error' with no query to reject: unheard, it would crash the process. Forget the client
        // instead; the next chunk connects again.
        client.on('error', (error) => {
          this.log(`writer connection lost: ${error.message}`);
          if (this.client === client) this.client = undefined;
        });
        // Closed meanwhile: close() ends this session once it is open.
        if (this.connecting === connecting) {
          this.client = client;
          this.connecting = undefined;
        }
        return client;
      }, (error: unknown) => {
        if (this.connecting === connecting) this.connecting = undefined;
        throw error;
      });
      this.connecting = connecting;
    }
    return this.connecting;
  }

  async close(): Promise<void> {
    const { client, connecting } = this;
    this.client = undefined;
    this.connecting = undefined;
    await client?.end().catch(() => undefined);
    const late = await connecting?.catch(() => undefined);
    await late?.end().catch(() => undefined);
  }

  async write(job: CopyJob): Promise<CopyOutcome> {
    let isolated = 0;
    for (;;) {
      try {
        return await this.guard.run(() => this.attempt(job));
      } catch (error) {
        if (error instanceof TableTypesChanged) throw error;
        if (isDataError(error) && isolated < MAX_ISOLATED_ROWS && isolateFailingRow(job, error)) {
          isolated++;
          continue;
        }
        if (error instanceof SluiceError) throw error;
        throw new SluiceError('SLUICE_ERR_COPY_FAILED', `chunk ${job.chunkNo}: ${(error as Error).message}`, { cause: error });
      }
    }
  }

  /**
   * One try at the chunk's transaction. A transient failure drops the connection (the next try
   * connects again); a commit whose answer was lost is found by the ledger row on the next try.
   */
  private async attempt(job: CopyJob): Promise<CopyOutcome> {
    const client = await this.connection();
    try {
      return await this.transaction(client, job);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (isTransient(error)) {
        this.log(`chunk ${job.chunkNo}: ${(error as Error).message}; retrying when PostgreSQL answers`);
        await this.close();
      }
      throw error;
    }
  }

  private async transaction(client: pg.Client, job: CopyJob): Promise<CopyOutcome> {
    await client.query('BEGIN');
    if (isBinaryCopy(job.data)) await checkTableTypes(client, job);
    const claimed = await client.query(
      `INSERT INTO ingest.chunks (file_id, chunk_no, byte_start, byte_end, rows, rejected, lines, attempt, widened, reports)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (file_id, chunk_no) DO NOTHING RETURNING chunk_no`,
      [job.fileId, job.chunkNo, job.byteStart, job.byteEnd, job.rows, job.rejected, job.lines, job.attempt, job.widened ?? null, job.reports ?? null]);
    if (claimed.rowCount === 0) {
      await client.query('ROLLBACK');
      return 'skipped';
    }
    if (job.data.length > 0) await copyIn(client, job.copySql, job.data);
    if (job.rejects.length > 0) await copyIn(client, REJECTS_COPY, job.rejects);
    if (job.anomalies !== undefined && job.anomalies.length > 0) await copyIn(client, ANOMALIES_COPY, job.anomalies);
    await client.query('COMMIT');
    return 'committed';
  }
}

/**
 * Takes the table's ROW EXCLUSIVE lock (an ALTER TABLE that widens a column waits for this
 * transaction from here on) and compares its column types with those the binary rows were encoded
 * under: TableTypesChanged when they differ.
 */
async function checkTableTypes(client: pg.Client, job: CopyJob): Promise<void> {
  if (job.table === undefined || job.columnNames === undefined || job.columnTypes === undefined) return;
  await client.query(`LOCK TABLE ${job.table} IN ROW EXCLUSIVE MODE`);
  const { rows } = await client.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, [job.table]);
  const types = new Map(rows.map((r) => [r.name, columnTypeFromPostgres(r.type)]));
  const now = job.columnNames.map((name, i) => types.get(name) ?? job.columnTypes![i]);
  if (now.some((type, i) => type !== job.columnTypes![i])) throw new TableTypesChanged(now);
}

/**
 * Finds the row PostgreSQL's error names (`COPY x, line N, …`), removes it from the job's data and
 * adds it to the job's rejects. False when the error does not say which line failed.
 */
function isolateFailingRow(job: CopyJob, error: unknown): boolean {
  const where = (error as { where?: unknown }).where;
  const match = typeof where === 'string' ? /line (\d+)/.exec(where) : null;
  if (match === null) return false;
  const failing = isBinaryCopy(job.data) ? failingTuple(job, Number(match[1])) : failingCsvRow(job, Number(match[1]));
  if (failing === null) return false;
  const { start, end, offset, raw } = failing;
  const message = (error as Error).message + ` (${where as string})`;
  // Class 23 is a constraint the table carries (NOT NULL, CHECK, UNIQUE); class 22, a value
  // PostgreSQL could not read as the column's type.
  const reason = String((error as { code?: unknown }).code).startsWith('23') ? 'CONSTRAINT' : 'CAST';
  const rejected = Buffer.from(rejectRow({ fileId: job.fileId, chunkNo: job.chunkNo, chunkLine: job.chunkLineOf(offset), byteOffset: offset, reason, detail: message, raw }));
  const data = job.data;
  const remaining = new Uint8Array(data.length - (end - start));
  remaining.set(data.subarray(0, start), 0);
  remaining.set(data.subarray(end), start);
  const rejects = new Uint8Array(job.rejects.length + rejected.length);
  rejects.set(job.rejects, 0);
  rejects.set(rejected, job.rejects.length);
  job.data = remaining;
  job.rejects = rejects;
  job.rows--;
  job.rejected++;
  return true;
}

interface FailingRow {
  /** The row's bytes in the job's data. */
  start: number;
  end: number;
  /** Its `_offset`: the row's byte offset in the file. */
  offset: number;
  raw: string;
}

/** Binary COPY counts tuples as lines: tuple N, read back from its fields. */
function failingTuple(job: CopyJob, line: number): FailingRow | null {
  const range = tupleRange(job.data, line);
  if (range === null) return null;
  return { ...range, ...tupleText(job.data, range.start, job.columnTypes) };
}

function failingCsvRow(job: CopyJob, failingLine: number): FailingRow | null {
  const data = job.data;
  let line = 1;
  let rowStart = 0;
  while (rowStart < data.length) {
    const { end } = nextRowEnd(data, rowStart, data.length, csvDialect({ delimiter: job.delimiter, quote: job.quote }), NO_LIMITS);
    let terminators = 0;
    // PostgreSQL counts a newline inside quotes as a line only once it knows the line ending,
    // which it learns at the end of the first row: the first row of a COPY is one line, always.
    if (rowStart === 0) terminators = 1;
    else for (let i = rowStart; i < end; i++) if (data[i] === LF) terminators++;
    if (failingLine >= line && failingLine < line + Math.max(1, terminators)) {
      const row = Buffer.from(data.buffer, data.byteOffset + rowStart, end - rowStart).toString('utf8');
      const firstDelimiter = row.indexOf(String.fromCharCode(job.delimiter));
      const secondDelimiter = row.indexOf(String.fromCharCode(job.delimiter), firstDelimiter + 1);
      const offset = Number(row.slice(firstDelimiter + 1, secondDelimiter));
      const raw = row.slice(secondDelimiter + 1).replace(/\n$/, '');
      return { start: rowStart, end, offset, raw };
    }
    line += terminators;
    rowStart = end;
  }
  return null;
}
