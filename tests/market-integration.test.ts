/**
 * The session calendar wired into the product: the config file's `calendar` and `market`
 * sections, MAINTENANCE per integration (reader overlay and probe write path), BOT_DATA_STALE in
 * open-market seconds (pure rule and on real rows), `gate check --at` and the session view.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { loadConfig, type Config } from '../src/core/config.js';
import { schemaSources } from '../src/core/config-trust.js';
import { loadRegistry } from '../src/core/vendors/registry.js';
import { probeAndRecord } from '../src/core/prober.js';
import { TokenCache } from '../src/core/vendors/session.js';
import { injectFault } from '../src/core/db/faults.js';
import { getStates, probeCounts, recentProbes } from '../src/core/db/state.js';
import { startRun } from '../src/core/db/runs.js';
import { insertEvents } from '../src/core/db/usage-events.js';
import { ConfigError, UsageError } from '../src/core/errors.js';
import { botDataStaleBlocker, evaluateGate, type BotMarketRule } from '../src/core/autonomy.js';
import type { BotGateFacts } from '../src/core/db/bot-gate.js';
import { effectiveState, fixForState, neverProbedState, withMaintenance, maintenanceAt } from '../src/core/status.js';
import { parseCalendarConfig, isOpen, openSecondsBetween } from '../src/core/calendar/index.js';
import { autonomyView, integrationRows, marketSession, readHealth, sessionApiView } from '../src/core/views.js';
import { writeHeartbeat } from '../src/core/liveness.js';
import { newTraceId } from '../src/core/trace.js';
import type { Registry } from '../src/core/types.js';
import { panelById } from '../src/tui/panels/index.js';
import { verdictOf } from '../src/tui/panels/gate.js';
import { statusFrom, type AutonomyView } from '../src/core/views.js';

const dir = mkdtempSync(join(tmpdir(), 'obs-market-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function configFile(body: unknown): string {
  const p = join(dir, `c${++n}.json`);
  writeFileSync(p, JSON.stringify(body));
  return p;
}
const load = (body?: unknown, env: NodeJS.ProcessEnv = {}) =>
  loadConfig({ env: { OBSERVATORY_HOME: join(dir, 'home'), ...env }, configPath: body === undefined ? undefined : configFile(body) });
const refusal = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
};
const t = (iso: string) => Date.parse(iso);

describe('config file: calendar and market sections', () => {
  it('compiles operator overrides and maintenance windows; the session view sees them', () => {
    const cfg = load({
      calendar: {
        groups: { equity_index: { closures: [{ date: '2025-01-09', name: 'National Day of Mourning' }] } },
        maintenance: { tradovate: [{ weekly: { start_day: 'sat', start: '22:00', end_day: 'sun', end: '02:00' }, name: 'weekend maintenance' }] },
      },
      market: { data_stale_after_s: 120 },
    });
    expect(cfg.market).toEqual({ dataStaleAfterS: 120, defaultGroup: 'equity_index' });
    const v = marketSession(cfg, { at: t('2025-01-09T16:00:00Z') });
    expect(v).toMatchObject({ state: 'closed', reason: { kind: 'override', name: 'National Day of Mourning' } });
    // without the override the same instant is a regular Thursday session
    expect(marketSession(load(), { at: t('2025-01-09T16:00:00Z') }).state).toBe('open');
    expect(maintenanceAt(cfg.calendar, 'tradovate', t('2025-06-08T05:00:00Z'))?.window.name).toBe('weekend maintenance'); // Sun 00:00 CDT
    expect(maintenanceAt(cfg.calendar, 'ironbeam', t('2025-06-08T05:00:00Z'))).toBeNull();
  });

  it('a window that ends before it starts, an unknown group or key: exit 78 naming the field, never the value', () => {
    const e1 = refusal(() =>
      load({
        calendar: {
          groups: { equity_index: { closures: [{ from: '2025-03-05T15:30:00-06:00', to: '2025-03-05T14:00:00-06:00', name: 'halt' }] } },
        },
      }),
    );
    expect(e1.exitCode).toBe(78);
    expect(e1.message).toContain('field `calendar.groups.equity_index.closures.0.to`: the window ends before it starts');
    expect(e1.message).not.toContain('15:30');
    const e2 = refusal(() => load({ calendar: { maintenance: { tradovate: [{ from: '2025-06-01T04:00:00Z', to: '2025-06-01T00:00:00Z' }] } } }));
    expect(e2.message).toContain('field `calendar.maintenance.tradovate.0.to`');
    expect(refusal(() => load({ calendar: { groups: { energy: {} } } })).message).toContain('field `calendar.groups.energy`: unknown product group');
    expect(refusal(() => load({ market: { default_group: 'energy' } })).message).toContain('field `market.default_group`: unknown product group');
    expect(refusal(() => load({ market: { stale: 1 } })).message).toContain('unknown key(s): stale');
  });

  it('the calendar modules are part of the config trust digest (an edited calendar rule re-validates the file)', () => {
    const files = schemaSources().map((f) => f.replace(/\\/g, '/'));
    for (const m of ['calendar/overrides', 'calendar/rules', 'calendar/instant']) expect(files.some((f) => f.includes(m))).toBe(true);
  });
});

describe('session view', () => {
  const cfg = load();
  it('holiday, early close, break and weekend with their reasons, session bounds and next open', () => {
    expect(sessionApiView(cfg, { at: t('2025-12-25T16:00:00Z') })).toMatchObject({
      success: true,
      state: 'closed',
      reason: { kind: 'holiday', name: 'Christmas' },
      next_open: '2025-12-25T23:00:00.000Z',
      next_open_local: 'Thu 2025-12-25 17:00 CST',
    });
    expect(marketSession(cfg, { at: t('2025-11-28T18:30:00Z') })).toMatchObject({ state: 'closed', reason: { kind: 'early_close' } });
    expect(marketSession(cfg, { at: t('2025-12-02T22:30:00Z') })).toMatchObject({ state: 'break', reason: { kind: 'maintenance' } });
    const weekend = marketSession(cfg, { at: t('2025-12-06T18:00:00Z') });
    expect(weekend).toMatchObject({ state: 'closed', reason: { kind: 'weekend' }, next_open: '2025-12-07T23:00:00.000Z' });
    expect(weekend.session_close_local).toBe('Fri 2025-12-05 16:00 CST');
  });
  it('an unknown group is a UsageError (exit 64)', () => {
    expect(() => marketSession(cfg, { group: 'energy' })).toThrow(UsageError);
  });
});

describe('MAINTENANCE (status rules)', () => {
  const cfg = load({ calendar: { maintenance: { polygon: [{ from: '2025-06-01T00:00:00Z', to: '2025-06-01T04:00:00Z', name: 'announced upgrade' }] } } });
  const registry = loadRegistry(cfg);
  const spec = registry.integrations.find((s) => s.name === 'polygon')!;
  const okState = { ...neverProbedState(spec, true, null), status: 'OK' as const, reasonCode: null, lastProbeAt: new Date(t('2025-06-01T01:59:00Z')) };

  it('inside a window: BLOCKED with reason MAINTENANCE (not a fourth status), the window end as the fix; outside: untouched', () => {
    const now = new Date(t('2025-06-01T02:00:00Z'));
    const eff = effectiveState(spec, okState, { connected: true, now });
    const inside = withMaintenance(eff, maintenanceAt(cfg.calendar, 'polygon', now.getTime()));
    expect(inside).toMatchObject({ status: 'BLOCKED', reasonCode: 'MAINTENANCE', maintenance: { until: '2025-06-01T04:00:00.000Z' } });
    expect(fixForState(spec, inside)).toContain('wait until 2025-06-01T04:00:00.000Z');
    expect(withMaintenance(eff, maintenanceAt(cfg.calendar, 'polygon', t('2025-06-01T04:00:00Z')))).toEqual(eff);
  });

  it('missing credentials still win over a window (the operator can fix those now)', () => {
    const now = new Date(t('2025-06-01T02:00:00Z'));
    const eff = effectiveState(spec, okState, { connected: false, now });
    expect(withMaintenance(eff, maintenanceAt(cfg.calendar, 'polygon', now.getTime())).reasonCode).toBe('MISSING_CREDENTIALS');
  });

  it('the gate blocks on a required integration in maintenance, with the window end as the fix', () => {
    const now = new Date(t('2025-06-01T02:00:00Z'));
    const states = new Map(
      registry.integrations.map((s) => {
        const e = effectiveState(s, { ...okState, integration: s.name }, { connected: true, now });
        return [
          s.name,
          s.name === 'postgres'
            ? withMaintenance(e, {
                window: { kind: 'dated', name: 'db upgrade', from: 0, to: t('2025-06-01T03:00:00Z') },
                start: 0,
                end: t('2025-06-01T03:00:00Z'),
              })
            : e,
        ];
      }),
    );
    const g = evaluateGate({
      mode: 'shadow',
      registry,
      states,
      store: { reachable: true },
      daemon: { fresh: true, ageMs: 1 },
      liveTradingEnabled: false,
      traceId: newTraceId(),
      now,
    });
    expect(g.global_status).toBe('BLOCKED');
    expect(g.blockers).toEqual([
      expect.objectContaining({ code: 'MAINTENANCE', integration: 'postgres', fix: expect.stringContaining('2025-06-01T03:00:00.000Z') }),
    ]);
  });
});

// ─── BOT_DATA_STALE, pure ─────────────────────────────────────────────────────────

const rule: BotMarketRule = { integrations: ['databento', 'polygon'], boundS: 300, defaultGroup: 'equity_index' };
function facts(over: { now: string; lastAt?: string | null; started?: string; symbol?: string | null; running?: boolean }): BotGateFacts {
  return {
    known: true,
    badRun: null,
    staleRuns: [],
    blockedAttempts: [],
    now: over.now,
    runningRun: over.running === false ? null : { id: 'run-1', started_at: over.started ?? '2025-12-01T00:00:00Z', trace_id: 'a'.repeat(32) },
    lastMarketData:
      over.lastAt === null
        ? null
        : { at: over.lastAt ?? '2025-12-05T21:55:00Z', integration: 'databento', trace_id: 'b'.repeat(32), symbol: over.symbol ?? 'ESZ5' },
  };
}

describe('BOT_DATA_STALE (pure rule)', () => {
  it('Friday 15:55 CT last bar: nothing stale over the weekend; stale once Sunday open passes the bound', () => {
    expect(botDataStaleBlocker(facts({ now: '2025-12-06T18:00:00Z' }), rule)).toBeNull(); // Saturday
    expect(botDataStaleBlocker(facts({ now: '2025-12-07T22:59:00Z' }), rule)).toBeNull(); // Sunday before the open
    // Sunday 17:00 CT open: 5 open minutes Friday + 1 minute Sunday = 360 s > 300 s
    const b = botDataStaleBlocker(facts({ now: '2025-12-07T23:01:00Z' }), rule);
    expect(b).toMatchObject({ code: 'BOT_DATA_STALE', integration: 'databento', trace_id: 'b'.repeat(32) });
    expect(b!.message).toContain('6m 0s of open equity_index market time');
    expect(b!.fix).toContain('OK market-data event');
  });

  it('the daily break and a holiday do not count; a bot that is not running is never stale', () => {
    // last bar Tue 15:58 CT; Tue 17:02 CT is 2 + 2 open minutes later
    expect(botDataStaleBlocker(facts({ now: '2025-12-02T23:02:00Z', lastAt: '2025-12-02T21:58:00Z' }), rule)).toBeNull();
    expect(botDataStaleBlocker(facts({ now: '2025-12-25T18:00:00Z', lastAt: '2025-12-24T18:14:00Z' }), rule)).toBeNull(); // Christmas
    expect(botDataStaleBlocker(facts({ now: '2025-12-03T16:00:00Z', running: false }), rule)).toBeNull();
  });

  it('no event at all: the run start is the reference (a new run gets the bound), then stale with the run trace', () => {
    const f = (now: string) => facts({ now, lastAt: null, started: '2025-12-03T15:00:00Z' });
    expect(botDataStaleBlocker(f('2025-12-03T15:04:00Z'), rule)).toBeNull();
    expect(botDataStaleBlocker(f('2025-12-03T15:06:00Z'), rule)).toMatchObject({ code: 'BOT_DATA_STALE', integration: null, trace_id: 'a'.repeat(32) });
  });

  it('--at: the session at that instant decides (a future closed instant is not stale; a future open one judges the data as known now)', () => {
    const fresh = facts({ now: '2025-12-03T15:00:00Z', lastAt: '2025-12-03T14:59:30Z' });
    expect(botDataStaleBlocker(fresh, { ...rule, at: t('2025-12-04T14:30:00Z') })).toBeNull();
    const old = facts({ now: '2025-12-03T15:00:00Z', lastAt: '2025-12-03T14:00:00Z' });
    expect(botDataStaleBlocker(old, rule)?.code).toBe('BOT_DATA_STALE');
    expect(botDataStaleBlocker(old, { ...rule, at: t('2025-12-06T15:00:00Z') })).toBeNull(); // Saturday
    expect(botDataStaleBlocker(old, { ...rule, at: t('2025-12-04T14:30:00Z') })?.code).toBe('BOT_DATA_STALE');
  });
});

// ─── On real rows ─────────────────────────────────────────────────────────────────

describe('on real rows', () => {
  let db: TestDb;
  let config: Config;
  let registry: Registry;
  beforeAll(async () => {
    db = await freshDatabase();
    config = load(undefined, { DATABASE_URL: db.url, POLYGON_API_KEY: 'market-test-polygon-key' });
    registry = loadRegistry(config);
    await writeHeartbeat(db.pool, {
      daemonId: 'market-test',
      version: 't',
      hostname: 'h',
      pid: 1,
      startedAt: new Date(),
      leader: true,
      liveTradingEnabled: false,
    });
  });
  afterAll(() => undefined);

  it('a failed probe inside a window moves no counter and changes no state; it is recorded as MAINTENANCE', async () => {
    const spec = registry.integrations.find((s) => s.name === 'polygon')!;
    const now = Date.now();
    const windowed: Config = {
      ...config,
      calendar: parseCalendarConfig(
        { maintenance: { polygon: [{ from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString(), name: 'test window' }] } },
        'test',
      ),
    };
    await injectFault(db.pool, { integration: 'polygon', httpStatus: 503, ttlMs: 600_000, createdBy: 'test', traceId: newTraceId() });
    const deps = { pool: db.pool, env: config.env, tokenCache: new TokenCache(), daemonId: 'market-test' };
    for (let i = 0; i < 4; i++) await probeAndRecord(spec, { ...deps, calendar: windowed.calendar });
    expect((await getStates(db.pool)).states.get('polygon')).toBeUndefined();
    const rows = await recentProbes(db.pool, 'polygon');
    expect(rows).toHaveLength(4);
    for (const r of rows) expect(r).toMatchObject({ reason_code: 'MAINTENANCE', outcome: 'UPSTREAM_5XX' });
    // left out of the probe counts /metrics takes uptime from
    expect((await probeCounts(db.pool)).filter((c) => c.integration === 'polygon')).toEqual([]);
    // readers show MAINTENANCE with the window's end, over the never-probed state
    const snap = await readHealth(db.pool, registry, windowed);
    const row = integrationRows(registry, snap, 'shadow').find((r) => r.name === 'polygon')!;
    expect(row).toMatchObject({
      status: 'BLOCKED',
      display_status: 'MAINTENANCE',
      reason_code: 'MAINTENANCE',
      maintenance: { window: expect.stringContaining('test window') },
    });
    // outside a window the same failures count as usual
    await probeAndRecord(spec, deps);
    const after = (await getStates(db.pool)).states.get('polygon')!;
    expect(after).toMatchObject({ consecutiveFailures: 1, reasonCode: 'FAULT_INJECTED' });
  });

  it('gate --bot: BOT_DATA_STALE on real rows, judged at an open and a closed instant (--at)', async () => {
    // an hour of open market within the last week (the facts look back 8 days)
    let start = Date.now() - 6 * 86_400_000;
    while (!(isOpen('equity_index', start) && openSecondsBetween('equity_index', start, start + 3_600_000) === 3600)) start += 15 * 60_000;
    let closed = start;
    while (isOpen('equity_index', closed)) closed += 15 * 60_000;
    const bot = randomUUID();
    const run = await startRun(db.pool, { botId: bot, mode: 'paper' });
    await db.pool.query('update bot_runs set started_at = $2 where id = $1', [run.id, new Date(start - 600_000)]);
    const trace = newTraceId();
    await insertEvents(db.pool, [
      {
        id: randomUUID(),
        created_at: new Date(start),
        user_id: null,
        bot_id: bot,
        run_id: run.id,
        integration: 'databento',
        operation: 'marketdata.bars',
        status: 'OK',
        latency_ms: 12,
        symbol: 'ESZ5',
        timeframe: '1m',
        records: 1,
        reason_code: null,
        trace_id: trace,
        metadata: {},
      },
    ]);
    const at = async (ms: number) => autonomyView(db.pool, registry, config, { mode: 'shadow', botId: bot, at: ms });
    const stale = await at(start + 3_600_000);
    expect(stale.blockers.find((b) => b.code === 'BOT_DATA_STALE')).toMatchObject({ integration: 'databento', trace_id: trace });
    expect(stale.at).toBe(new Date(start + 3_600_000).toISOString());
    expect(stale.market?.state).toBe('open');
    expect((await at(start + 120_000)).blockers.map((b) => b.code)).not.toContain('BOT_DATA_STALE');
    const off = await at(closed);
    expect(off.blockers.map((b) => b.code)).not.toContain('BOT_DATA_STALE');
    expect(off.market?.state).not.toBe('open');
  });

  it("Panel D with a bot picked in Panel B: the verdict of gate check --bot (the bot's own blockers join the mode's)", async () => {
    const status = statusFrom(registry, config, await readHealth(db.pool, registry, config), 'shadow');
    const modeCodes = status.autonomy.blockers.map((b) => b.code);
    const load = panelById('gate').load!;
    const request = { mode: 'shadow' as const, panel: 'gate' as const, drawer: null, botId: null as string | null, botQuery: null };
    // no bot chosen: no read of its own; Panel D draws the shared status read's verdict
    expect(await load({ pool: db.pool, request, status, config, registry })).toBeNull();
    expect(verdictOf(status, null)).toMatchObject({ bot_id: null, blockers: status.autonomy.blockers, trading_state: status.trading_state });

    // a running bot whose last market data is an hour of open market old (as in the gate --bot test above)
    let start = Date.now() - 6 * 86_400_000;
    while (!(isOpen('equity_index', start) && openSecondsBetween('equity_index', start, start + 3_600_000) === 3600)) start += 15 * 60_000;
    const bot = randomUUID();
    const run = await startRun(db.pool, { botId: bot, mode: 'paper' });
    await db.pool.query('update bot_runs set started_at = $2 where id = $1', [run.id, new Date(start - 600_000)]);
    const trace = newTraceId();
    await insertEvents(db.pool, [
      {
        id: randomUUID(),
        created_at: new Date(start),
        user_id: null,
        bot_id: bot,
        run_id: run.id,
        integration: 'databento',
        operation: 'marketdata.bars',
        status: 'OK',
        latency_ms: 12,
        symbol: 'ESZ5',
        timeframe: '1m',
        records: 1,
        reason_code: null,
        trace_id: trace,
        metadata: {},
      },
    ]);

    // Panel D's read for the picked bot is gate check --bot's view (autonomyView), now
    const picked = (await load({ pool: db.pool, request: { ...request, botId: bot }, status, config, registry })) as AutonomyView;
    const cli = await autonomyView(db.pool, registry, config, { mode: 'shadow', botId: bot });
    expect(picked.bot_id).toBe(bot);
    const codes = (v: AutonomyView) => v.blockers.map((b) => b.code).sort();
    expect(codes(picked)).toEqual(codes(cli));
    for (const c of modeCodes) expect(picked.blockers.map((b) => b.code)).toContain(c);
    // BOT_DATA_STALE is judged in open-market time: present now exactly when the market is open now
    expect(picked.blockers.some((b) => b.code === 'BOT_DATA_STALE')).toBe(picked.market?.state === 'open');

    // what Panel D draws for the bot at an open instant: its BOT_DATA_STALE joined with the mode's blockers
    const drawn = verdictOf(status, await autonomyView(db.pool, registry, config, { mode: 'shadow', botId: bot, at: start + 3_600_000 }));
    expect(drawn.bot_id).toBe(bot);
    expect(drawn.blockers.find((b) => b.code === 'BOT_DATA_STALE')).toMatchObject({ integration: 'databento', trace_id: trace });
    for (const c of modeCodes) expect(drawn.blockers.map((b) => b.code)).toContain(c);
    expect(drawn.trading_state).toBe(status.trading_state);
    expect(modeCodes).not.toContain('BOT_DATA_STALE');

    // an unknown bot is fail-closed in Panel D as in gate check --bot
    const unknown = (await load({ pool: db.pool, request: { ...request, botId: randomUUID() }, status, config, registry })) as AutonomyView;
    expect(unknown.blockers.map((b) => b.code)).toContain('BOT_UNKNOWN');
    expect(modeCodes).not.toContain('BOT_UNKNOWN');
  });
});
