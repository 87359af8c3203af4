/** Proof of use for one bot (Panel B, db/proof.ts) on real rows written through the SDK. */
import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { HOUR, seedBots } from './helpers/bot-fixtures.js';
import { botProof, PROOF_GROUPS_SQL, resolveBot } from '../src/core/db/proof.js';
import { insertEvents } from '../src/core/db/usage-events.js';
import { validateBatch } from '../src/core/events-schema.js';

let db: TestDb;
let active: string, simOnly: string;
let traces: Record<string, string>;

beforeAll(async () => {
  db = await freshDatabase();
  ({ active, simOnly, traces } = await seedBots(db));
});

describe('botProof', () => {
  it('gives Panel B for a busy bot: last run, per-integration counts, models, fills by provenance, blocked reasons', async () => {
    const p = (await botProof(db.pool, active))!;
    expect(p.bot).toMatchObject({ id: active, name: 'es-momentum' });
    expect(p.window.hours).toBe(24);
    expect(new Date(p.window.since).getTime()).toBeLessThanOrEqual(Date.now() - 24 * HOUR);
    expect(p.last_run).toMatchObject({
      mode: 'paper',
      job_kind: 'session',
      status: 'BLOCKED',
      terminal_state: 'BLOCKED',
      reason_code: 'MISSING_CREDENTIALS',
      trace_id: traces.run,
    });
    expect(p.last_run!.ended_at).not.toBeNull();
    expect(p.last_run!.heartbeat_age_s).toBeGreaterThanOrEqual(0);

    const by = Object.fromEntries(p.integrations.map((i) => [i.integration, i]));
    expect(Object.keys(by).sort()).toEqual(['databento', 'ironbeam', 'openai', 'polygon', 'risk_engine', 'simulator']);

    expect(by.databento).toMatchObject({
      used: true,
      calls: 3,
      ok: 3,
      error: 0,
      blocked: 0,
      records: 300,
      market_data: { calls: 3, bars: 300 },
      broker: null,
      ai: null,
      risk: null,
    });
    expect(by.polygon.market_data).toEqual({ calls: 1, bars: 10 });

    expect(by.ironbeam.broker).toEqual({
      order_intents: { total: 4, ok: 2, error: 0, blocked: 2, place: 3, modify: 0, cancel: 1 },
      fills: { LIVE: 0, PAPER: 1, SIM: 0 },
      used_live_or_paper: true,
    });
    expect(by.ironbeam.simulated).toBe(false);
    // simulated fills have their own integration, shown as simulated and never as broker use
    expect(by.simulator).toMatchObject({ simulated: true, used: false, broker: { fills: { LIVE: 0, PAPER: 0, SIM: 2 }, used_live_or_paper: false } });
    expect(by.ironbeam.blocked_attempts).toEqual([
      { reason_code: 'MISSING_CREDENTIALS', count: 2, last_at: expect.any(String), last_trace_id: traces.blocked },
    ]);
    expect(by.ironbeam).toMatchObject({ calls: 5, ok: 3, blocked: 2 });

    expect(by.openai.ai).toEqual({
      calls: 4,
      models: [
        { model: 'gpt-4o-mini', calls: 2 },
        { model: 'gpt-4.1', calls: 1 },
      ],
    });
    expect(by.openai.errors).toEqual([
      { reason_code: 'RATE_LIMITED', count: 1, last_at: expect.any(String), last_trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) },
    ]);
    expect(by.openai.last_ok_trace_id).toMatch(/^[0-9a-f]{32}$/);

    expect(by.risk_engine.risk).toEqual({ checks: 3, violations: 1 });
    expect(by.risk_engine.last_trace_id).toBe(traces.risk);

    expect(p.blocked_attempts.map((b) => [b.integration, b.reason_code, b.count])).toEqual([
      ['risk_engine', 'MAX_CONTRACTS_EXCEEDED', 1],
      ['ironbeam', 'MISSING_CREDENTIALS', 2],
    ]);
    for (const i of p.integrations) expect(i.last_trace_id).toMatch(/^[0-9a-f]{32}$/);
    // one JSON shape, snake_case keys, no values beyond counts and names
    expect(JSON.stringify(p)).not.toMatch(/"[a-z]+[A-Z][a-zA-Z]*":/);
  });

  it('SIM fills never prove broker use; accepted order intents alone neither', async () => {
    const p = (await botProof(db.pool, simOnly))!;
    const t = p.integrations.find((i) => i.integration === 'simulator')!;
    expect(t.broker).toMatchObject({ fills: { LIVE: 0, PAPER: 0, SIM: 4 }, used_live_or_paper: false, order_intents: { total: 1, ok: 1, blocked: 0 } });
    expect(t).toMatchObject({ simulated: true, used: false }); // simulated intents and fills are activity, not use
    const tv = p.integrations.find((i) => i.integration === 'tradovate')!;
    expect(tv).toMatchObject({ simulated: false, used: false, broker: { fills: { LIVE: 0, PAPER: 0, SIM: 0 }, used_live_or_paper: false } });
    expect(p.last_run).toMatchObject({ status: 'RUNNING', ended_at: null, terminal_state: null });
    expect(p.last_run!.heartbeat_age_s).toBeGreaterThanOrEqual(590);
  });

  it('a wider window includes older rollups; an unknown bot is null', async () => {
    const p = (await botProof(db.pool, active, { sinceHours: 48 }))!;
    // the event stamped 30 h ago now counts
    expect(p.integrations.find((i) => i.integration === 'databento')!.market_data).toEqual({ calls: 4, bars: 5300 });
    const all = (await botProof(db.pool, active, { sinceHours: 72 }))!;
    expect(all.window.hours).toBe(72);
    expect(await botProof(db.pool, randomUUID())).toBeNull();
    await expect(botProof(db.pool, 'not-a-uuid')).rejects.toMatchObject({ code: 'USAGE', exitCode: 64 });
  });

  it('resolveBot accepts an id or a name', async () => {
    expect(await resolveBot(db.pool, 'es-momentum')).toBe(active);
    expect(await resolveBot(db.pool, active)).toBe(active);
    expect(await resolveBot(db.pool, 'nobody')).toBeNull();
    expect(await resolveBot(db.pool, randomUUID())).toBeNull();
    expect(await resolveBot(db.pool, 'ES-Momentum')).toBe(active); // no exact name: case-insensitive
  });

  it('resolveBot refuses an ambiguous name with the candidates (a UsageError, exit 64), never guesses', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await db.pool.query(`insert into bots (id, name) values ($1, 'Alpha-Bot'), ($2, 'ALPHA-BOT'), ($3, $4)`, [a, b, c, active]);
    // two bots whose names differ only in case: the exact one wins, a third spelling is ambiguous
    expect(await resolveBot(db.pool, 'Alpha-Bot')).toBe(a);
    const amb = await resolveBot(db.pool, 'alpha-bot').catch((e: unknown) => e);
    expect(amb).toMatchObject({
      code: 'USAGE',
      exitCode: 64,
      candidates: expect.arrayContaining([
        { bot_id: a, name: 'Alpha-Bot' },
        { bot_id: b, name: 'ALPHA-BOT' },
      ]),
    });
    expect((amb as Error).message).toContain(a);
    expect((amb as Error).message).toContain(b);
    // a bot named with another bot's id: the id names both
    await expect(resolveBot(db.pool, active)).rejects.toMatchObject({
      exitCode: 64,
      candidates: expect.arrayContaining([expect.objectContaining({ bot_id: c })]),
    });
    await db.pool.query('delete from bots where id = $1', [c]);
  });
});

