export { createEngine, Engine, type EngineEvents, type IngestOptions } from './engine.js';
export type { EngineOptions, ResolvedOptions } from './config.js';
export { SluiceError, type SluiceErrorCode } from './errors.js';
export type { FileSummary, HistorySummary, MetricAnomaly, SummaryAlert, SummaryColumn } from './summary.js';
export { RecentAlerts } from './events/recent-alerts.js';
export { QUALITY_ALERT_VERSION, type QualityAlert } from './stages/history/quality-alerts.js';
export { PipelineEvents, type PipelineEvent, type PipelineEventMap, type PipelineEventType } from './events/pipeline-events.js';
