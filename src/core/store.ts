/**
 * What a face (CLI, TUI, daemon, SDK) needs to open and keep the status store: the store
 * itself, the schema checks, the NOTIFY channels to LISTEN on and the classifier of store
 * failures. Faces import this, core/views.ts (reads) and the small service modules —
 * upkeep.ts, liveness.ts, drills.ts, ingest.ts — never core/db/* directly.
 */
export { openStore, type Store } from './db/store.js';
export type { PoolOptions } from './db/pool.js';
export { migrate, assertSchemaCompatible } from './db/migrate.js';
export { newClient, describeHosts } from './db/hosts.js';
export { asStoreError, classifyPgError, toStoreError } from './db/errors.js';
export { STATE_CHANNEL, EVENTS_CHANNEL, TRADING_STATE_CHANNEL } from './db/channels.js';
export { describeOutage, type OutageDescription } from './outage.js';
