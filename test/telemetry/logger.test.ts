import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { createLogger } from '../../src/telemetry/logger.js';

function collect(stream: PassThrough): () => string[] {
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return () => chunks.join('').split('\n').filter((l) => l !== '');
}

describe('logger', () => {
  test('JSON lines at the level asked for; lower levels dropped', async () => {
    const out = new PassThrough();
    const lines = collect(out);
    const log = await createLogger({ level: 'warn', destination: out, pretty: false });
    log.info('not shown');
    log.warn({ dependency: 'redis' }, 'redis unavailable');
    await new Promise((resolve) => setImmediate(resolve));
    const written = lines().map((l) => JSON.parse(l) as { level: number; msg: string; dependency: string });
    assert.equal(written.length, 1);
    assert.equal(written[0].msg, 'redis unavailable');
    assert.equal(written[0].level, 40);
    assert.equal(written[0].dependency, 'redis');
  });

  test('SLUICE_LOG_LEVEL sets the default level; an unknown level is a configuration error', async () => {
    const before = process.env.SLUICE_LOG_LEVEL;
    try {
      process.env.SLUICE_LOG_LEVEL = 'debug';
      assert.equal((await createLogger({ destination: new PassThrough(), pretty: false })).level, 'debug');
      process.env.SLUICE_LOG_LEVEL = 'loud';
      await assert.rejects(createLogger({ destination: new PassThrough() }), { code: 'SLUICE_ERR_CONFIG_INVALID' });
    } finally {
      if (before === undefined) delete process.env.SLUICE_LOG_LEVEL;
      else process.env.SLUICE_LOG_LEVEL = before;
    }
  });

  test('pretty lines are readable text, not JSON', async () => {
    const out = new PassThrough();
    const lines = collect(out);
    const log = await createLogger({ level: 'info', destination: out, pretty: true });
    log.info('hello there');
    await new Promise((resolve) => setImmediate(resolve));
    const text = lines().join('\n');
    assert.match(text, /INFO.*hello there/);
    assert.throws(() => JSON.parse(lines()[0]));
  });
});
