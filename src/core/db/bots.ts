/** The bots table: naming and finding bots (their proof comes from db/proof.ts). */
import type pg from 'pg';

export interface BotMatch {
  bot_id: string;
  name: string | null;
}

/**
 * Type-to-search for bot selectors: name contains `query` (case-insensitive) or id starts with it.
 * LIKE metacharacters in the query are escaped; at most 10, most recently seen first.
 */
export async function searchBots(pool: pg.Pool, query: string, limit = 10): Promise<BotMatch[]> {
  const q = query.trim();
  if (!q) return [];
  const like = q.replace(/[\\%_]/g, (c) => `\\${c}`);
  const { rows } = await pool.query<{ id: string; name: string | null }>(
    `select id, name from bots
      where name ilike '%' || $1 || '%' or id::text like $2 || '%'
      order by last_seen_at desc, id limit $3`,
    [like, like.toLowerCase(), limit],
  );
  return rows.map((r) => ({ bot_id: r.id, name: r.name }));
}
