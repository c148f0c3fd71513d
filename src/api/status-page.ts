import { Hono } from 'hono';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { HealthReport } from '../telemetry/health-checks.js';
import { type ApiDeps, readIfUp } from './app.js';
import { type DatasetOverview, datasetOverview } from './ledger-reads.js';
import { type ServiceStatus, serviceStatus } from './status-routes.js';

/**
 * GET /: a status page rendered on the server from the same figures as /api/status and
 * /api/health, with no build step and no script: datasets with rows and quality scores, recent
 * loads, throughput, queues, breakers and dependency health; it reloads itself every few seconds.
 * Every value goes through hono/html's `html`, which escapes it (file names are user input).
 */

export const PAGE_REFRESH_SECONDS = 5;
const DATASETS_SHOWN = 50;

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

function count(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : Math.round(value).toLocaleString('en-US');
}

function score(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : value.toFixed(3);
}

function bytes(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function badge(text: string): Html {
  const tone = ['ok', 'up', 'closed', 'loaded', 'idle', 'connected'].includes(text) ? 'good'
    : ['degraded', 'half-open', 'loading', 'starting', 'not_configured'].includes(text) ? 'warn' : 'bad';
  return html`<span class="badge ${tone}">${text}</span>`;
}

function dependencies(health: HealthReport): Html {
  const rows = Object.entries(health.dependencies).map(([name, d]) => html`<tr data-dependency="${name}">
    <td>${name}</td><td>${badge(d.status)}</td><td>${d.latency_ms === null ? '–' : `${d.latency_ms} ms`}</td><td>${d.error ?? ''}</td></tr>`);
  return html`<table><thead><tr><th>dependency</th><th>status</th><th>latency</th><th>detail</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function breakers(status: ServiceStatus): Html {
  if (status.breakers.length === 0) return html`<p class="muted">no circuit breakers registered</p>`;
  const rows = status.breakers.map((b) => html`<tr data-breaker="${b.name}"><td>${b.name}</td><td>${badge(b.state)}</td></tr>`);
  return html`<table><thead><tr><th>breaker</th><th>state</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function throughput(status: ServiceStatus): Html {
  const t = status.throughput;
  return html`<dl class="figures" data-testid="throughput">
    <div><dt>rows/s (${t.window_seconds} s)</dt><dd data-figure="rows-per-second">${count(t.rows_per_second)}</dd></div>
    <div><dt>bytes/s</dt><dd>${bytes(t.bytes_per_second)}</dd></div>
    <div><dt>rejected/s</dt><dd>${count(t.rejected_per_second)}</dd></div>
    <div><dt>last minute</dt><dd data-figure="last-minute">${count(t.last_minute.files)} files, ${count(t.last_minute.rows)} rows</dd></div>
    <div><dt>files waiting</dt><dd>${count(status.queues.files)}</dd></div>
    <div><dt>writer queue</dt><dd>${count(status.queues.writer.depth)} / ${count(status.queues.writer.capacity)}</dd></div>
    <div><dt>worker threads</dt><dd>${status.workers === null ? '–' : html`${status.workers.threads} (${Math.round(status.workers.utilization * 100)} % busy)`}</dd></div>
  </dl>`;
}

function inFlight(status: ServiceStatus): Html {
  if (status.in_flight.length === 0) return html`<p class="muted">nothing loading</p>`;
  return html`<ul>${status.in_flight.map((f) => html`<li>${f.path} (since ${f.started_at})</li>`)}</ul>`;
}

function datasets(list: DatasetOverview[] | null, error: string | undefined): Html {
  if (list === null) return html`<p class="bad-text">datasets unavailable: ${error ?? ''}</p>`;
  if (list.length === 0) return html`<p class="muted">no loads yet</p>`;
  const rows = list.map((d) => html`<tr data-dataset="${d.dataset}">
    <td>${d.dataset}</td><td>${d.table}</td><td class="n" data-field="rows">${count(d.rows)}</td><td class="n">${count(d.loads)}</td><td class="n">${count(d.failed)}</td>
    <td class="n" data-field="score">${score(d.score)}</td><td>${d.last_loaded_at ?? '–'}</td></tr>`);
  return html`<table data-testid="datasets"><thead><tr><th>dataset</th><th>table</th><th>rows</th><th>loads</th><th>failed</th><th>quality</th><th>last load</th></tr></thead>
    <tbody>${rows}</tbody></table>`;
}

function recentLoads(status: ServiceStatus): Html {
  if (status.recent_loads === null) return html`<p class="bad-text">recent loads unavailable: ${status.recent_loads_error ?? ''}</p>`;
  if (status.recent_loads.length === 0) return html`<p class="muted">no loads yet</p>`;
  const rows = status.recent_loads.map((l) => html`<tr data-load="${l.id}">
    <td class="n">${l.id}</td><td>${l.file}</td><td>${l.dataset}</td><td>${badge(l.status)}</td><td class="n">${count(l.rows)}</td><td class="n">${count(l.rejected)}</td>
    <td class="n">${score(l.score)}</td><td class="n">${l.duration_ms === null ? '–' : `${count(l.duration_ms)} ms`}</td><td>${l.error_code ?? ''}</td></tr>`);
  return html`<table data-testid="recent-loads"><thead><tr><th>id</th><th>file</th><th>dataset</th><th>status</th><th>rows</th><th>rejected</th><th>quality</th><th>time</th><th>error</th></tr></thead>
    <tbody>${rows}</tbody></table>`;
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2330; background: #f7f8fa; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; } h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; background: #fff; min-width: 40%; } th, td { padding: .3rem .6rem; border-bottom: 1px solid #e3e6ec; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } .muted { color: #6b7385; } .bad-text { color: #a8071a; }
.badge { padding: .05rem .45rem; border-radius: .6rem; font-size: .8rem; } .good { background: #d9f7be; } .warn { background: #fff1b8; } .bad { background: #ffccc7; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; margin: 0; } .figures div { background: #fff; padding: .5rem .8rem; border: 1px solid #e3e6ec; }
dt { color: #6b7385; font-size: .8rem; } dd { margin: 0; font-size: 1.1rem; }
`;

export function statusPage(deps: ApiDeps): Hono {
  const page = new Hono();
  page.get('/', async (c) => {
    const [status, health] = await Promise.all([serviceStatus(deps), deps.health.check()]);
    const list = await readIfUp(deps, (pool) => datasetOverview(pool, DATASETS_SHOWN));
    return c.html(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${PAGE_REFRESH_SECONDS}">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Sluice status</title><link rel="icon" href="data:,"><style>${raw(STYLE)}</style></head>
<body>
<h1>Sluice <span class="muted">${status.version}</span></h1>
<p>health ${html`<span data-testid="health">${badge(health.status)}</span>`} · engine ${html`<span data-testid="engine-state">${badge(status.state)}</span>`} · up ${count(status.uptime_seconds)} s · Redis ${badge(status.redis.status)}</p>
<h2>Throughput and queues</h2>${throughput(status)}
<h2>Loading now</h2>${inFlight(status)}
<h2>Datasets</h2>${datasets(list.value, list.error)}
<h2>Recent loads</h2>${recentLoads(status)}
<h2>Dependencies</h2>${html`<div data-testid="dependencies">${dependencies(health)}</div>`}
<h2>Circuit breakers</h2>${html`<div data-testid="breakers">${breakers(status)}</div>`}
<p class="muted">JSON: <a href="/api/status">/api/status</a> · <a href="/api/health">/api/health</a> · <a href="/api/metrics?format=prometheus">/api/metrics</a> · refreshes every ${PAGE_REFRESH_SECONDS} s</p>
</body></html>`);
  });
  return page;
}
