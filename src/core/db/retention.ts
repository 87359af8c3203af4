/**
 * Retention for usage events: whole monthly partitions older than the cut-off are detached
 * and dropped — never row deletes (the table is append-only). Rollups and sightings keep
 * their history. Rows that landed in the default partition are first given their own month's
 * partition (migrations/006), so they age out like every other row.
 */
import type pg from 'pg';
import { withTransaction } from './pool.js';

export interface PartitionInfo {
  name: string;
  from: string | null;
  to: string | null;
  is_default: boolean;
}

export async function usagePartitions(db: pg.Pool | pg.PoolClient): Promise<PartitionInfo[]> {
  const { rows } = await db.query<{ name: string; bound: string }>(
    `select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
       from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'integration_usage_events'::regclass
      order by c.relname`,
  );
  return rows.map((r) => {
    const m = /FROM \('([^']+)'\) TO \('([^']+)'\)/.exec(r.bound);
    return { name: r.name, from: m ? new Date(m[1]).toISOString() : null, to: m ? new Date(m[2]).toISOString() : null, is_default: r.bound === 'DEFAULT' };
  });
}

/** Creates the monthly partitions the upkeep keeps in hand (migrations/006: one month back, three ahead). */
export async function ensureUsagePartitions(pool: pg.Pool): Promise<void> {
  await pool.query('select observatory_ensure_usage_partitions()');
}

export interface RetentionResult {
  cutoff: string;
  dropped: string[];
  kept: number;
  dry_run: boolean;
}

/** Drops partitions whose whole range ends at or before now − keepMs. */
export async function applyRetention(pool: pg.Pool, keepMs: number, opts: { dryRun?: boolean } = {}): Promise<RetentionResult> {
  const cutoff = new Date(Date.now() - keepMs);
  if (!opts.dryRun) await pool.query('select observatory_rehome_default_rows()');
  const parts = await usagePartitions(pool);
  if (opts.dryRun) {
    // what a real run would rehome out of the default partition first
    const { rows } = await pool.query<{ name: string; to: Date }>(
      `select format('integration_usage_events_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM')) as name,
              ((m + interval '1 month')::timestamp at time zone 'UTC') as to
         from (select distinct date_trunc('month', created_at at time zone 'UTC')::date as m from integration_usage_events_default) d`,
    );
    for (const r of rows) if (!parts.some((p) => p.name === r.name)) parts.push({ name: r.name, from: null, to: r.to.toISOString(), is_default: false });
  }
  const old = parts.filter((p) => !p.is_default && p.to !== null && new Date(p.to) <= cutoff);
  if (!opts.dryRun) {
    for (const p of old) {
      await withTransaction(pool, async (c) => {
        const ident = c.escapeIdentifier(p.name); // a name from the catalog, quoted all the same
        await c.query(`alter table integration_usage_events detach partition ${ident}`);
        await c.query(`drop table ${ident}`);
      });
    }
  }
  return { cutoff: cutoff.toISOString(), dropped: old.map((p) => p.name), kept: parts.length - old.length, dry_run: Boolean(opts.dryRun) };
}
