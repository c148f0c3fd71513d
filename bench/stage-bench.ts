import { Bench } from 'tinybench';
import { median } from './support.js';

/** One tinybench run per round of named tasks, each doing `perRun` values; the median over rounds of the per-run p50, in ns per value. */
export async function nsPerValue(tasks: Record<string, { perRun: number; run: () => void }>, rounds: number): Promise<Array<{ task: string; nsPerValue: number }>> {
  const perRound: Record<string, number[]> = Object.fromEntries(Object.keys(tasks).map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    const bench = new Bench({ time: 400, iterations: 5, warmupTime: 100, warmupIterations: 2, throws: true });
    for (const [name, task] of Object.entries(tasks)) bench.add(name, task.run);
    await bench.run();
    for (const task of bench.tasks) perRound[task.name].push(((task.result!.latency.p50 ?? task.result!.latency.mean) * 1e6) / tasks[task.name].perRun);
  }
  return Object.entries(perRound).map(([task, ns]) => ({ task, nsPerValue: median(ns) }));
}
