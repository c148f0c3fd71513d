import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fetch } from 'undici';
import { MAX_CLIENT_BACKLOG } from '../../src/api/event-stream.js';
import { type ApiServer, startApiServer } from '../../src/api/serve.js';
import type { PipelineEvent } from '../../src/events/pipeline-events.js';
import { type ApiFixture, csvRows, type ErrorBody, startApiFixture } from '../helpers/api.js';
import { until } from '../helpers/until.js';

/** One Server-Sent Events message as a client reads it: its fields, or the comment lines between messages. */
interface Message {
  event?: string;
  data?: string;
  id?: string;
  comment?: string;
}

/**
 * Reads a text/event-stream body message by message, as an EventSource would (fields per line,
 * a blank line ends a message, `data:` lines joined with \n), until `stop` says enough.
 */
async function readStream(body: ReadableStream<Uint8Array>, stop: (messages: Message[]) => boolean, timeoutMs = 15_000): Promise<Message[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const messages: Message[] = [];
  let buffer = '';
  const deadline = setTimeout(() => { void reader.cancel(); }, timeoutMs);
  try {
    while (!stop(messages)) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message: Message = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) { message.comment = line.slice(1).trim(); continue; }
          const colon = line.indexOf(':');
          const field = line.slice(0, colon);
          const value = line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') message.data = message.data === undefined ? value : `${message.data}\n${value}`;
          else if (field === 'event' || field === 'id') message[field] = value;
          else throw new Error(`unexpected field ${JSON.stringify(field)} in ${JSON.stringify(block)}`);
        }
        messages.push(message);
      }
    }
  } finally {
    clearTimeout(deadline);
    await reader.cancel().catch(() => undefined);
  }
  return messages;
}

const events = (messages: Message[]): Message[] => messages.filter((m) => m.event !== undefined);

