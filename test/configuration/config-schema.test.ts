import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { HISTORY_DEFAULTS } from '../../src/configuration/history-defaults.js';
import { validateConfig } from '../../src/configuration/read-config.js';

/** The example of ARCHITECTURE.md ("Configuration"), as a user would write it. */
const EXAMPLE = `
datasets:
  orders:
    match: ["inbox/orders/**/*.csv"]
    schema: { policy: evolve }
    columns:
      temperature_c: { from: ["Temp (°C)", "temp"], type: double precision, scale: 1, offset: 0 }
    transforms:
      - { column: name, trim: true, case: lower }
      - { column: active, booleans: { true: [yes, Y], false: [no, N] } }
      - { column: country, map: { UK: GB } }
      - { derive: total, expr: "price * qty" }
      - { drop: [internal_note] }
    rules:
      - { name: amount_positive, column: amount, range: { min: 0 } }
      - { name: email_format, column: email, regex: "^[^@]+@[^@]+$", severity: warn }
      - { name: status_known, column: status, in: [ok, late, lost] }
      - { name: id_present, column: id, not_null: true }
      - { name: id_unique, column: id, unique: true }
      - { name: ends_after_start, check: "end_at >= start_at" }
      - { name: fresh, column: ordered_at, freshness: 2d }
      - { name: enough_rows, rows: { min: 100, max: 10000000 } }
    quality: { weights: { completeness: 2 }, alert_below: 0.8 }
    anomalies: { columns: [amount], threshold: 6 }
    timeseries: { time: ts, keys: [sensor_id], interval: 1m, impute: { value: linear }, max_gap: 10m,
                  features: { windows: [5, 60] } }
`;

/** The configuration error's message for `input`, which must be refused. */
function refusal(input: unknown): string {
  try {
    validateConfig(input, 'test.yaml');
  } catch (error) {
    assert.equal((error as { code?: string }).code, 'SLUICE_ERR_CONFIG_INVALID');
    return (error as Error).message;
  }
  assert.fail('the configuration was accepted');
}

const withRule = (rule: unknown): unknown => ({ datasets: { orders: { rules: [{ column: 'a', not_null: true }, { column: 'b', not_null: true }, rule] } } });

