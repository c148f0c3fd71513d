import { createHash } from 'node:crypto';
import { type ChunkStagesPlan, type StagePlan, stageSpecs } from './chunk-stages.js';
import type { StageLoad } from './stage.js';

/**
 * The stage part of a file's encode plan, decided once on the main thread: each registered stage
 * says whether it runs for this file and with what options (StageSpec.planFor). The key lets a
 * worker build the stages once per file and reuse them for every chunk.
 */
export function stagesPlanFor(fileId: number, load: StageLoad): Pick<ChunkStagesPlan, 'dataset' | 'stagesKey' | 'stages'> {
  const stages: StagePlan = {};
  for (const spec of stageSpecs()) {
    const options = spec.planFor?.(load);
    // Validated here, once per file: the workers build their stages from the parsed options.
    if (options !== undefined) stages[spec.name] = spec.options.parse(options);
  }
  const digest = createHash('sha1').update(JSON.stringify([load.columns, stages])).digest('hex').slice(0, 16);
  return { dataset: load.dataset, stagesKey: `${fileId}:${digest}`, stages };
}
