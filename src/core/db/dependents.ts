/**
 * Which bots depend on which integrations: a bot depends on an integration it called in the last
 * `hours` (usage_rollups, any status — a bot refused by a BLOCKED integration still depends on it).
 * Read from the rollups (usage_rollups_integration_idx), never from raw events.
 */
import type pg from 'pg';

export const DEPENDENCY_WINDOW_HOURS = 24;

/** Bots per integration, for the given integrations only (the BLOCKED ones). */
export async function dependentBotCounts(
  db: pg.Pool | pg.PoolClient,
  integrations: readonly string[],
  hours = DEPENDENCY_WINDOW_HOURS,
): Promise<Map<string, number>> {
  if (!integrations.length) return new Map();
  const { rows } = await db.query<{ integration: string; n: number }>(
    `select integration, count(distinct bot_id)::int as n from usage_rollups
      where integration = any($1::text[]) and hour >= date_trunc('hour', now() - make_interval(hours => $2))
      group by 1`,
    [integrations, hours],
  );
  return new Map(rows.map((r) => [r.integration, r.n]));
}

/** The integrations one bot called in the window. */
export async function integrationsUsedBy(db: pg.Pool, botId: string, hours = DEPENDENCY_WINDOW_HOURS): Promise<string[]> {
  const { rows } = await db.query<{ integration: string }>(
    `select distinct integration from usage_rollups where bot_id = $1 and hour >= date_trunc('hour', now() - make_interval(hours => $2)) order by 1`,
    [botId, hours],
  );
  return rows.map((r) => r.integration);
}
