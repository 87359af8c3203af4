/**
 * An integration's status history from integration_probes: only the probes where something
 * changes (status, maintenance, a gap longer than the staleness bound) and the last one, so a
 * week of 10-second probes reads as a few rows. Served by integration_probes_integration_idx.
 */
import type pg from 'pg';

/** Status as history counts it: a probe in a maintenance window is its own key, excluded from uptime. */
export type HistoryKey = 'OK' | 'DEGRADED' | 'BLOCKED' | 'MAINTENANCE';

export interface BoundaryProbe {
  at: Date;
  key: HistoryKey;
  reason_code: string | null;
  trace_id: string;
  /** the probe before this one (null for the first read) */
  prev_at: Date | null;
}

/**
 * A probe reads as MAINTENANCE when its status or its reason says so (the MAINTENANCE status
 * and reason of the scheduled-window rule); one place, so history and uptime agree.
 */
export const MAINTENANCE_KEY_SQL = `case when status = 'MAINTENANCE' or reason_code = 'MAINTENANCE' then 'MAINTENANCE' else status end`;

/**
 * Boundary probes of `integration` from the last probe before `since` (the status in force at
 * the window's start) to now, oldest first; `staleMs` marks gaps.
 */
export async function boundaryProbes(db: pg.Pool, integration: string, since: Date, staleMs: number): Promise<{ rows: BoundaryProbe[]; now: Date }> {
  const { rows } = await db.query<BoundaryProbe & { db_now: Date; next_at: Date | null; prev_key: string | null }>(
    `with start as (
       select coalesce((select max(probed_at) from integration_probes where integration = $1 and probed_at < $2), $2::timestamptz) as t0
     ), p as (
       select probed_at as at, ${MAINTENANCE_KEY_SQL} as key, reason_code, trace_id,
              lag(${MAINTENANCE_KEY_SQL}) over o as prev_key, lag(probed_at) over o as prev_at, lead(probed_at) over o as next_at
         from integration_probes, start
        where integration = $1 and probed_at >= start.t0
       window o as (order by probed_at, id)
     )
     select p.*, clock_timestamp() as db_now from (select 1) one
       left join p on p.prev_key is null or p.key <> p.prev_key or p.at - p.prev_at > make_interval(secs => $3::float8 / 1000) or p.next_at is null
      order by p.at`,
    [integration, since, staleMs],
  );
  const now = rows[0].db_now;
  return {
    now,
    rows: rows.filter((r) => r.at !== null).map((r) => ({ at: r.at, key: r.key, reason_code: r.reason_code, trace_id: r.trace_id, prev_at: r.prev_at })),
  };
}

/** The worst status per bucket of the last `windowMs`, for every integration (Panel A's sparkline). */
export async function statusBuckets(db: pg.Pool, windowMs: number, buckets: number): Promise<Array<{ integration: string; bucket: number; key: HistoryKey }>> {
  const { rows } = await db.query(
    `select integration, bucket,
            (array['OK','DEGRADED','MAINTENANCE','BLOCKED'])[max(case key when 'OK' then 1 when 'DEGRADED' then 2 when 'MAINTENANCE' then 3 else 4 end)] as key
       from (select integration, ${MAINTENANCE_KEY_SQL} as key,
                    least($2::int - 1, floor(extract(epoch from (probed_at - (clock_timestamp() - make_interval(secs => $1::float8 / 1000)))) * 1000 / ($1::float8 / $2))::int) as bucket
               from integration_probes
              where probed_at > clock_timestamp() - make_interval(secs => $1::float8 / 1000)) b
      where bucket >= 0
      group by 1, 2`,
    [windowMs, buckets],
  );
  return rows as Array<{ integration: string; bucket: number; key: HistoryKey }>;
}
