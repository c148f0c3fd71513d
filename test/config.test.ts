import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveOptions } from '../src/config.js';

test('maxRowBytes is raised to the chunk size, so a long line is judged alike wherever it falls', () => {
  assert.equal(resolveOptions({ chunkSize: 8192, maxRowBytes: 1024 }, {}).maxRowBytes, 8192);
  assert.equal(resolveOptions({ chunkSize: 256, maxRowBytes: 1024 }, {}).maxRowBytes, 1024);
});

test('download options have defaults and are checked at the edge, naming the option', () => {
  const resolved = resolveOptions({}, {});
  assert.deepEqual([resolved.maxDownloadBytes, resolved.downloadTimeoutMs, resolved.downloadAttempts, resolved.downloadBackoffMs], [10 * 1024 ** 3, 30_000, 5, 500]);
  assert.throws(() => resolveOptions({ downloadAttempts: 0 }, {}), { code: 'SLUICE_ERR_CONFIG_INVALID', message: /downloadAttempts/ });
  assert.throws(() => resolveOptions({ maxDownloadBytes: 1.5 }, {}), { code: 'SLUICE_ERR_CONFIG_INVALID', message: /maxDownloadBytes/ });
});
