import { z } from 'zod';
import type { TransformStepConfig } from '../../configuration/config-schema.js';
import { ColumnType, type ColumnTypeName } from '../../schema/column-type.js';

/**
 * The transform stage's options (StageSpec.options): validated on the main thread when a file's plan is made (stage-plan.ts); the stage module loads
 * this only then, so a worker, which runs the options it is sent, never imports zod.
 */

const TYPE_NAMES = Object.keys(ColumnType) as [ColumnTypeName, ...ColumnTypeName[]];

const isStep = (value: unknown): value is TransformStepConfig => typeof value === 'object' && value !== null && !Array.isArray(value)
  && ['column', 'derive', 'drop', 'rename'].some((k) => k in value);

export const transformOptions = z.strictObject({
  steps: z.array(z.custom<TransformStepConfig>(isStep, 'a transform step as the configuration validated it (column, derive, drop or rename)'))
    .default([]).describe('the dataset\'s transforms, validated by the configuration schema; default: none (nothing changes)'),
  types: z.record(z.string(), z.enum(TYPE_NAMES)).default({})
    .describe('final type of each column a step changes, by its name after the steps (planTransforms infers them from the sample); default: what the steps imply (booleans: bool, scale/offset: float), else text'),
});

export type TransformOptions = z.output<typeof transformOptions>;
