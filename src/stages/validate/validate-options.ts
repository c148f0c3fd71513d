import { z } from 'zod';
import type { RuleConfig } from '../../configuration/config-schema.js';

/**
 * The validate stage's options (StageSpec.options): validated on the main thread when a file's plan is made (stage-plan.ts); the stage module loads
 * this only then, so a worker, which runs the options it is sent, never imports zod.
 */

const isRule = (value: unknown): value is RuleConfig => typeof value === 'object' && value !== null
  && typeof (value as { name?: unknown }).name === 'string' && typeof (value as { kind?: unknown }).kind === 'string'
  && ((value as { severity?: unknown }).severity === 'error' || (value as { severity?: unknown }).severity === 'warn');

export const validateOptions = z.strictObject({
  rules: z.array(z.custom<RuleConfig>(isRule, 'a rule as the configuration validated it (name, kind, severity)'))
    .default([]).describe('the dataset\'s rules, validated by the configuration schema; the row rules run here, unique, freshness and rows when the load completes'),
});

export type ValidateOptions = z.output<typeof validateOptions>;
