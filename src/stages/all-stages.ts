/**
 * Imports every stage module (each registers its spec with registerStage): the worker entry and
 * the loader import this once. The load finishers, which run on the main thread only, are in
 * all-finishers.ts, so a worker does not load the database modules they need.
 */
import './transform/transform-stage.js';
import './conform/conform-stage.js';
import './validate/validate-stage.js';
import './profile/profile-stage.js';
import './detect/detect-stage.js';
import './zone/zone-stage.js';
