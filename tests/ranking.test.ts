/** The most active bots (db/ranking.ts): live aggregation and the ranking table, on real rows written through the SDK. */
import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { seedBots, type SeededBots } from './helpers/bot-fixtures.js';
import { refreshBotRanking, topBots } from '../src/core/db/ranking.js';

let db: TestDb;
let active: string, simOnly: string, quietBot: string, recovered: string;
let recorder: SeededBots['recorder'];

beforeAll(async () => {
  db = await freshDatabase();
  ({ active, simOnly, quietBot, recovered, recorder } = await seedBots(db));
});

describe('topBots', () => {
  it('ranks bots by calls in the window with their integrations', async () => {
    const top = await topBots(db.pool);
    expect(top.map((b) => b.bot_id)).toEqual([active, simOnly, recovered, quietBot]);
    expect(top[0]).toMatchObject({
      name: 'es-momentum',
      calls: 18,
      ok: 14,
      error: 1,
      blocked: 3,
      integrations: ['databento', 'ironbeam', 'openai', 'polygon', 'risk_engine', 'simulator'],
    });
    expect((await topBots(db.pool, { limit: 1 })).length).toBe(1);
  });
});

describe('topBots from the ranking table', () => {
  it('a fresh ranking gives the same answer as the live aggregation; a stale one is ignored', async () => {
    const live = await topBots(db.pool);
    expect(await refreshBotRanking(db.pool)).toEqual({ bots: live.length });
    expect(await topBots(db.pool)).toEqual(live);
    // the ranking decides the order; totals stay live
    await db.pool.query(`update bot_activity_ranking set calls = 1000 where bot_id = $1`, [quietBot]);
    const ranked = await topBots(db.pool, { limit: 1 });
    expect(ranked.map((b) => b.bot_id)).toEqual([quietBot]);
    expect(ranked[0].calls).toBe(live.find((b) => b.bot_id === quietBot)!.calls);
    // a bot that became active after the refresh is never missing
    const newcomer = randomUUID();
    const n = recorder(newcomer);
    for (let i = 0; i < 40; i++) n.record({ integration: 'polygon', operation: 'marketdata.bars', status: 'OK', records: 1 });
    await n.close();
    expect((await topBots(db.pool, { limit: 1 })).map((b) => b.bot_id)).toEqual([newcomer]);
    // stale (older than the bound): the live aggregation answers again
    await db.pool.query(`update bot_activity_ranking set refreshed_at = now() - interval '1 minute'`);
    expect((await topBots(db.pool)).map((b) => b.bot_id)).toEqual([newcomer, ...live.map((b) => b.bot_id)].slice(0, 10));
    await db.pool.query(`delete from bot_activity_ranking`);
  });
});
