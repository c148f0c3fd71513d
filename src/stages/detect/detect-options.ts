import { z } from 'zod';

/**
 * The detect stage's options (StageSpec.options): validated on the main thread when a file's plan is made (stage-plan.ts); the stage module loads
 * this only then, so a worker, which runs the options it is sent, never imports zod.
 */

const numericBaseline = z.strictObject({
  column: z.string(),
  sample: z.number().int().nonnegative(),
  median: z.number(),
  mad: z.number().nonnegative(),
  floor: z.number().nonnegative(),
  scale: z.number().nonnegative(),
  q1: z.number(),
  q3: z.number(),
  iqrWidth: z.number().nonnegative(),
});
export type NumericBaseline = z.output<typeof numericBaseline>;

const categoryBaseline = z.strictObject({
  column: z.string(),
  sample: z.number().int().positive(),
  /** Sampled values and their shares of the sample, in the same order. */
  values: z.array(z.string()),
  shares: z.array(z.number().min(0).max(1)),
  rareShare: z.number().min(0).max(1),
});
export type CategoryBaseline = z.output<typeof categoryBaseline>;

export const detectOptions = z.strictObject({
  threshold: z.number().positive().default(3.5).describe('robust z-score above which a numeric value is anomalous (config anomalies.threshold)'),
  iqr: z.number().positive().optional().describe('k of the IQR fences Q1 − k·IQR, Q3 + k·IQR (config anomalies.iqr); default off'),
  numeric: z.array(numericBaseline).default([]).describe('per numeric column, the sample\'s median, MAD, scale and quartiles (detect-baseline.ts)'),
  categories: z.array(categoryBaseline).default([]).describe('per low-cardinality text column, the sample\'s values and shares (detect-baseline.ts)'),
});
export type DetectOptions = z.output<typeof detectOptions>;
