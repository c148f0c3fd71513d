import type { QualityAlert } from '../stages/history/quality-alerts.js';
import type { PipelineEvents } from './pipeline-events.js';

/**
 * The latest quality alerts of an engine, kept in memory for `/api/status` (and anything else that
 * wants "what went wrong lately" without Redis): every `quality.alert` on the bus, the newest
 * `capacity` of them, so a flood of alerts costs a fixed amount of memory.
 */
export class RecentAlerts {
  private readonly alerts: QualityAlert[] = [];
  private readonly unsubscribe: () => void;
  /** Alerts seen since the engine started, including those no longer kept. */
  total = 0;

  constructor(events: PipelineEvents, readonly capacity = 100) {
    this.unsubscribe = events.subscribe((event) => {
      if (event.type !== 'quality.alert') return;
      this.total++;
      this.alerts.push(event.data);
      if (this.alerts.length > this.capacity) this.alerts.shift();
    });
  }

  /** Newest first, at most `limit`. */
  list(limit = this.capacity): QualityAlert[] {
    return limit <= 0 ? [] : this.alerts.slice(-limit).reverse();
  }

  close(): void {
    this.unsubscribe();
  }
}
