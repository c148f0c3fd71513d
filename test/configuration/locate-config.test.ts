import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfiguration, locateConfig } from '../../src/configuration/locate-config.js';
import { readConfigFile, validateConfig } from '../../src/configuration/read-config.js';

/** A configuration whose one dataset says where it came from. */
const yamlNamed = (name: string): string => `datasets:\n  ${name}:\n    match: "*.csv"\n`;

function refusal(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    assert.equal((error as { code?: string }).code, 'SLUICE_ERR_CONFIG_INVALID');
    return (error as Error).message;
  }
  assert.fail('the configuration was accepted');
}

test('without any file the configuration is what validating an empty one gives (read without loading the validator)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-noconfig-'));
  try {
    assert.deepEqual(loadConfiguration({ env: {}, cwd: dir }), { config: validateConfig({}), source: null });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

describe('configuration file: where it is read from', () => {
  let dir: string;
  let cwd: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-config-'));
    cwd = join(dir, 'cwd');
    await writeFile(join(dir, 'flag.yaml'), yamlNamed('from_flag'));
    await writeFile(join(dir, 'env.json'), JSON.stringify({ datasets: { from_env: { match: '*.csv' } } }));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function cwdWith(files: Record<string, string>): Promise<string> {
    const here = await mkdtemp(join(dir, 'cwd-'));
    for (const [name, text] of Object.entries(files)) await writeFile(join(here, name), text);
    return here;
  }

  const datasetsOf = (lookup: Parameters<typeof loadConfiguration>[0]): string[] => Object.keys(loadConfiguration(lookup).config.datasets);

  test('the --config file wins over SLUICE_CONFIG and the working directory', async () => {
    const here = await cwdWith({ 'sluice.yaml': yamlNamed('from_cwd') });
    assert.deepEqual(datasetsOf({ config: join(dir, 'flag.yaml'), env: { SLUICE_CONFIG: join(dir, 'env.json') }, cwd: here }), ['from_flag']);
  });

  test('SLUICE_CONFIG wins over the working directory, and is resolved from it when relative', async () => {
    const here = await cwdWith({ 'sluice.yaml': yamlNamed('from_cwd'), 'other.json': JSON.stringify({ datasets: { relative_env: {} } }) });
    assert.deepEqual(datasetsOf({ env: { SLUICE_CONFIG: join(dir, 'env.json') }, cwd: here }), ['from_env']);
    assert.deepEqual(datasetsOf({ env: { SLUICE_CONFIG: 'other.json' }, cwd: here }), ['relative_env']);
  });

  test('in the working directory: sluice.yaml, else sluice.yml, else sluice.json', async () => {
    const all = await cwdWith({ 'sluice.yaml': yamlNamed('yaml'), 'sluice.yml': yamlNamed('yml'), 'sluice.json': '{"datasets":{"json":{}}}' });
    assert.deepEqual(datasetsOf({ env: {}, cwd: all }), ['yaml']);
    const two = await cwdWith({ 'sluice.yml': yamlNamed('yml'), 'sluice.json': '{"datasets":{"json":{}}}' });
    assert.deepEqual(datasetsOf({ env: {}, cwd: two }), ['yml']);
    const json = await cwdWith({ 'sluice.json': '{"datasets":{"json":{}}}' });
    assert.deepEqual(datasetsOf({ env: {}, cwd: json }), ['json']);
    assert.equal(loadConfiguration({ env: {}, cwd: json }).source, join(json, 'sluice.json'));
  });

  test('no file anywhere is the empty configuration', async () => {
    const empty = await cwdWith({});
    assert.equal(locateConfig({ env: {}, cwd: empty }), null);
    assert.deepEqual(loadConfiguration({ env: {}, cwd: empty }), { config: { datasets: {} }, source: null });
  });

  test('a configuration given in memory is validated like a file', () => {
    assert.deepEqual(datasetsOf({ config: { datasets: { inline: {} } }, env: { SLUICE_CONFIG: join(dir, 'env.json') } }), ['inline']);
    assert.match(refusal(() => loadConfiguration({ config: { datasets: { inline: { bogus: true } } } as never })), /^configuration: datasets\.inline\.bogus: unknown key/);
  });

  test('a named file that does not exist is an error, not the empty configuration', () => {
    assert.match(refusal(() => loadConfiguration({ config: join(dir, 'missing.yaml'), env: {} })), /cannot read the configuration file .*missing\.yaml/);
    assert.match(refusal(() => loadConfiguration({ env: { SLUICE_CONFIG: join(dir, 'gone.json') }, cwd })), /cannot read the configuration file .*gone\.json/);
  });
});

describe('configuration file: errors name the file, the key and the line', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-config-errors-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  test('YAML: a wrong type deep in a rule gives the path and the line of its key', async () => {
    const path = await file('rules.yaml', [
      'datasets:',
      '  orders:',
      '    rules:',
      '      - { name: a, column: amount, range: { min: 0 } }',
      '      - { name: b, column: email, regex: "^.+@.+$" }',
      '      - name: c',
      '        column: amount',
      '        range:',
      '          min: "zero"',
      '',
    ].join('\n'));
    const message = refusal(() => readConfigFile(path));
    assert.equal(message, `${path} line 9: datasets.orders.rules[2].range.min: expected number, got string`);
  });

  test('YAML: an unknown key is named with its line', async () => {
    const path = await file('unknown.yml', 'datasets:\n  orders:\n    match: "*.csv"\n    anomalys: { threshold: 3 }\n');
    assert.equal(refusal(() => readConfigFile(path)), `${path} line 4: datasets.orders.anomalys: unknown key`);
  });

  test('YAML: a syntax error gives its line', async () => {
    const path = await file('broken.yaml', 'datasets:\n  orders:\n    match: [a.csv, b.csv\n    rules: []\n');
    assert.match(refusal(() => readConfigFile(path)), new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line \\d+: invalid YAML: `));
  });

  test('YAML: a key given twice is refused with its line', async () => {
    const path = await file('twice.yaml', 'datasets:\n  orders: {}\n  orders: {}\n');
    assert.match(refusal(() => readConfigFile(path)), /twice\.yaml line 3: invalid YAML: Map keys must be unique/);
  });

  test('JSON: a syntax error gives its line', async () => {
    const path = await file('broken.json', '{\n  "datasets": {\n    "orders": {\n      "match": "*.csv",\n    }\n  }\n}\n');
    assert.match(refusal(() => readConfigFile(path)), /broken\.json line 5: invalid JSON: /);
  });

  test('JSON: a schema error gives the path and its line', async () => {
    const path = await file('types.json', JSON.stringify({ datasets: { orders: { rules: [{ column: 'ts', freshness: 'soon' }] } } }, null, 2));
    assert.match(refusal(() => readConfigFile(path)), /types\.json line 7: datasets\.orders\.rules\[0\]\.freshness: expected a duration/);
  });

  test('an empty YAML file is the empty configuration', async () => {
    assert.deepEqual(readConfigFile(await file('empty.yaml', '# nothing yet\n')), { datasets: {} });
  });

  test('a YAML file of something other than a mapping is refused', async () => {
    const path = await file('list.yaml', '- a\n- b\n');
    assert.match(refusal(() => readConfigFile(path)), /list\.yaml line 1: \(top level\): expected object, got array/);
  });
});
