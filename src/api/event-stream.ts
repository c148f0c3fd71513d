import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { PipelineEvent, PipelineEventType, PipelineEvents } from '../events/pipeline-events.js';
import { ApiError } from './api-error.js';

/**
 * GET /api/events: the pipeline's events as Server-Sent Events, one message per event — `event:`
 * its type, `data:` the event as JSON (`{type, time, data}`; JSON.stringify leaves no raw line
 * break, so a value cannot end the message early or inject a field), `id:` a sequence number.
 * `?types=file.loaded,file.failed` keeps only those types. A comment line (`: heartbeat`) every
 * heartbeat interval keeps proxies from closing an idle stream.
 *
 * Each client has a bounded backlog: a client that reads slower than events arrive gets an
 * `overflow` event and the stream ends (it may reconnect), so one stalled client cannot hold the
 * process's memory. Its subscription ends when the stream does, or when the client goes away.
 */

export const EVENT_TYPES: readonly PipelineEventType[] = ['file.discovered', 'file.started', 'chunk.committed', 'file.loaded', 'file.skipped', 'file.failed', 'breaker.changed'];

/** Events one client may have waiting before its stream is ended. */
export const MAX_CLIENT_BACKLOG = 1000;

function typesFilter(text: string | undefined): Set<string> | null {
  if (text === undefined || text === '') return null;
  const types = text.split(',').map((t) => t.trim()).filter((t) => t !== '');
  const unknown = types.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
  if (unknown.length > 0) throw new ApiError(400, 'SLUICE_ERR_BAD_REQUEST', `unknown event type ${unknown.map((t) => JSON.stringify(t)).join(', ')}; known: ${EVENT_TYPES.join(', ')}`);
  return new Set(types);
}

export function eventStream(events: PipelineEvents, heartbeatMs: number): (c: Context) => Response {
  return function serveEvents(c) {
    const only = typesFilter(c.req.query('types'));
    return streamSSE(c, async (stream) => {
      const backlog: PipelineEvent[] = [];
      let overflowed = false;
      let heartbeatDue = false;
      let wake: (() => void) | undefined;
      const nudge = (): void => { wake?.(); wake = undefined; };
      const unsubscribe = events.subscribe((event) => {
        if (only !== null && !only.has(event.type)) return;
        if (backlog.length >= MAX_CLIENT_BACKLOG) overflowed = true;
        else backlog.push(event);
        nudge();
      });
      const heartbeat = setInterval(() => { heartbeatDue = true; nudge(); }, heartbeatMs);
      stream.onAbort(nudge);
      let sequence = 0;
      try {
        // Something at once, so the client knows the stream is open before the first event.
        await stream.write(': connected\n\n');
        while (!stream.aborted && !stream.closed) {
          if (backlog.length === 0 && !heartbeatDue && !overflowed) await new Promise<void>((resolve) => { wake = resolve; });
          while (backlog.length > 0 && !stream.aborted) {
            const event = backlog.shift()!;
            await stream.writeSSE({ event: event.type, data: JSON.stringify(event), id: String(++sequence) });
          }
          if (overflowed) {
            await stream.writeSSE({ event: 'overflow', data: JSON.stringify({ message: `more than ${MAX_CLIENT_BACKLOG} events waited for this client; reconnect to go on` }) });
            break;
          }
          if (heartbeatDue) {
            heartbeatDue = false;
            await stream.write(`: heartbeat ${new Date().toISOString()}\n\n`);
          }
        }
      } finally {
        clearInterval(heartbeat);
        unsubscribe();
      }
    });
  };
}
