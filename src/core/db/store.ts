/**
 * Opens the status store: DATABASE_URL when configured, otherwise the embedded server
 * under OBSERVATORY_HOME (started only when the caller may start it, e.g. `up`, `migrate`).
 */
import type pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { EmbeddedHandle } from './embedded.js';
import { assertReachable, createPool, type PoolOptions } from './pool.js';
import { describeHosts } from './hosts.js';

export interface Store {
  pool: pg.Pool;
  url: string;
  embedded?: EmbeddedHandle;
  /** 'external' (DATABASE_URL) or 'embedded' — and where, for humans; never credentials */
  describe: string;
  close(opts?: { stopEmbedded?: boolean }): Promise<void>;
}

/**
 * `checked: false`: no `select 1` first — for a caller whose own first query reports an
 * unreachable store just as well (openReadStore's schema check); one round trip less.
 */
export async function openStore(config: Config, log: Logger, opts: { start?: boolean; pool?: PoolOptions; checked?: boolean } = {}): Promise<Store> {
  let url = config.databaseUrl;
  let embedded: EmbeddedHandle | undefined;
  if (!url) {
    // loaded only here: with DATABASE_URL (deploy scripts' `gate check`) the embedded server's code is not needed
    const { ensureEmbedded } = await import('./embedded.js');
    embedded = await ensureEmbedded(config.home, log, { start: opts.start ?? false });
    url = embedded.url;
  }
  const pool = createPool(url, { log, ...opts.pool });
  try {
    if (opts.checked !== false) await assertReachable(pool, url);
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (embedded?.owned) await embedded.stop();
    throw err;
  }
  let closed = false;
  const where = describeHosts(url);
  return {
    pool,
    url,
    embedded,
    describe: embedded ? `embedded ${where} (${embedded.dataDir})` : `external ${where}`,
    async close({ stopEmbedded = true } = {}) {
      if (closed) return;
      closed = true;
      await pool.end().catch(() => undefined);
      if (stopEmbedded && embedded?.owned) await embedded.stop();
    },
  };
}
