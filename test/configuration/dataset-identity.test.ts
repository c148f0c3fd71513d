import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { datasetIdentity, matchDataset } from '../../src/configuration/dataset-identity.js';
import { validateConfig } from '../../src/configuration/read-config.js';

const config = validateConfig({
  datasets: {
    orders: { match: ['inbox/orders/**/*.csv', '**/orders_*.csv'], rules: [{ column: 'id', not_null: true }] },
    exports: { match: '/srv/exports/*.csv' },
    everything_csv: { match: '**/*.csv' },
    sales: { rules: [{ column: 'amount', range: { min: 0 } }] },
  },
});

describe('dataset identity', () => {
  test('a relative glob matches the path as given', () => {
    assert.equal(matchDataset(config, 'inbox/orders/2024/01/a.csv', '/anywhere'), 'orders');
    assert.equal(matchDataset(config, './inbox/orders/a.csv', '/anywhere'), 'orders');
  });

  test('a path with .. is matched once resolved', () => {
    assert.equal(matchDataset({ datasets: { t: { match: ['/work/in/*.tsv'] } } }, 'in/x.tsv', '/work'), 't');
    assert.equal(matchDataset({ datasets: { t: { match: ['/work/in/*.tsv'] } } }, '../in/x.tsv', '/work/sub'), 't');
  });

  test('an absolute glob matches an absolute path, and a relative one made absolute', () => {
    assert.equal(matchDataset(config, '/srv/exports/day.csv', '/'), 'exports');
    assert.equal(matchDataset(config, 'exports/day.csv', '/srv'), 'exports');
  });

  test('** matches at any depth, from the root too', () => {
    assert.equal(matchDataset(config, 'orders_2024.csv', '/tmp'), 'orders');
    assert.equal(matchDataset(config, '/var/spool/deep/er/orders_7.csv', '/'), 'orders');
  });

  test('the first dataset whose globs match wins, in the order the file lists them', () => {
    // orders_1.csv also matches everything_csv, which comes later.
    assert.equal(matchDataset(config, '/data/orders_1.csv', '/'), 'orders');
    assert.equal(matchDataset(config, '/data/customers.csv', '/'), 'everything_csv');
    assert.equal(matchDataset(config, '/data/customers.tsv', '/'), null);
  });

  test('a URL is matched as written', () => {
    assert.equal(matchDataset({ datasets: { remote: { match: ['https://example.org/**/*.csv'] } } }, 'https://example.org/exports/a.csv'), 'remote');
  });

  test('--dataset wins over match, and is normalised', () => {
    const identity = datasetIdentity(config, 'inbox/orders/a.csv', 'a.csv', 'Sales');
    assert.deepEqual([identity.name, identity.by], ['sales', 'request']);
    assert.deepEqual(identity.config.rules?.map((r) => r.name), ['amount_range']);
  });

  test('a matched file carries its dataset\'s configuration', () => {
    const identity = datasetIdentity(config, 'inbox/orders/a.csv', 'a.csv', undefined, '/anywhere');
    assert.deepEqual([identity.name, identity.by], ['orders', 'match']);
    assert.deepEqual(identity.config.rules?.map((r) => r.name), ['id_not_null']);
  });

  test('no match: the file stem, with that dataset\'s configuration when it has one', () => {
    const sales = datasetIdentity(config, 'Sales.TSV', 'Sales.TSV', undefined, '/tmp');
    assert.deepEqual([sales.name, sales.by], ['sales', 'stem']);
    assert.deepEqual(sales.config.rules?.map((r) => r.name), ['amount_range']);
    const other = datasetIdentity(config, 'Other File.tsv', 'Other File.tsv', undefined, '/tmp');
    assert.deepEqual([other.name, other.by, other.config], ['other_file', 'stem', {}]);
  });
});
