/**
 * The most active bots (Panel B's list): a ranking table the leading daemon refreshes every few
 * seconds, read with live totals, so listing bots never sums every bot-hour on the read path.
 * Windows are hour-aligned, as in db/proof.ts.
 */
import type pg from 'pg';
import { iso, windowHours } from './proof.js';

export interface TopBot {
  bot_id: string;
  name: string | null;
  calls: number;
  ok: number;
  error: number;
  blocked: number;
  records: number;
  integrations: string[];
  last_at: string;
}

/** The window the ranking table serves, and how old a refresh may be before readers ignore it. */
export const RANKING_WINDOW_HOURS = 24;
export const RANKING_MAX_AGE_MS = 15_000;

/**
 * Recomputes the ranking for the default window from usage_bot_hours (the leading daemon runs
 * this every few seconds). One transaction: readers see the old ranking or the new, never half.
 */
export async function refreshBotRanking(pool: pg.Pool): Promise<{ bots: number }> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('delete from bot_activity_ranking where window_hours = $1', [RANKING_WINDOW_HOURS]);
    const res = await client.query(
      `insert into bot_activity_ranking (window_hours, since, bot_id, calls, last_at, refreshed_at)
       select $1, w.since, h.bot_id, sum(h.calls), max(h.last_at), now()
         from usage_bot_hours h,
              (select date_trunc('hour', now() - make_interval(hours => $1), 'UTC') as since) w
        where h.hour >= w.since
        group by w.since, h.bot_id`,
      [RANKING_WINDOW_HOURS],
    );
    await client.query('commit');
    return { bots: res.rowCount ?? 0 };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Candidate bot ids from the ranking table, or null when it is stale or for another window: its
 * top `limit`, plus the bots active since it was refreshed (their current hour, most calls
 * first), so a bot that just became active is never missing. The caller ranks the candidates by
 * live totals.
 */
async function rankedCandidates(pool: pg.Pool, hours: number, limit: number): Promise<string[] | null> {
  if (hours !== RANKING_WINDOW_HOURS) return null;
  const { rows } = await pool.query<{ bot_id: string; fresh: boolean; refreshed_at: Date }>(
    `select r.bot_id, r.refreshed_at,
            r.refreshed_at > now() - make_interval(secs => $3::float8 / 1000)
              and r.since = date_trunc('hour', now() - make_interval(hours => $1), 'UTC') as fresh
       from bot_activity_ranking r
      where r.window_hours = $1
      order by r.calls desc, r.last_at desc, r.bot_id
      limit $2`,
    [hours, limit, RANKING_MAX_AGE_MS],
  );
  if (rows.length === 0 || !rows[0].fresh) return null;
  const recent = await pool.query<{ bot_id: string }>(
    `select bot_id from usage_bot_hours
      where hour >= date_trunc('hour', $1::timestamptz, 'UTC') and last_at > $1
      order by calls desc, bot_id
      limit $2`,
    [rows[0].refreshed_at, limit],
  );
  return [...new Set([...rows.map((r) => r.bot_id), ...recent.rows.map((r) => r.bot_id)])];
}

/**
 * The most active bots in the window, by calls (bot-less events excluded). Candidates come from
 * the ranking table when it is fresh (≤ 15 s old, same hour window) plus the bots active since its
 * refresh, else from the live aggregation; the totals and the final order are always live.
 */
export async function topBots(pool: pg.Pool, opts: { sinceHours?: number; limit?: number } = {}): Promise<TopBot[]> {
  const limit = Math.max(1, Math.min(1000, Math.trunc(opts.limit ?? 10)));
  const hours = windowHours(opts.sinceHours);
  const ids = (await rankedCandidates(pool, hours, limit)) ?? (await liveTop(pool, hours, limit));
  return (await totalsFor(pool, ids, hours)).slice(0, limit);
}

/**
 * The live ranking: usage_bot_hours (migrations/002) holds one row per bot and hour, so this sums
 * ≤ bots × hours rows, reading only calls and last_at (int4 sums).
 */
async function liveTop(pool: pg.Pool, hours: number, limit: number): Promise<string[]> {
  const { rows } = await pool.query<{ bot_id: string }>(
    `select h.bot_id
       from usage_bot_hours h
      where h.hour >= date_trunc('hour', now() - make_interval(hours => $1), 'UTC')
      group by h.bot_id
      order by sum(h.calls) desc, max(h.last_at) desc, h.bot_id
      limit $2`,
    [hours, limit],
  );
  return rows.map((r) => r.bot_id);
}

/** Live totals, names and integrations for the given bots only (by primary key), most calls first. */
async function totalsFor(pool: pg.Pool, ids: string[], hours: number): Promise<TopBot[]> {
  if (ids.length === 0) return [];
  const { rows } = await pool.query(
    `with w as (select date_trunc('hour', now() - make_interval(hours => $1), 'UTC') as since)
     select t.bot_id, b.name, s.calls::float8 as calls, s.ok::float8 as ok, s.error::float8 as error,
            s.blocked::float8 as blocked, s.records::float8 as records, s.last_at, s.integrations
       from unnest($2::uuid[]) as t(bot_id)
       cross join w
       cross join lateral (
         select sum(h2.calls) as calls, sum(h2.ok) as ok, sum(h2.error) as error, sum(h2.blocked) as blocked,
                sum(h2.records) as records, max(h2.last_at) as last_at,
                array(select distinct x from usage_bot_hours h3, unnest(h3.integrations) x
                       where h3.bot_id = t.bot_id and h3.hour >= w.since order by x) as integrations
           from usage_bot_hours h2
          where h2.bot_id = t.bot_id and h2.hour >= w.since
       ) s
       left join bots b on b.id = t.bot_id
      where s.calls is not null
      order by s.calls desc, s.last_at desc, t.bot_id`,
    [hours, ids],
  );
  return rows.map((r) => ({
    bot_id: r.bot_id,
    name: r.name ?? null,
    calls: Number(r.calls),
    ok: Number(r.ok),
    error: Number(r.error),
    blocked: Number(r.blocked),
    records: Number(r.records),
    integrations: r.integrations,
    last_at: iso(r.last_at),
  }));
}
