import type { z } from 'zod';

/**
 * Turns zod's issues into lines a user can act on: the key's path as they would write it
 * (`datasets.orders.rules[2].range.min`), what was expected and what the file has, and the line
 * when the file's text is known. The received type comes from the input itself, so the message
 * does not depend on how zod words its own.
 */

type Path = readonly PropertyKey[];

export function formatPath(path: Path): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) text += text === '' ? key : `.${key}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text === '' ? '(top level)' : text;
}

function valueAt(root: unknown, path: Path): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key as string];
  }
  return value;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value === undefined) return 'nothing';
  return typeof value;
}

export interface ConfigProblem {
  path: string;
  message: string;
  /** 1-based line in the file, when the file's text is known. */
  line?: number;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown, base: Path): ConfigProblem[] {
  const path = [...base, ...issue.path];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: formatPath([...path, key]), message: 'unknown key' }));
    case 'invalid_type':
      return [{ path: formatPath(path), message: `expected ${issue.expected}, got ${kindOf(valueAt(input, path))}` }];
    case 'invalid_value':
      return [{ path: formatPath(path), message: `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${JSON.stringify(valueAt(input, path)) ?? 'nothing'}` }];
    case 'invalid_union': {
      // A branch that got past its type check says what is wrong inside; else list the types tried.
      const inner = issue.errors.find((branch) => branch.some((i) => i.path.length > 0 || i.code === 'custom'));
      if (inner !== undefined) return inner.flatMap((i) => describeIssue(i, input, path));
      const expected = [...new Set(issue.errors.flat().flatMap((i) => (i.code === 'invalid_type' ? [i.expected] : i.code === 'invalid_value' ? i.values.map((v) => JSON.stringify(v)) : [])))];
      return [{ path: formatPath(path), message: `expected ${expected.join(' or ')}, got ${kindOf(valueAt(input, path))}` }];
    }
    default:
      return [{ path: formatPath(path), message: issue.message.replace(/^Too (small|big): /, '') }];
  }
}

/** One problem per bad key, with its line when `locate` can find it. */
export function configProblems(error: z.ZodError, input: unknown, locate?: (path: Path) => number | undefined): ConfigProblem[] {
  return error.issues.flatMap((issue) => describeIssue(issue, input, []).map((problem) => {
    const line = locate?.(issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path);
    return line === undefined ? problem : { ...problem, line };
  }));
}
