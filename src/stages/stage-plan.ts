import { createHash } from 'node:crypto';
import { type ChunkStagesPlan, type StagePlan, stageSpecs } from './chunk-stages.js';
import type { StageLoad } from './stage.js';

/**
 * The stage part of a file's encode plan, decided once on the main thread: each registered stage
 * says whether it runs for this file and with what options (StageSpec.planFor). The key lets a
 * worker build the stages once per file and reuse them for every chunk.
 *
 * The options are validated against the stage's schema when the dataset has a configuration,
 * whose values they may carry. Without one they are built from the file alone by the stages' own
 * typed code, complete as planned (test/stages/stage-plan.test.ts holds them equal to their
 * parse): validating them would be what imports zod and the schemas into a load that has nothing
 * to validate (~60 ms, on the path to the first chunk).
 */
export function stagesPlanFor(fileId: number, load: StageLoad): Pick<ChunkStagesPlan, 'dataset' | 'stagesKey' | 'stages'> {
  const stages: StagePlan = {};
  // A dataset nothing in the configuration names has the empty configuration.
  const configured = load.datasetConfig !== undefined && Object.keys(load.datasetConfig).length > 0;
  for (const spec of stageSpecs()) {
    const options = spec.planFor?.(load);
    // Validated here, once per file: the workers build their stages from these options.
    if (options !== undefined) stages[spec.name] = configured ? spec.options.parse(options) : options;
  }
  const digest = createHash('sha1').update(JSON.stringify([load.columns, stages])).digest('hex').slice(0, 16);
  return { dataset: load.dataset, stagesKey: `${fileId}:${digest}`, stages };
}
