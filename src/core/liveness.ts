/**
 * Liveness records: a daemon's heartbeat (and its clean stop), and a cron probe round's, which
 * counts as a live prober too. Readers judge them in views.readDaemonInfo. Faces import this,
 * never core/db/*.
 */
export { markStopped, writeHeartbeat } from './db/heartbeats.js';
