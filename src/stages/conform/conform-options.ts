import { z } from 'zod';

/**
 * The conform stage's options (StageSpec.options): validated on the main thread when a file's plan is made (stage-plan.ts); the stage module loads
 * this only then, so a worker, which runs the options it is sent, never imports zod.
 */

export const conformOptions = z.strictObject({
  dataset: z.string().describe('the dataset whose schema is frozen (for the reject detail)'),
  columns: z.array(z.string()).min(1).describe('the file\'s columns the frozen table does not have'),
});

export type ConformOptions = z.output<typeof conformOptions>;
