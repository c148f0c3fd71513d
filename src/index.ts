export { createEngine, Engine, type EngineEvents, type IngestOptions } from './engine.js';
export type { EngineOptions, ResolvedOptions } from './config.js';
export { SluiceError, type SluiceErrorCode } from './errors.js';
export type { FileSummary, SummaryColumn } from './summary.js';
export { PipelineEvents, type PipelineEvent, type PipelineEventMap, type PipelineEventType } from './events/pipeline-events.js';