describe('configuration schema', () => {
  test('the documented example is valid, with defaults filled and values normalised', () => {
    const config = validateConfig(parse(EXAMPLE));
    const orders = config.datasets.orders;
    assert.deepEqual(orders.match, ['inbox/orders/**/*.csv']);
    assert.equal(orders.columns?.temperature_c.type, 'double precision');
    assert.deepEqual(orders.transforms?.[1].booleans, { true: ['yes', 'Y'], false: ['no', 'N'] });
    assert.deepEqual(orders.rules?.map((r) => [r.name, r.kind, r.severity]), [
      ['amount_positive', 'range', 'error'], ['email_format', 'regex', 'warn'], ['status_known', 'in', 'error'], ['id_present', 'not_null', 'error'],
      ['id_unique', 'unique', 'error'], ['ends_after_start', 'check', 'error'], ['fresh', 'freshness', 'error'], ['enough_rows', 'rows', 'error'],
    ]);
    assert.equal(orders.rules?.[6].freshness, 2 * 86_400_000);
    assert.deepEqual(orders.rules?.[4].unique, { scope: 'table' });
    assert.equal(orders.timeseries?.interval, 60_000);
    assert.equal(orders.timeseries?.max_gap, 600_000);
    assert.deepEqual(orders.anomalies, { enabled: true, columns: ['amount'], threshold: 6 });
  });

  test('every key is optional: nothing, an empty object and an empty dataset are valid', () => {
    assert.deepEqual(validateConfig(undefined), { datasets: {} });
    assert.deepEqual(validateConfig({}), { datasets: {} });
    assert.deepEqual(validateConfig({ datasets: { sales: {} } }), { datasets: { sales: {} } });
  });

  test('an empty history section is the history defaults a dataset without one is loaded with', () => {
    assert.deepEqual(validateConfig({ datasets: { d: { history: {} } } }).datasets.d.history, HISTORY_DEFAULTS);
    assert.deepEqual(validateConfig({ datasets: { d: { history: { k: 4 } } } }).datasets.d.history, { ...HISTORY_DEFAULTS, k: 4 });
  });

  test('a rule without a name is named after its column and kind', () => {
    const config = validateConfig({ datasets: { d: { rules: [{ column: 'amount', range: { max: 5 } }, { rows: { min: 1 } }] } } });
    assert.deepEqual(config.datasets.d.rules?.map((r) => r.name), ['amount_range', 'rows']);
  });

  test('an unknown key is refused with its path, at any depth', () => {
    assert.match(refusal({ datasetz: {} }), /^test\.yaml: datasetz: unknown key$/);
    assert.match(refusal({ datasets: { orders: { mtach: ['*.csv'] } } }), /datasets\.orders\.mtach: unknown key/);
    assert.match(refusal(withRule({ column: 'c', range: { min: 0, maximum: 3 } })), /datasets\.orders\.rules\[2\]\.range\.maximum: unknown key/);
    assert.match(refusal({ datasets: { orders: { transforms: [{ column: 'x', trim: true, strip: true }] } } }), /datasets\.orders\.transforms\[0\]\.strip: unknown key/);
  });

  test('a wrong type names the path, what was expected and what was found', () => {
    assert.match(refusal(withRule({ column: 'c', range: { min: 'zero' } })), /datasets\.orders\.rules\[2\]\.range\.min: expected number, got string/);
    assert.match(refusal({ datasets: { orders: { rules: 'none' } } }), /datasets\.orders\.rules: expected array, got string/);
    assert.match(refusal({ datasets: { orders: { match: 7 } } }), /datasets\.orders\.match: expected string or array, got number/);
    assert.match(refusal({ datasets: { orders: { schema: { policy: 'loose' } } } }), /datasets\.orders\.schema\.policy: expected "evolve" or "freeze", got "loose"/);
    assert.match(refusal({ datasets: { orders: { columns: { t: { type: 'float4x' } } } } }), /datasets\.orders\.columns\.t\.type: unknown type "float4x"/);
    assert.match(refusal(withRule({ column: 'c', not_null: true, severity: 'fatal' })), /rules\[2\]\.severity: expected "error" or "warn", got "fatal"/);
  });

  test('a bad duration is refused', () => {
    assert.match(refusal(withRule({ column: 'ts', freshness: '2 days' })), /datasets\.orders\.rules\[2\]\.freshness: expected a duration/);
    assert.match(refusal(withRule({ column: 'ts', freshness: '10' })), /rules\[2\]\.freshness: expected a duration/);
    assert.match(refusal({ datasets: { s: { timeseries: { max_gap: '0s' } } } }), /datasets\.s\.timeseries\.max_gap: expected a duration/);
  });

  test('a regular expression that does not compile is refused', () => {
    assert.match(refusal(withRule({ column: 'email', regex: '([a-z' })), /datasets\.orders\.rules\[2\]\.regex: invalid regular expression/);
  });

  test('a rule has exactly one kind, and a value rule needs its column', () => {
    assert.match(refusal(withRule({ column: 'c', range: { min: 0 }, regex: '^x' })), /datasets\.orders\.rules\[2\]: a rule has exactly one kind, got range and regex/);
    assert.match(refusal(withRule({ column: 'c', severity: 'warn' })), /rules\[2\]: a rule needs one of range, regex/);
    assert.match(refusal(withRule({ range: { min: 0 } })), /rules\[2\]\.column: a range rule needs a column/);
    assert.match(refusal(withRule({ column: 'c', rows: { min: 1 } })), /rules\[2\]\.column: a rows rule counts/);
    assert.match(refusal(withRule({ column: 'c', range: {} })), /rules\[2\]\.range: needs min, max or both/);
    assert.match(refusal(withRule({ column: 'c', length: { min: 5, max: 2 } })), /rules\[2\]\.length\.min: min 5 is above max 2/);
    assert.match(refusal(withRule({ column: 'c', not_null: false })), /rules\[2\]\.not_null: expected true, got false/);
  });

  test('an expression that does not parse is refused with its column; its types wait for the file', () => {
    assert.match(refusal(withRule({ check: 'end_at >= ' })), /datasets\.orders\.rules\[2\]\.check: expression "end_at >= ", at column \d+/);
    assert.match(refusal({ datasets: { d: { transforms: [{ derive: 'total', expr: 'price * (qty' }] } } }), /datasets\.d\.transforms\[0\]\.expr: expression "price \* \(qty"/);
    // A comparison of text with a number parses; whether the columns allow it is for the stage.
    assert.equal(validateConfig(withRule({ check: "name > 3 or name = 'x'" }) as never).datasets.orders.rules?.[2].check, "name > 3 or name = 'x'");
  });

  test('rule names are unique within a dataset', () => {
    assert.match(refusal({ datasets: { d: { rules: [{ column: 'a', not_null: true }, { column: 'a', not_null: true }] } } }), /datasets\.d\.rules\[1\]\.name: rule name "a_not_null" is already used by rules\[0\]/);
  });

  test('a transform step is exactly one kind, with the options of its kind', () => {
    assert.match(refusal({ datasets: { d: { transforms: [{ drop: ['a'], derive: 'b', expr: '1' }] } } }), /transforms\[0\]: a step is one of column, derive, drop, rename, got derive and drop/);
    assert.match(refusal({ datasets: { d: { transforms: [{ derive: 'total', expr: 'a', trim: true }] } } }), /transforms\[0\]\.trim: trim belongs to a column step, not a derive step/);
    assert.match(refusal({ datasets: { d: { transforms: [{ derive: 'total' }] } } }), /transforms\[0\]\.expr: a derive step needs expr/);
    assert.match(refusal({ datasets: { d: { transforms: [{ column: 'x' }] } } }), /transforms\[0\]: a column step needs one of trim/);
    assert.match(refusal({ datasets: { d: { transforms: [{ column: 'x', case: 'title' }] } } }), /transforms\[0\]\.case: expected "lower" or "upper", got "title"/);
    assert.match(refusal({ datasets: { d: { transforms: [{ column: 'x', booleans: { true: ['y'], false: ['Y'] } }] } } }), /transforms\[0\]\.booleans: "Y" is both true and false/);
  });

  test('a transform option or a rule option of the wrong type names its path', () => {
    assert.match(refusal({ datasets: { d: { transforms: [{ column: 'x', scale: 'double' }] } } }), /datasets\.d\.transforms\[0\]\.scale: expected number, got string/);
    assert.match(refusal({ datasets: { d: { transforms: [{ column: 'x', null_tokens: 'NA' }] } } }), /datasets\.d\.transforms\[0\]\.null_tokens: expected array, got string/);
    assert.match(refusal({ datasets: { d: { transforms: [{ rename: { a: 7 } }] } } }), /datasets\.d\.transforms\[0\]\.rename\.a: expected string, got number/);
    assert.match(refusal(withRule({ column: 'c', in: 'ok' })), /datasets\.orders\.rules\[2\]\.in: expected array, got string/);
    assert.match(refusal(withRule({ column: 'c', unique: { scope: 'world' } })), /datasets\.orders\.rules\[2\]\.unique/);
  });

  test('a dataset name must already be a safe table name', () => {
    assert.match(refusal({ datasets: { 'Orders 2024': {} } }), /datasets\["Orders 2024"\]: a dataset name is a table name: .*"orders_2024"/);
  });

  test('every problem is listed, not only the first', () => {
    const message = refusal({ datasets: { a: { bogus: 1 }, b: { rules: [{ column: 'x', range: { min: 'no' } }] } } });
    assert.match(message, /datasets\.a\.bogus: unknown key/);
    assert.match(message, /datasets\.b\.rules\[0\]\.range\.min: expected number, got string/);
  });
});
