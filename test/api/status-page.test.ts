import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type ApiServer, startApiServer } from '../../src/api/serve.js';
import { type ApiFixture, csvRows, startApiFixture } from '../helpers/api.js';

/**
 * The status page in a real browser: Debian's Chromium driven by playwright-core. Chromium must
 * start — .ci/run installs it when /usr/bin/chromium is missing — and if it cannot, this fails.
 */
const CHROMIUM = process.env.SLUICE_TEST_CHROMIUM ?? '/usr/bin/chromium';
const EVIL = '<img src=x onerror=window.__pwned=1>.csv';

describe('status page in headless Chromium', () => {
  let fx: ApiFixture;
  let server: ApiServer;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  before(async () => {
    fx = await startApiFixture();
    await fx.engine.ingest(await fx.file('sales.csv', csvRows(120)));
    await fx.engine.ingest(await fx.file(EVIL, 'id,note\n1,<script>window.__pwned=2</script>\n'));
    await fx.engine.ingest(await fx.file('broken.csv', Buffer.from([0, 1, 2, 3, 0, 0, 255, 254, 0, 7]).toString('latin1')));
    fx.engine.events.emit('breaker.changed', { name: 'postgres', state: 'open' });
    server = await startApiServer({ app: fx.service.app, port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage();
    page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    const response = await page.goto(`${server.url}/`);
    assert.equal(response?.status(), 200);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await fx?.close();
  });

  test('datasets with their rows and quality scores', async () => {
    assert.equal(await page.title(), 'Sluice status');
    const sales = page.locator('[data-testid=datasets] tr[data-dataset="sales"]');
    assert.equal(await sales.locator('[data-field=rows]').innerText(), '120');
    assert.match(await sales.locator('[data-field=score]').innerText(), /^(0|1)\.\d{3}$/);
  });

  test('recent loads newest first, with statuses; user-given names shown as text, never run', async () => {
    const rows = page.locator('[data-testid=recent-loads] tbody tr');
    assert.equal(await rows.count(), 3);
    const text = await page.locator('[data-testid=recent-loads]').innerText();
    assert.ok(text.includes(EVIL), 'the file name appears as written');
    assert.match(await rows.nth(0).innerText(), /broken\.csv\s+broken\s+failed/);
    assert.match(await rows.nth(2).innerText(), /sales\.csv\s+sales\s+loaded\s+120/);
    assert.equal(await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned), undefined);
    assert.equal(await page.locator('img').count(), 0);
    assert.deepEqual(consoleErrors, []);
  });

  test('dependency health, breakers, throughput and engine state', async () => {
    assert.equal(await page.locator('[data-testid=health]').innerText(), 'degraded', 'an open breaker degrades the service');
    assert.equal(await page.locator('[data-testid=engine-state]').innerText(), 'idle');
    assert.match(await page.locator('[data-testid=dependencies] tr[data-dependency=postgres]').innerText(), /postgres\s+up/);
    assert.match(await page.locator('[data-testid=dependencies] tr[data-dependency=redis]').innerText(), /not_configured/);
    assert.match(await page.locator('[data-testid=breakers] tr[data-breaker=postgres]').innerText(), /postgres\s+open/);
    assert.equal(await page.locator('[data-figure=last-minute]').innerText(), '3 files, 121 rows');
  });

  test('it refreshes itself', async () => {
    assert.equal(await page.locator('meta[http-equiv=refresh]').getAttribute('content'), '5');
  });
});
