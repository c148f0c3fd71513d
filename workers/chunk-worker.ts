/**
 * Worker-thread entry point for the piscina pool. It only routes: the logic lives in src/ and is
 * tested there without a pool. Tasks carry slot numbers and shared buffers, never row objects.
 */
import { type EncodeResult, type EncodeTask, runEncodeTask } from '../src/formats/csv/encode-task.js';
import { runSniffTask, type SniffTask, type SniffTaskResult } from '../src/formats/csv/sniff-task.js';

export function encode(task: EncodeTask): EncodeResult {
  return runEncodeTask(task);
}

export function sniff(task: SniffTask): SniffTaskResult {
  return runSniffTask(task);
}

export default encode;
