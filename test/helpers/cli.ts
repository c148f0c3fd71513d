import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Runs the built CLI (`node dist/src/cli.js …`) from the project root, as a user would. */
export const run = promisify(execFile);
export const ROOT = new URL('../../../', import.meta.url).pathname;
export const CLI = join(ROOT, 'dist/src/cli.js');

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

export async function sluice(args: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env, cwd: ROOT, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