describe('proof reads', () => {
  it("read one bot's window, not its whole history (issue 10: proof independent of volume)", async () => {
    // a bot with 2000 hours of history, one event an hour: 2000 rollup rows of which the window
    // holds 24; and 200 other bots busy within the window. Keyed (bot_id, integration, …, hour),
    // the read walked all 2000 entries of the bot (or every bot's recent rows by hour).
    const bot = randomUUID();
    const others = Array.from({ length: 200 }, () => randomUUID());
    const now = Date.now();
    const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR).toISOString();
    const md = { integration: 'databento', operation: 'marketdata.bars', status: 'OK' as const, records: 1 };
    const v = validateBatch([
      ...Array.from({ length: 2000 }, (_, i) => ({ ...md, bot_id: bot, created_at: at(2000 - i) })),
      ...others.flatMap((b) => Array.from({ length: 24 }, (_, h) => ({ ...md, bot_id: b, created_at: at(h + 0.5) }))),
    ]);
    if (!v.ok) throw new Error('bad fixture');
    for (let i = 0; i < v.rows.length; i += 1000) await insertEvents(db.pool, v.rows.slice(i, i + 1000));
    await db.pool.query('analyze usage_rollups');
    const { rows } = await db.pool.query(`explain (analyze, buffers, format json) ${PROOF_GROUPS_SQL}`, [bot, 24]);
    type PlanNode = { 'Relation Name'?: string; 'Shared Hit Blocks'?: number; 'Shared Read Blocks'?: number; Plans?: PlanNode[] };
    const scans: PlanNode[] = [];
    const walk = (n: PlanNode) => {
      if (n['Relation Name'] === 'usage_rollups') scans.push(n);
      n.Plans?.forEach(walk);
    };
    walk(rows[0]['QUERY PLAN'][0].Plan);
    expect(scans).toHaveLength(1);
    const pages = (scans[0]['Shared Hit Blocks'] ?? 0) + (scans[0]['Shared Read Blocks'] ?? 0);
    // the window's index entries (one leaf page, the root above it) and its heap rows (written
    // together, so a page or two): far from the ~20 leaf pages of the whole history
    expect(pages).toBeLessThanOrEqual(8);
    const inWindow = await db.pool.query(
      `select count(*)::int as n from integration_usage_events
        where bot_id = $1 and created_at >= date_trunc('hour', now() - interval '24 hours', 'UTC')`,
      [bot],
    );
    expect((await botProof(db.pool, bot))!.integrations[0]).toMatchObject({ integration: 'databento', calls: inWindow.rows[0].n });
    expect(inWindow.rows[0].n).toBeGreaterThanOrEqual(23);
  });
});
