/**
 * Where a read came from. A host list may ask for a standby (target_session_attrs=prefer-standby,
 * standby, read-only); then views say so, with how far the standby's data lags behind the
 * primary's last commit it has replayed. A single host, or a primary, adds nothing (no query).
 */
import type pg from 'pg';
import { chooserOf } from './pool.js';

export interface ReadSource {
  standby: true;
  /** seconds since the last transaction replayed from the primary committed (null: none replayed yet) */
  data_age_seconds: number | null;
}

export async function readSource(pool: pg.Pool): Promise<ReadSource | undefined> {
  if (!chooserOf(pool)?.standby) return undefined;
  const { rows } = await pool.query<{ r: boolean; age: number | null }>(
    'select pg_is_in_recovery() as r, extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 as age',
  );
  if (!rows[0]?.r) return undefined;
  return { standby: true, data_age_seconds: rows[0].age === null ? null : Math.max(0, Math.round(rows[0].age * 10) / 10) };
}
