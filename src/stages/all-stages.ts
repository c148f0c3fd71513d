/**
 * Imports every stage module (each registers its spec with registerStage) and every load
 * finisher (registerFinisher): the worker entry and the loader import this once.
 */
import './transform/transform-stage.js';
import './conform/conform-stage.js';
import './validate/validate-stage.js';
import './validate/load-rules.js';
import './profile/profile-stage.js';
import './detect/detect-stage.js';
// After validation: it reads the validation finisher's rule outcomes.
import './quality-finish.js';
// After the stages' finishers: the schema the load leaves (src/datasets/schema-versions.ts).
import '../datasets/schema-versions.js';
// After quality and before the history: the series pass's gaps and imputed points are load metrics.
import '../timeseries/timeseries-finish.js';
// After quality: the history compares the scores too, and alerts read both.
import './history/history-finish.js';
import './history/alerts-finish.js';
