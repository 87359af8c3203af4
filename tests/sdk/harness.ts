/**
 * Shared by the SDK tests: a fresh database per file, temp dirs removed after the file, a
 * quiet or capturing logger, and a TCP relay in front of Postgres that the test stops (every
 * connection cut, port refused) and restarts on the same port — outages are real.
 */
import { afterAll, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { freshDatabase, type TestDb } from '../helpers/db.js';
import { createUsageRecorder, type UsageRecorder } from '../../src/sdk/index.js';
import { createLogger } from '../../src/core/log.js';

export const quiet = createLogger('silent');

export const bars = { integration: 'databento', operation: 'marketdata.bars', symbol: 'ESZ5', timeframe: '1m' };

/** Captures log lines (JSON) to assert what was logged loudly. */
export function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _e, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: createLogger('info', {}, sink), lines };
}

import { Relay } from '../helpers/relay.js';
export { Relay };

export interface SdkHarness {
  readonly db: TestDb;
  /** a temp dir, removed after the file */
  tmp(): string;
  /** a recorder on the file's database with its own spool, quiet, without process hooks */
  recorder(extra?: Parameters<typeof createUsageRecorder>[0]): UsageRecorder;
  /** how many of these event ids are stored (and how many distinct) */
  stored(ids: string[]): Promise<{ total: number; distinct: number }>;
  relayPool(): Promise<{ relay: Relay; pool: pg.Pool }>;
}

/** Call at module level: registers the file's database and temp-dir cleanup. */
export function sdkHarness(): SdkHarness {
  let db: TestDb | undefined;
  const dirs: string[] = [];
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const h: SdkHarness = {
    get db() {
      if (!db) throw new Error('sdkHarness: the database is made in beforeAll');
      return db;
    },
    tmp() {
      const d = mkdtempSync(join(tmpdir(), 'obs-usage-'));
      dirs.push(d);
      return d;
    },
    recorder(extra = {}) {
      return createUsageRecorder({ pool: h.db.pool, spoolPath: join(h.tmp(), 'usage-1-1.jsonl'), log: quiet, exitHooks: false, ...extra });
    },
    async stored(ids) {
      const { rows } = await h.db.pool.query(
        'select count(*)::int as total, count(distinct id)::int as distinct from integration_usage_events where id = any($1::uuid[])',
        [ids],
      );
      return rows[0];
    },
    async relayPool() {
      const u = new URL(h.db.url);
      const relay = new Relay({ host: u.hostname, port: Number(u.port || 5432) });
      await relay.start();
      const pool = new pg.Pool({ connectionString: relay.url(h.db.url), max: 2, connectionTimeoutMillis: 2_000 });
      pool.on('error', () => undefined);
      return { relay, pool };
    },
  };
  return h;
}
