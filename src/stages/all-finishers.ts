/**
 * Imports every load finisher (each registers itself with registerFinisher), in the order they run
 * after a load's last chunk: the loader imports this once.
 */
import './validate/load-rules.js';
// After validation: it reads the validation finisher's rule outcomes.
import './quality-finish.js';
// After the stages' finishers: the schema the load leaves (src/datasets/schema-versions.ts).
import '../datasets/schema-versions.js';
// After quality and before the history: the series pass's gaps and imputed points are load metrics.
import '../timeseries/timeseries-finish.js';
// After quality: the history compares the scores too, and alerts read both.
import './history/history-finish.js';
import './history/alerts-finish.js';
