import { z } from 'zod';

/**
 * The profile stage's options (StageSpec.options): validated on the main thread when a file's plan is made (stage-plan.ts); the stage module loads
 * this only then, so a worker, which runs the options it is sent, never imports zod.
 */

export const profileOptions = z.strictObject({
  columns: z.array(z.string()).optional().describe('columns to profile; default all (dropped columns are never profiled)'),
  origins: z.record(z.string(), z.number().finite()).default({})
    .describe('per column, a value subtracted before sketching (days for dates, ms for timestamps): the sample\'s median keeps quantile errors relative to the data\'s spread; default 0'),
});
export type ProfileOptions = z.output<typeof profileOptions>;
