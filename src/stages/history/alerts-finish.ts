import { type FinishedLoad, type FinisherResult, registerFinisher } from '../load-finish.js';
import { alertsFor } from './quality-alerts.js';

/** The summary's `alerts`, in the completing transaction, after the history finisher (quality-alerts.ts). */
export async function finishAlerts(load: FinishedLoad): Promise<FinisherResult> {
  return { summary: { alerts: alertsFor({ rows: load.rows, rejected: load.rejected, quality: load.summary.quality, history: load.summary.history }, load.datasetConfig) } };
}

registerFinisher({ name: 'alerts', finish: finishAlerts });
