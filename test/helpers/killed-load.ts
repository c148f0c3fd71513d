import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FileSummary } from '../../src/summary.js';

/**
 * `sluice load` as a child process that a crash test kills (SIGKILL) at a point of its choosing
 * and then runs again: the steps those tests share.
 */

const CLI = new URL('../../src/cli.js', import.meta.url).pathname;

/** Starts `sluice load <args>` on the database, without the environment's SLUICE_CONFIG; stdout piped, stderr shown. */
export function startLoad(databaseUrl: string, args: readonly string[]): ChildProcess {
  const { SLUICE_CONFIG: _ignored, ...env } = process.env;
  return spawn(process.execPath, [CLI, 'load', ...args], { env: { ...env, DATABASE_URL: databaseUrl }, stdio: ['ignore', 'pipe', 'inherit'] });
}

/**
 * Kills the load once `reached` holds (polled) and waits for it to exit; then waits until
 * `backends` is back at `own`, since a killed client's last COMMIT may still be in flight in its
 * backend. False when the load ended before `reached` held (nothing was killed).
 */
export async function killWhen(child: ChildProcess, reached: () => Promise<boolean>, backends: () => Promise<number>, own: number): Promise<boolean> {
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let done = false;
  void exited.then(() => { done = true; });
  while (!done && !(await reached())) await sleep(2);
  if (done) return false;
  child.kill('SIGKILL');
  await exited;
  for (let waited = 0; waited < 400 && await backends() > own; waited++) await sleep(25);
  return true;
}

/** The exit code of a load run with `--json` and the summary it printed last. */
export async function loadOutcome(child: ChildProcess): Promise<{ code: number | null; summary: FileSummary }> {
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, summary: JSON.parse(stdout.trim().split('\n').pop()!) as FileSummary };
}
