import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Hono } from 'hono';
import { ApiError, apiError } from '../../src/api/api-error.js';
import { requireToken } from '../../src/api/require-token.js';

function app(token: string | undefined): Hono {
  const hono = new Hono();
  hono.onError((error, c) => error instanceof ApiError ? apiError(c, error.status, error.code, error.message) : apiError(c, 500, 'SLUICE_ERR_INTERNAL', error.message));
  hono.post('/mutate', requireToken(token), (c) => c.json({ ok: true }));
  hono.get('/missing', () => { throw new ApiError(404, 'SLUICE_ERR_NOT_FOUND', 'no such thing'); });
  return hono;
}

describe('api: bearer token', () => {
  test('401 without a header, 400 malformed, 401 wrong token, 200 right token', async () => {
    const hono = app('s3cret');
    const none = await hono.request('/mutate', { method: 'POST' });
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'SLUICE_ERR_UNAUTHORIZED');
    assert.equal((await hono.request('/mutate', { method: 'POST', headers: { authorization: 'Basic abc' } })).status, 400);
    assert.equal((await hono.request('/mutate', { method: 'POST', headers: { authorization: 'Bearer' } })).status, 400);
    assert.equal((await hono.request('/mutate', { method: 'POST', headers: { authorization: 'Bearer s3cre' } })).status, 401);
    assert.equal((await hono.request('/mutate', { method: 'POST', headers: { authorization: 'Bearer s3cret' } })).status, 200);
    assert.equal((await hono.request('/mutate', { method: 'POST', headers: { authorization: 'bearer s3cret' } })).status, 200);
  });

  test('without a configured token every caller may mutate (the server is then loopback-only)', async () => {
    assert.equal((await app(undefined).request('/mutate', { method: 'POST' })).status, 200);
  });

  test('ApiError becomes the JSON error shape with its status', async () => {
    const response = await app(undefined).request('/missing');
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), { error: { code: 'SLUICE_ERR_NOT_FOUND', message: 'no such thing' } });
  });
});
