import { isAbsolute, normalize, resolve } from 'node:path';
import picomatch from 'picomatch';
import { datasetNameFor, normaliseIdentifier } from '../schema/identifiers.js';
import type { DatasetConfig, SluiceConfig } from './config-schema.js';

/**
 * Which dataset a file belongs to: the name the caller gave (`--dataset`), else the first dataset
 * in the configuration whose `match` globs match the path — as given or made absolute, so
 * `inbox/orders/*.csv` and `**\/orders_*.csv` both work from wherever the file was named — else the
 * file's stem (`Sales 2024.csv` → `sales_2024`).
 */

export interface DatasetIdentity {
  name: string;
  /** How the name was decided. */
  by: 'request' | 'match' | 'stem';
  /** The dataset's configuration (`{}` when the file names none). */
  config: DatasetConfig;
}

const matchers = new WeakMap<SluiceConfig, [string, (path: string) => boolean][]>();

function matchersOf(config: SluiceConfig): [string, (path: string) => boolean][] {
  let list = matchers.get(config);
  if (list === undefined) {
    list = Object.entries(config.datasets).filter(([, d]) => d.match !== undefined).map(([name, d]) => [name, picomatch(d.match!, { dot: true })]);
    matchers.set(config, list);
  }
  return list;
}

/** The dataset whose globs match `path` first (in the file's order of datasets), or null. */
export function matchDataset(config: SluiceConfig, path: string, cwd = process.cwd()): string | null {
  // A URL is matched as written; a local path also as absolute, without `./` and `//`.
  const remote = /^[a-z][a-z0-9+.-]*:\/\//i.test(path);
  const candidates = remote ? [path] : [normalize(path), isAbsolute(path) ? normalize(path) : resolve(cwd, path)];
  for (const [name, matches] of matchersOf(config)) {
    if (candidates.some((candidate) => matches(candidate))) return name;
  }
  return null;
}

/** `path` as the user named it; `localName` is the file name the stem is taken from (a spooled copy keeps it). */
export function datasetIdentity(config: SluiceConfig, path: string, localName: string, requested?: string, cwd?: string): DatasetIdentity {
  if (requested !== undefined) {
    const name = normaliseIdentifier(requested, 'dataset');
    return { name, by: 'request', config: config.datasets[name] ?? {} };
  }
  const matched = matchDataset(config, path, cwd);
  if (matched !== null) return { name: matched, by: 'match', config: config.datasets[matched] };
  const name = datasetNameFor(localName);
  return { name, by: 'stem', config: config.datasets[name] ?? {} };
}