describe('GET /api/events (Server-Sent Events over a real socket)', () => {
  let fx: ApiFixture;
  let server: ApiServer;
  /** Subscribers with no stream open (the telemetry's). */
  let idle: number;

  before(async () => {
    fx = await startApiFixture({ heartbeatSeconds: 0.05 }, { chunkSize: 4096 });
    server = await startApiServer({ app: fx.service.app, port: 0 });
    idle = fx.engine.events.subscribers;
  });

  after(async () => {
    await server.close();
    await fx.close();
  });

  test('a load\'s events arrive in order: started, each chunk, loaded — each type as the event name, JSON data, rising ids', async () => {
    const baseline = idle;
    const response = await fetch(`${server.url}/api/events`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reading = readStream(response.body!, (messages) => messages.some((m) => m.event === 'file.loaded'));
    await until('subscribers', () => fx.engine.events.subscribers === baseline + 1);
    const summary = await fx.engine.ingest(await fx.file('streamed.csv', csvRows(800)));
    // A run ends with run.finished once its lineage is recorded; the load's own events come before it.
    const messages = events(await reading).filter((m) => m.event !== 'run.finished');

    assert.equal(summary.status, 'loaded');
    assert.equal(messages[0].event, 'file.started');
    assert.equal(messages.at(-1)!.event, 'file.loaded');
    const chunks = messages.slice(1, -1);
    assert.ok(chunks.length >= 2 && chunks.every((m) => m.event === 'chunk.committed'));
    let rows = 0;
    for (const message of messages) {
      const event = JSON.parse(message.data!) as PipelineEvent;
      assert.equal(event.type, message.event);
      if (event.type === 'chunk.committed') rows += event.data.rows;
    }
    assert.equal(rows, 800);
    const loaded = JSON.parse(messages.at(-1)!.data!) as PipelineEvent;
    assert.ok(loaded.type === 'file.loaded' && loaded.data.summary.rows === 800 && loaded.data.summary.sha256 === summary.sha256);
    const ids = messages.map((m) => Number(m.id));
    assert.deepEqual(ids, ids.map((_, i) => i + 1));
  });

  test('heartbeats arrive as comments while nothing happens', async () => {
    const response = await fetch(`${server.url}/api/events`);
    const messages = await readStream(response.body!, (m) => m.filter((x) => x.comment?.startsWith('heartbeat')).length >= 3);
    assert.equal(messages[0].comment, 'connected');
    assert.ok(messages.filter((m) => m.comment?.startsWith('heartbeat')).length >= 3);
    assert.equal(events(messages).length, 0);
  });

  test('the subscription ends when the client goes away', async () => {
    // The streams of the tests before were cancelled by their reader: gone too.
    await until('subscribers', () => fx.engine.events.subscribers === idle);
    const baseline = idle;
    const controller = new AbortController();
    const response = await fetch(`${server.url}/api/events`, { signal: controller.signal });
    await readStream(response.body!, (m) => m.length >= 1);
    await until('subscribers', () => fx.engine.events.subscribers === baseline + 1);
    controller.abort();
    await until('subscribers', () => fx.engine.events.subscribers === baseline);
  });

  test('?types= keeps only those events; an unknown type is a 400', async () => {
    await until('subscribers', () => fx.engine.events.subscribers === idle);
    const response = await fetch(`${server.url}/api/events?types=file.loaded,file.skipped`);
    const reading = readStream(response.body!, (m) => m.some((x) => x.event === 'file.skipped'));
    await until('subscribers', () => fx.engine.events.subscribers === idle + 1);
    const path = await fx.file('filtered.csv', csvRows(300));
    await fx.engine.ingest(path);
    await fx.engine.ingest(path);
    assert.deepEqual(events(await reading).map((m) => m.event), ['file.loaded', 'file.skipped']);

    const bad = await fetch(`${server.url}/api/events?types=file.loaded,file.exploded`);
    assert.equal(bad.status, 400);
    const body = await bad.json() as ErrorBody;
    assert.equal(body.error.code, 'SLUICE_ERR_BAD_REQUEST');
    assert.match(body.error.message, /file\.exploded/);
  });

  test(`a client with more than ${MAX_CLIENT_BACKLOG} events waiting gets an overflow event and its stream ends`, async () => {
    await until('subscribers', () => fx.engine.events.subscribers === idle);
    const response = await fetch(`${server.url}/api/events?types=file.discovered`);
    const reading = readStream(response.body!, () => false);
    await until('subscribers', () => fx.engine.events.subscribers === idle + 1);
    // Emitted in one go: the stream cannot write between them, so its backlog fills.
    for (let i = 0; i < MAX_CLIENT_BACKLOG + 50; i++) fx.engine.events.emit('file.discovered', { path: `f${i}.csv`, source: 'api' });
    const messages = events(await reading);
    assert.equal(messages.length, MAX_CLIENT_BACKLOG + 1, 'the backlog, then overflow; the stream ended');
    assert.equal(messages.at(-1)!.event, 'overflow');
    assert.equal((JSON.parse(messages[MAX_CLIENT_BACKLOG - 1].data!) as { data: { path: string } }).data.path, `f${MAX_CLIENT_BACKLOG - 1}.csv`);
    await until('subscribers', () => fx.engine.events.subscribers === idle);
  });

  test('a value with line breaks cannot inject a field or a message: it arrives inside one data line', async () => {
    await until('subscribers', () => fx.engine.events.subscribers === idle);
    const response = await fetch(`${server.url}/api/events?types=file.discovered`);
    const reading = readStream(response.body!, (m) => events(m).length >= 1);
    await until('subscribers', () => fx.engine.events.subscribers === idle + 1);
    const path = 'evil\n\nevent: file.loaded\ndata: {"forged":true}\r\nid: 999\n.csv';
    fx.engine.events.emit('file.discovered', { path, source: 'api' });
    const messages = events(await reading);
    assert.equal(messages.length, 1);
    assert.equal(messages[0].event, 'file.discovered');
    assert.doesNotMatch(messages[0].data!, /\n/);
    const event = JSON.parse(messages[0].data!) as PipelineEvent;
    assert.ok(event.type === 'file.discovered' && event.data.path === path);
  });
});

