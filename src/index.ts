export { createEngine, Engine, type EngineEvents, type IngestOptions } from './engine.js';
export type { EngineOptions, ResolvedOptions } from './config.js';
export { SluiceError, type SluiceErrorCode } from './errors.js';
export type { FileSummary, SummaryColumn } from './summary.js';
export { PipelineEvents, type PipelineEvent, type PipelineEventMap, type PipelineEventType } from './events/pipeline-events.js';
export type { Lineage, LineageOptions } from './lineage/attach-lineage.js';
export type { RunEvent } from './lineage/run-event.js';
export type { CatalogEntry } from './catalog/metadata-store.js';
