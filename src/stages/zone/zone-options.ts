import { z } from 'zod';

/**
 * The zone stage's options (StageSpec.options): validated on the main thread when a file's plan is
 * made (stage-plan.ts); the stage module loads this only then, so a worker, which runs the options
 * it is sent, never imports zod.
 */

export const zoneOptions = z.strictObject({
  time: z.string().optional().describe('the configured time column (timeseries.time); absent: every timestamptz and date column'),
});

export type ZoneOptions = z.output<typeof zoneOptions>;
