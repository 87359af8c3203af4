/**
 * Store upkeep the daemon and the `retention` command run: monthly usage-event partitions
 * (created ahead, dropped whole when old) and the "most active bots" ranking refresh.
 * Faces import this, never core/db/*.
 */
export { applyRetention, ensureUsagePartitions, type RetentionResult } from './db/retention.js';
export { refreshBotRanking, RANKING_MAX_AGE_MS, RANKING_WINDOW_HOURS } from './db/ranking.js';
