import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { ConfigInput, SluiceConfig } from './config-schema.js';

/**
 * read-config.js (with zod and yaml, ~100 ms to import) is loaded only when there is a
 * configuration to read: most runs have none, and every `sluice` process would pay for it at
 * start. Loaded synchronously (require of an ES module, Node ≥ 20.19), because a bad configuration
 * fails createEngine at once.
 */
const require = createRequire(import.meta.url);
function reader(): typeof import('./read-config.js') {
  return require('./read-config.js') as typeof import('./read-config.js');
}

/** Looked for in the working directory, in this order, when no file is named. */
export const DEFAULT_CONFIG_FILES = ['sluice.yaml', 'sluice.yml', 'sluice.json'] as const;

export interface ConfigLookup {
  /** `--config` or `createEngine({ config })`: a path, or a configuration already in memory. */
  config?: string | ConfigInput;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Which file the configuration comes from: the one named, else SLUICE_CONFIG, else ./sluice.{yaml,yml,json}; null for none. */
export function locateConfig({ config, env = process.env, cwd = process.cwd() }: ConfigLookup): string | null {
  if (typeof config === 'string') return resolve(cwd, config);
  if (env.SLUICE_CONFIG) return resolve(cwd, env.SLUICE_CONFIG);
  for (const name of DEFAULT_CONFIG_FILES) {
    const candidate = join(cwd, name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/**
 * The configuration a run uses, validated (SLUICE_ERR_CONFIG_INVALID naming the file, the key's
 * path and its line otherwise). Without any file, the empty configuration: every key has a default.
 */
export function loadConfiguration(lookup: ConfigLookup = {}): { config: SluiceConfig; source: string | null } {
  if (lookup.config !== undefined && typeof lookup.config !== 'string') return { config: reader().validateConfig(lookup.config), source: null };
  const source = locateConfig(lookup);
  // Without a file, the empty configuration (what validating {} gives; a test holds them equal).
  return { config: source === null ? { datasets: {} } : reader().readConfigFile(source), source };
}
