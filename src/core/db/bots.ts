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

/**
 * The bots a reference names (`proof es-momentum`, `gate check --bot …`): the bot with this id
 * and the bot with exactly this name (names are unique, but a name may look like another bot's
 * id); with neither, bots whose name matches ignoring case. More than one = ambiguous.
 */
export async function botsNamed(pool: pg.Pool, ref: string): Promise<BotMatch[]> {
  const r = ref.trim();
  if (!r) return [];
  const exact = await pool.query<{ id: string; name: string | null }>(
    `select id, name from bots where id::text = lower($1) or name = $1 order by last_seen_at desc, id limit 10`,
    [r],
  );
  const rows = exact.rows.length
    ? exact.rows
    : (
        await pool.query<{ id: string; name: string | null }>(
          `select id, name from bots where lower(name) = lower($1) order by last_seen_at desc, id limit 10`,
          [r],
        )
      ).rows;
  return rows.map((x) => ({ bot_id: x.id, name: x.name }));
}
