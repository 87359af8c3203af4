import pg from 'pg';
import { toStoreError } from './errors.js';
import { connectionOptions, type HostChooser } from './hosts.js';
import type { Logger } from '../log.js';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

// timestamps as ISO strings are decided in the query layer; bigint counts as numbers
pg.types.setTypeParser(20, (v) => Number(v));

export interface PoolOptions {
  max?: number;
  applicationName?: string;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** client-side bound on one query (pg `query_timeout`): fires when the network path freezes, which the server's statement_timeout cannot see */
  queryTimeoutMs?: number;
  log?: Logger;
}

/** The host chooser behind a multi-host pool (absent for one host): tells whether reads come from a standby. */
const choosers = new WeakMap<pg.Pool, HostChooser>();
export const chooserOf = (pool: pg.Pool): HostChooser | undefined => choosers.get(pool);

/** TCP keepalive probes start after this much idle time, so a dead peer is noticed even between queries. */
const KEEPALIVE_DELAY_MS = 5_000;

export function createPool(url: string, opts: PoolOptions = {}): pg.Pool {
  const applicationName = opts.applicationName ?? 'observatory';
  const connectTimeoutMs = opts.connectTimeoutMs ?? 5_000;
  const statementTimeoutMs = opts.statementTimeoutMs ?? 30_000;
  // a host list (libpq style) goes through a chooser that follows the primary across failovers
  const target = connectionOptions(url, { connectTimeoutMs, applicationName });
  const pool = new pg.Pool({
    ...target.config,
    ...(target.Client ? { Client: target.Client } : {}),
    max: opts.max ?? 5,
    application_name: applicationName,
    connectionTimeoutMillis: connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    // the server bounds a statement it is running; only the client can bound a silent path
    // (frozen after login, mid-result): a little over the statement timeout by default
    query_timeout: opts.queryTimeoutMs ?? statementTimeoutMs + 5_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
  });
  // an idle client dying (server restart) must not crash the process; the next query reports it
  pool.on('error', (err) => opts.log?.warn({ err: toStoreError(err, url) }, 'idle database connection lost'));
  if (target.chooser) choosers.set(pool, target.chooser);
  return pool;
}

/** Checks the pool can reach the server; throws a typed, sanitized StoreUnavailableError if not. */
export async function assertReachable(pool: pg.Pool, url: string): Promise<void> {
  try {
    await pool.query('select 1');
  } catch (err) {
    throw toStoreError(err, url);
  }
}

/** Runs fn in a transaction on one client. */
export async function withTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let failed: unknown;
  try {
    await client.query('begin');
    const out = await fn(client);
    await client.query('commit');
    return out;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    failed = err;
    throw err;
  } finally {
    // a failed transaction's connection is dropped, not pooled: it may be on a server that died or turned standby
    client.release(failed as Error | undefined);
  }
}
