import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { SluiceError } from '../errors.js';
import { configProblems, type ConfigProblem } from './config-issues.js';
import { configSchema, type SluiceConfig } from './config-schema.js';

/** Problems listed in one error message; the rest are counted. */
const MAX_LISTED = 10;

function invalid(source: string, problems: readonly ConfigProblem[]): SluiceError {
  const lines = problems.slice(0, MAX_LISTED).map((p) => `${source}${p.line === undefined ? '' : ` line ${p.line}`}: ${p.path}: ${p.message}`);
  if (problems.length > MAX_LISTED) lines.push(`… and ${problems.length - MAX_LISTED} more`);
  return new SluiceError('SLUICE_ERR_CONFIG_INVALID', lines.join('\n'));
}

/**
 * Validates a configuration already in memory (`createEngine({ config: {...} })`, or a parsed
 * file). `source` names it in messages; `locate` maps a key's path to its line in the file.
 */
export function validateConfig(input: unknown, source = 'configuration', locate?: (path: readonly PropertyKey[]) => number | undefined): SluiceConfig {
  const parsed = configSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  // In the file's order, so the first line of the message is the first thing to fix.
  const problems = configProblems(parsed.error, input, locate).sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  throw invalid(source, problems);
}

/** The line of the node at `path` (or of its nearest ancestor present in the document). */
function yamlLocator(document: Document, counter: LineCounter): (path: readonly PropertyKey[]) => number | undefined {
  return (path) => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = document.getIn(path.slice(0, depth) as unknown[], true);
      // A key's own line reads better than its value's (a block value starts on the next line).
      const parent = depth > 0 ? document.getIn(path.slice(0, depth - 1) as unknown[], true) : undefined;
      if (isMap(parent)) {
        const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(path[depth - 1]));
        const range = pair !== undefined && isScalar(pair.key) ? pair.key.range : undefined;
        if (range) return counter.linePos(range[0]).line;
      }
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) return counter.linePos(range[0]).line;
    }
    return undefined;
  };
}

function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 0x0a) line++;
  return line;
}

/** Reads and validates a configuration file: `.json` as JSON, anything else as YAML (JSON is YAML too). */
export function readConfigFile(path: string): SluiceConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `cannot read the configuration file ${path}: ${(error as Error).message}`, { cause: error });
  }
  const counter = new LineCounter();
  // The YAML document also locates keys in a JSON file: JSON's syntax is a subset of YAML's.
  const document = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  let input: unknown;
  if (extname(path).toLowerCase() === '.json') {
    try {
      input = JSON.parse(text);
    } catch (error) {
      const message = (error as Error).message;
      const position = /at position (\d+)/.exec(message);
      const line = position !== null ? lineOfOffset(text, Number(position[1])) : /end of JSON input/.test(message) ? lineOfOffset(text, text.length) : undefined;
      throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `${path}${line === undefined ? '' : ` line ${line}`}: invalid JSON: ${message}`, { cause: error });
    }
  } else {
    const syntax = document.errors[0];
    if (syntax !== undefined) {
      const line = counter.linePos(syntax.pos[0]).line;
      throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `${path} line ${line}: invalid YAML: ${syntax.message.split('\n')[0]}`, { cause: syntax });
    }
    input = document.toJS({ maxAliasCount: 100 });
  }
  return validateConfig(input, path, document.errors.length === 0 ? yamlLocator(document, counter) : undefined);
}
