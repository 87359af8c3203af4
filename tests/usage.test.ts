/**
 * Usage-event storage on a real Postgres (src/core/db/usage-events.ts): rollups equal the raw
 * aggregates, replays change no count, a bot's last_seen_at, NOTIFY and listEvents. The SDK
 * that writes these rows is tested in tests/sdk/.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { Relay } from './helpers/relay.js';
import { createPool } from '../src/core/db/pool.js';
import { COPY_MIN_ROWS, insertEvents, listEvents } from '../src/core/db/usage-events.js';
import { validateBatch, type EventRow } from '../src/core/events-schema.js';

let db: TestDb;

beforeAll(async () => {
  db = await freshDatabase();
});

const bars = { integration: 'databento', operation: 'marketdata.bars', symbol: 'ESZ5', timeframe: '1m' };

/** mulberry32: small seeded RNG so a failing property run can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('rollups', () => {
  it('equal the raw aggregates on random event sets, with replays and duplicates (seeded)', async () => {
    const own = await freshDatabase(); // nothing else writes here: the whole table is the oracle
    const pool = own.pool;
    const bots = [randomUUID(), randomUUID(), randomUUID()];
    const ops: Array<[string, string]> = [
      ['databento', 'marketdata.bars'],
      ['polygon', 'marketdata.trades'],
      ['ironbeam', 'broker.place_order'],
      ['ironbeam', 'broker.fill'],
      ['simulator', 'broker.fill'],
      ['tradovate', 'broker.cancel_order'],
      ['openai', 'llm.chat'],
      ['risk_engine', 'risk.check'],
    ];
    const statuses = ['OK', 'OK', 'OK', 'ERROR', 'BLOCKED'] as const;
    const reasons = ['UPSTREAM_5XX', 'MISSING_CREDENTIALS', 'RISK_LIMIT'];
    const models = ['gpt-4o-mini', 'gpt-4.1'];
    // SIM only under the simulator (core/modes.ts); a broker's own fills are LIVE or PAPER
    const provs = ['LIVE', 'PAPER'];
    const feats = ['md.vwap', 'md.atr', 'risk.drawdown', 'ai.regime_classification'];
    const all: EventRow[] = [];
    for (const seed of [1, 2, 3, 42, 1337]) {
      const r = rng(seed);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
      // enough events for chunks past COPY_MIN_ROWS
      const n = 50 + Math.floor(r() * 6 * COPY_MIN_ROWS);
      const input = Array.from({ length: n }, () => {
        const [integration, operation] = pick(ops);
        const status = pick(statuses);
        const meta: Record<string, unknown> = {};
        if (operation === 'broker.fill') meta.provenance = integration === 'simulator' ? 'SIM' : pick(provs);
        if (operation.startsWith('llm.') && r() < 0.8) meta.model = pick(models);
        if (r() < 0.5) meta.feature_keys_used = feats.filter(() => r() < 0.5);
        return {
          integration,
          operation,
          status,
          bot_id: r() < 0.1 ? null : pick(bots),
          reason_code: status === 'OK' ? null : pick(reasons),
          records: r() < 0.2 ? null : Math.floor(r() * 1000),
          // spread over 30 hours so several rollup hours are involved
          created_at: new Date(Date.now() - Math.floor(r() * 30 * 3_600_000)).toISOString(),
          metadata: meta,
        };
      });
      const v = validateBatch(input);
      if (!v.ok) throw new Error(JSON.stringify(v.errors.slice(0, 3)));
      // insert in random chunks; replay some chunks and some earlier rows
      // small chunks take the one-statement path, large ones COPY (COPY_MIN_ROWS); a large one
      // sometimes carries already-stored events too (COPY refuses it, the statement stores the rest)
      let i = 0;
      while (i < v.rows.length) {
        const k = 1 + Math.floor(r() * (r() < 0.5 ? 2 * COPY_MIN_ROWS : 60));
        const chunk = v.rows.slice(i, i + k);
        const old = r() < 0.2 ? all.filter(() => r() < 0.2).slice(0, 100) : [];
        expect((await insertEvents(pool, [...chunk, ...old])).inserted).toBe(chunk.length);
        if (r() < 0.3) expect((await insertEvents(pool, chunk)).inserted).toBe(0);
        if (all.length && r() < 0.3) await insertEvents(pool, [pick(all)]);
        all.push(...chunk);
        i += k;
      }
    }
    // oracle 1: the raw table, aggregated the slow way
    const { rows: raw } = await pool.query(
      `select coalesce(bot_id, '00000000-0000-0000-0000-000000000000') as bot_id, integration, operation, status,
              case when status <> 'OK' then coalesce(reason_code, '')
                   when operation = 'broker.fill' then coalesce(metadata->>'provenance', '')
                   when operation like 'llm.%' then coalesce(metadata->>'model', '') else '' end as detail,
              date_trunc('hour', created_at, 'UTC') as hour,
              count(*)::int as calls, coalesce(sum(records), 0)::int as records, max(created_at) as last_at,
              (array_agg(trace_id order by created_at desc, trace_id desc))[1] as last_trace_id
         from integration_usage_events where id = any($1::uuid[])
        group by 1, 2, 3, 4, 5, 6 order by 1, 2, 3, 4, 5, 6`,
      [all.map((e) => e.id)],
    );
    const { rows: roll } = await pool.query(
      `select bot_id, integration, operation, status, detail, hour, calls::int, records::int, last_at, last_trace_id
         from usage_rollups order by 1, 2, 3, 4, 5, 6`,
    );
    expect(roll).toEqual(raw);
    // oracle 2: an independent aggregate in JS over the generated events
    const key = (e: EventRow) => `${e.bot_id ?? 'nil'}|${e.integration}|${e.operation}|${e.status}`;
    const js = new Map<string, number>();
    for (const e of all) js.set(key(e), (js.get(key(e)) ?? 0) + 1);
    const db2 = new Map<string, number>();
    for (const r of roll) {
      const k = `${r.bot_id === '00000000-0000-0000-0000-000000000000' ? 'nil' : r.bot_id}|${r.integration}|${r.operation}|${r.status}`;
      db2.set(k, (db2.get(k) ?? 0) + r.calls);
    }
    expect(db2).toEqual(js);
    // per-bot-hour totals (topBots) equal the raw aggregates too
    const { rows: rawHours } = await pool.query(
      `select bot_id, date_trunc('hour', created_at, 'UTC') as hour, count(*)::int as calls,
              (count(*) filter (where status = 'OK'))::int as ok, (count(*) filter (where status = 'ERROR'))::int as error,
              (count(*) filter (where status = 'BLOCKED'))::int as blocked,
              coalesce(sum(records) filter (where status = 'OK'), 0)::int as records, max(created_at) as last_at,
              array_agg(distinct integration order by integration) as integrations
         from integration_usage_events where id = any($1::uuid[]) and bot_id is not null
        group by 1, 2 order by 1, 2`,
      [all.map((e) => e.id)],
    );
    const { rows: hours } = await pool.query(
      `select bot_id, hour, calls::int, ok::int, error::int, blocked::int, records::int, last_at, integrations
         from usage_bot_hours order by 1, 2`,
    );
    expect(hours).toEqual(rawHours);
    expect(raw.reduce((a, r) => a + r.calls, 0)).toBe(all.length);
    // sightings equal the raw feature_keys_used counts
    const { rows: s } = await pool.query(`select variable, sightings::int from variable_sightings order by variable`);
    const want = new Map<string, number>();
    for (const e of all) for (const f of (e.metadata.feature_keys_used as string[] | undefined) ?? []) want.set(f, (want.get(f) ?? 0) + 1);
    expect(Object.fromEntries(s.map((x) => [x.variable, x.sightings]))).toEqual(Object.fromEntries([...want.entries()].sort()));
  });

  it("a bot's last_seen_at moves forward with its events — at most once a second, never backwards", async () => {
    const bot = randomUUID();
    const t0 = Date.now() - 60_000;
    const at = async (ms: number) => {
      const v = validateBatch([{ ...bars, status: 'OK', bot_id: bot, created_at: new Date(t0 + ms).toISOString() }]);
      if (!v.ok) throw new Error('bad fixture');
      await insertEvents(db.pool, v.rows);
      return ((await db.pool.query('select last_seen_at from bots where id = $1', [bot])).rows[0].last_seen_at as Date).getTime() - t0;
    };
    expect(await at(0)).toBe(0);
    expect(await at(400)).toBe(0); // within the second: the row is not rewritten
    expect(await at(1_500)).toBe(1_500);
    expect(await at(-10_000)).toBe(1_500); // a late (replayed) event never moves it back
  });

  it('a replay of the same ids changes no count', async () => {
    const bot = randomUUID();
    const v = validateBatch(
      Array.from({ length: 40 }, (_, i) => ({ ...bars, status: 'OK', bot_id: bot, records: i, metadata: { feature_keys_used: ['md.high'] } })),
    );
    if (!v.ok) throw new Error('bad fixture');
    const snapshot = async () =>
      (
        await db.pool.query(
          `select (select count(*)::int from integration_usage_events where bot_id = $1) as events,
                  (select sum(calls)::int from usage_rollups where bot_id = $1) as calls,
                  (select sum(records)::int from usage_rollups where bot_id = $1) as records,
                  (select sightings::int from variable_sightings where variable = 'md.high') as sightings`,
          [bot],
        )
      ).rows[0];
    expect(await insertEvents(db.pool, v.rows)).toMatchObject({ inserted: 40, integrations: ['databento'] });
    const first = await snapshot();
    expect(first).toEqual({ events: 40, calls: 40, records: (39 * 40) / 2, sightings: 40 });
    expect((await insertEvents(db.pool, v.rows)).inserted).toBe(0);
    expect((await insertEvents(db.pool, v.rows.slice(10, 20))).inserted).toBe(0);
    expect(await snapshot()).toEqual(first);
  });

  it('NOTIFY observatory_events on commit with a small payload; listEvents filters and pages', async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    const got: string[] = [];
    listener.on('notification', (n) => got.push(n.payload ?? ''));
    await listener.query('listen observatory_events');
    const bot = randomUUID();
    const t0 = Date.now();
    const v = validateBatch(
      Array.from({ length: 5 }, (_, i) => ({
        integration: i % 2 ? 'polygon' : 'databento',
        operation: 'marketdata.bars',
        status: i === 4 ? 'ERROR' : 'OK',
        reason_code: i === 4 ? 'UPSTREAM_5XX' : null,
        bot_id: bot,
        created_at: new Date(t0 - (5 - i) * 1000).toISOString(),
      })),
    );
    if (!v.ok) throw new Error('bad fixture');
    await insertEvents(db.pool, v.rows);
    await expect.poll(() => got.length, { timeout: 5_000 }).toBe(1);
    expect(JSON.parse(got[0])).toEqual({ count: 5, integrations: ['databento', 'polygon'] });
    await insertEvents(db.pool, v.rows); // a pure replay stores nothing and announces nothing
    await new Promise((r) => setTimeout(r, 200));
    expect(got.length).toBe(1);
    await listener.end();

    const newest = await listEvents(db.pool, { botId: bot });
    expect(newest.map((e) => e.id)).toEqual(v.rows.map((r) => r.id).reverse());
    expect((await listEvents(db.pool, { botId: bot, integration: 'polygon' })).length).toBe(2);
    expect((await listEvents(db.pool, { botId: bot, status: 'ERROR' })).map((e) => e.reason_code)).toEqual(['UPSTREAM_5XX']);
    const page2 = await listEvents(db.pool, { botId: bot, limit: 2, beforeId: newest[1].id });
    expect(page2.map((e) => e.id)).toEqual([newest[2].id, newest[3].id]);
    const follow = await listEvents(db.pool, { botId: bot, afterId: newest[3].id });
    expect(follow.map((e) => e.id)).toEqual([newest[2].id, newest[1].id, newest[0].id]);
    // relative to the events' own clock, so a slow machine between insert and read changes nothing
    expect(await listEvents(db.pool, { botId: bot, since: new Date(t0 - 2500) })).toHaveLength(2);
  });
});

describe('the COPY path (batches of COPY_MIN_ROWS and more)', () => {
  afterEach(() => vi.restoreAllMocks());

  /** the text of every query sent while fn runs */
  async function queriesDuring(fn: () => Promise<unknown>): Promise<string[]> {
    const texts: string[] = [];
    const orig = pg.Client.prototype.query;
    vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
      const q = args[0] as string | { text?: string };
      texts.push(typeof q === 'string' ? q : (q?.text ?? ''));
      return (orig as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof orig);
    await fn();
    vi.restoreAllMocks();
    return texts;
  }

  const tricky = [
    'back\\slash \\N and \\t literally',
    'tab\there, newline\nthere, carriage\rreturn',
    'quotes " \' and a comma, semicolon;',
    'unicode: é ü ß 日本語 🚀',
    '',
  ];

  it('stores the rows exactly as given, whatever their text holds, in one COPY', async () => {
    const bot = randomUUID();
    const v = validateBatch(
      Array.from({ length: COPY_MIN_ROWS + 36 }, (_, i) => ({
        ...bars,
        status: i % 10 === 0 ? ('ERROR' as const) : ('OK' as const),
        reason_code: i % 10 === 0 ? 'UPSTREAM_5XX' : null,
        bot_id: i % 7 === 0 ? null : bot,
        symbol: i % 3 === 0 ? null : 'ES Z5',
        latency_ms: i % 4 === 0 ? null : i,
        records: i % 5 === 0 ? null : i * 10,
        metadata: { note: tricky[i % tricky.length], nested: { list: [1, 'two', null, tricky[(i + 1) % tricky.length]] }, feature_keys_used: ['md.close'] },
      })),
    );
    if (!v.ok) throw new Error(JSON.stringify(v.errors.slice(0, 3)));
    let res: Awaited<ReturnType<typeof insertEvents>> | undefined;
    const texts = await queriesDuring(async () => (res = await insertEvents(db.pool, v.rows)));
    expect(res).toEqual({ inserted: v.rows.length, integrations: ['databento'] });
    expect(texts.filter((t) => /^copy integration_usage_events /i.test(t))).toHaveLength(1);
    const { rows } = await db.pool.query(
      `select id, created_at, user_id, bot_id, run_id, integration, operation, status, latency_ms, symbol, timeframe, records,
              reason_code, trace_id, metadata
         from integration_usage_events where id = any($1::uuid[]) order by created_at, id`,
      [v.rows.map((r) => r.id)],
    );
    const want = [...v.rows].sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id));
    expect(rows).toEqual(want);
    // and the derived tables count them
    const { rows: roll } = await db.pool.query(
      `select sum(calls)::int as calls, sum(records) filter (where status = 'OK')::int as records from usage_rollups where bot_id = $1`,
      [bot],
    );
    const mine = v.rows.filter((r) => r.bot_id === bot);
    expect(roll[0]).toEqual({
      calls: mine.length,
      records: mine.filter((r) => r.status === 'OK').reduce((a, r) => a + (r.records ?? 0), 0),
    });
  });

  it('a large batch holding stored events stores only the new ones, counted once', async () => {
    const bot = randomUUID();
    const mk = (n: number) => {
      const v = validateBatch(Array.from({ length: n }, () => ({ ...bars, status: 'OK' as const, bot_id: bot, records: 1 })));
      if (!v.ok) throw new Error('bad fixture');
      return v.rows;
    };
    const first = mk(COPY_MIN_ROWS * 2);
    const more = mk(COPY_MIN_ROWS);
    expect((await insertEvents(db.pool, first)).inserted).toBe(first.length);
    expect((await insertEvents(db.pool, [...first.slice(0, 10), ...more, ...first.slice(10)])).inserted).toBe(more.length);
    expect((await insertEvents(db.pool, [...more, ...first])).inserted).toBe(0);
    const { rows } = await db.pool.query(
      `select (select count(*)::int from integration_usage_events where bot_id = $1) as events,
              (select sum(calls)::int from usage_rollups where bot_id = $1) as calls,
              (select sum(calls)::int from usage_bot_hours where bot_id = $1) as hour_calls`,
      [bot],
    );
    expect(rows[0]).toEqual({ events: first.length + more.length, calls: first.length + more.length, hour_calls: first.length + more.length });
  });

  it('a store that goes silent mid-batch: the batch fails within the query timeout and its connection is dropped', async () => {
    const u = new URL(db.url);
    // the path freezes once the first query of each connection (the batch's BEGIN) is answered
    const relay = new Relay({ host: u.hostname, port: Number(u.port || 5432) }, { freeze: 'after-query-1' });
    await relay.start();
    const pool = createPool(relay.url(db.url), { queryTimeoutMs: 1_000 });
    try {
      const v = validateBatch(Array.from({ length: COPY_MIN_ROWS }, () => ({ ...bars, status: 'OK' as const, bot_id: randomUUID() })));
      if (!v.ok) throw new Error('bad fixture');
      const t0 = Date.now();
      await expect(insertEvents(pool, v.rows)).rejects.toThrow(/timeout/i);
      // one timeout, not a second one spent rolling back over the silent path
      expect(Date.now() - t0).toBeLessThan(1_900);
      expect(pool.totalCount).toBe(0);
      const { rows } = await db.pool.query('select count(*)::int as n from integration_usage_events where id = any($1::uuid[])', [v.rows.map((r) => r.id)]);
      expect(rows[0].n).toBe(0);
    } finally {
      await pool.end().catch(() => undefined);
      await relay.stop();
    }
  });

  it('a row the table refuses fails the whole batch: no event and no count stored', async () => {
    const bot = randomUUID();
    const v = validateBatch(Array.from({ length: COPY_MIN_ROWS + 10 }, () => ({ ...bars, status: 'OK' as const, bot_id: bot })));
    if (!v.ok) throw new Error('bad fixture');
    // past validation (as a writer bypassing it would be): the table's own check refuses it
    const bad = [...v.rows.slice(0, 40), { ...v.rows[40], trace_id: 'not-a-trace-id' } as EventRow, ...v.rows.slice(41)];
    // a data error (23xxx): the SDK's batcher splits the batch on it and dead-letters the row
    await expect(insertEvents(db.pool, bad)).rejects.toMatchObject({ code: '23514' });
    const { rows } = await db.pool.query(
      `select (select count(*)::int from integration_usage_events where bot_id = $1) as events,
              (select count(*)::int from usage_rollups where bot_id = $1) as rollups,
              (select count(*)::int from bots where id = $1) as bots`,
      [bot],
    );
    expect(rows[0]).toEqual({ events: 0, rollups: 0, bots: 0 });
    // the pool is still usable and the good rows go in
    expect((await insertEvents(db.pool, [...v.rows.slice(0, 40), ...v.rows.slice(41)])).inserted).toBe(v.rows.length - 1);
  });
});
