/** The reference paper/shadow bot (src/runner): module API used by `observatory bot run` and tests. */
export { runReferenceBot, normalizeOptions, botIdForName, DEFAULTS, type BotRunOptions, type NormalizedOptions, type RunnerDeps, type RunSummary, type StepRecord } from './bot.js';
export { computeFeatures, signalOf, FEATURE_NAMES, type Bar, type Features } from './features.js';
export { checkOrder, Book, RISK_FEATURES } from './risk.js';
export { VendorError } from '../core/vendors/http.js';
