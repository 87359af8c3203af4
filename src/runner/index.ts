/** The reference paper/shadow bot (src/runner): module API used by `observatory bot run` and tests. */
export { runReferenceBot, type RunnerDeps, type RunSummary, type StepRecord } from './bot.js';
export { normalizeOptions, botIdForName, DEFAULTS, type BotRunOptions, type NormalizedOptions } from './options.js';
export { computeFeatures, signalOf, FEATURE_NAMES, type Bar, type Features } from './features.js';
export { checkOrder, Book, RISK_FEATURES } from './risk.js';
export { VendorError } from '../core/vendors/http.js';
