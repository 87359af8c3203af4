/**
 * core/views.ts: the wire shapes every face serves, read from real rows written through the
 * core write paths (probes, heartbeats, runs, events) in a real database.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { adminUrl, freshDatabase, type TestDb } from './helpers/db.js';
import { withDatabase } from './helpers/urls.js';
import { loadConfig, type Config } from '../src/core/config.js';
import { loadRegistry } from '../src/core/vendors/registry.js';
import { probeAndRecord } from '../src/core/prober.js';
import { TokenCache } from '../src/core/vendors/session.js';
import { writeHeartbeat, markStopped } from '../src/core/liveness.js';
import { clearFaults, injectFault } from '../src/core/drills.js';
import { finishRun, insertEvents, startRun } from '../src/core/ingest.js';
import { validateBatch } from '../src/core/events-schema.js';
import { STORE_UNREACHABLE_FIX } from '../src/core/errors.js';
import {
  autonomyView,
  botProofView,
  botsView,
  eventsView,
  integrationEventsView,
  metricsSnapshot,
  readDaemonInfo,
  readEvents,
  systemStatusView,
  unknownAutonomy,
} from '../src/core/views.js';
import type { Registry } from '../src/core/types.js';

let db: TestDb;
let config: Config;
let registry: Registry;
const TRACE = /^[0-9a-f]{32}$/;

const probe = (name: string) =>
  probeAndRecord(
    registry.integrations.find((s) => s.name === name)!,
    { pool: db.pool, env: config.env, riskLimits: config.riskLimits, tokenCache: new TokenCache(), daemonId: 'views-test' },
  );
const beat = (daemonId: string, over: { leader?: boolean; liveTradingEnabled?: boolean } = {}) =>
  writeHeartbeat(db.pool, {
    daemonId,
    version: 'test',
    hostname: 'h',
    pid: 1,
    startedAt: new Date(),
    leader: over.leader ?? false,
    liveTradingEnabled: over.liveTradingEnabled ?? false,
  });

beforeAll(async () => {
  db = await freshDatabase();
  // the reader's own env only: nothing from the caller's shell (the home is never written without a config file)
  config = loadConfig({ env: { DATABASE_URL: db.url, OBSERVATORY_HOME: join(tmpdir(), 'obs-views-unused') } });
  registry = loadRegistry(config);
});

describe('readDaemonInfo', () => {
  it('fresh daemons, the leader, the live-trading switch all agree on, and a clean stop', async () => {
    expect(await readDaemonInfo(db.pool, 30_000)).toEqual({
      fresh: false,
      heartbeat_age_ms: null,
      daemons: 0,
      leader: null,
      live_trading_enabled: false,
      last_stopped_age_ms: null,
    });
    await beat('d-leader', { leader: true, liveTradingEnabled: true });
    await beat('d-follower', { liveTradingEnabled: true });
    let info = await readDaemonInfo(db.pool, 30_000);
    expect(info).toMatchObject({ fresh: true, daemons: 2, leader: 'd-leader', live_trading_enabled: true, last_stopped_age_ms: null });
    expect(info.heartbeat_age_ms).toBeLessThan(5_000);
    // one fresh daemon without the switch: live trading is off (every fresh daemon must agree)
    await beat('d-follower', { liveTradingEnabled: false });
    expect((await readDaemonInfo(db.pool, 30_000)).live_trading_enabled).toBe(false);
    await markStopped(db.pool, 'd-follower');
    await markStopped(db.pool, 'd-leader');
    info = await readDaemonInfo(db.pool, 30_000);
    expect(info).toMatchObject({ fresh: false, heartbeat_age_ms: null, daemons: 0, leader: null, live_trading_enabled: false });
    expect(info.last_stopped_age_ms).toBeGreaterThanOrEqual(0);
    await db.pool.query('delete from daemon_heartbeats');
  });
});

describe('systemStatusView and autonomyView', () => {
  it('before any probe every integration is BLOCKED (NEVER_PROBED, or MISSING_CREDENTIALS without its env), never OK', async () => {
    const v = await systemStatusView(db.pool, registry, config, { mode: 'shadow' });
    expect(v.success).toBe(true);
    const by = Object.fromEntries(v.integrations.map((r) => [r.name, r]));
    expect(by.postgres).toMatchObject({ status: 'BLOCKED', reason_code: 'NEVER_PROBED', connected: true, required_for_autonomy: true, last_probe_at: null });
    expect(by.databento).toMatchObject({ status: 'BLOCKED', reason_code: 'MISSING_CREDENTIALS', connected: false, required_groups: ['marketdata'] });
    expect(v.autonomy.global_status).toBe('BLOCKED');
    expect(v.autonomy.blockers.map((b) => b.code)).toEqual(['DAEMON_STALE', 'NEVER_PROBED', 'REQUIREMENT_UNMET']);
  });

  it('every row says where its probe points: endpoint custom when a base URL is overridden (reader or prober), the broker environment, the account', async () => {
    const before = await systemStatusView(db.pool, registry, config, { mode: 'paper' });
    const row = (v: typeof before, n: string) => v.integrations.find((r) => r.name === n)!;
    expect(row(before, 'polygon')).toMatchObject({ endpoint: 'default', environment: null, account_live: null });
    expect(row(before, 'postgres')).toMatchObject({ endpoint: 'default' });
    // this reader pointed at a stand-in: its rows say so, before any probe
    const local = loadConfig({ env: { ...config.env, POLYGON_BASE_URL: 'http://127.0.0.1:9/', TRADOVATE_ENV: 'live' } });
    const v = await systemStatusView(db.pool, loadRegistry(local), local, { mode: 'paper' });
    expect(row(v, 'polygon')).toMatchObject({ endpoint: 'custom' });
    expect(row(v, 'databento')).toMatchObject({ endpoint: 'default' });
    // and the prober's evidence: tradovate probed at a custom URL on its demo host, the vendor reporting a live account
    const c = await db.pool.connect();
    try {
      const { upsertState } = await import('../src/core/db/state.js');
      const { applyProbe } = await import('../src/core/status.js');
      const spec = registry.integrations.find((s) => s.name === 'tradovate')!;
      const st = applyProbe(
        spec,
        undefined,
        { outcome: 'OK', latencyMs: 5, traceId: 'd'.repeat(32), environment: 'demo', accountLive: true, customEndpoint: true },
        { connected: true, now: new Date() },
      );
      await upsertState(c, st);
    } finally {
      c.release();
    }
    const after = await systemStatusView(db.pool, registry, config, { mode: 'paper' });
    expect(row(after, 'tradovate')).toMatchObject({ endpoint: 'custom', environment: 'demo', account_live: true });
    await db.pool.query(`delete from integration_state where integration = 'tradovate'`);
  });

  it('a recovering integration shows the recovering fix in the gate, and its hold in the status row', async () => {
    await beat('d-views', { leader: true });
    await injectFault(db.pool, { integration: 'postgres', httpStatus: 503, ttlMs: 60_000, createdBy: 'views-test', traceId: randomBytes(16).toString('hex') });
    for (let i = 0; i < 3; i++) await probe('postgres');
    let gate = await autonomyView(db.pool, registry, config, { mode: 'shadow' });
    const drill = gate.blockers.find((b) => b.integration === 'postgres')!;
    expect(drill).toMatchObject({ code: 'FAULT_INJECTED', fix: 'A drill is active: `observatory fault clear postgres`' });
    await clearFaults(db.pool, 'postgres');
    const recovered = await probe('postgres'); // a real success: one of the two needed
    expect(recovered.result.outcome).toBe('OK');
    gate = await autonomyView(db.pool, registry, config, { mode: 'shadow' });
    expect(gate.blockers.find((b) => b.integration === 'postgres')).toEqual({
      code: 'FAULT_INJECTED',
      message: expect.stringContaining('recovering: 1 of 2 consecutive successes'),
      fix: expect.stringMatching(/^Recovering: probes succeed again; OK after 2 consecutive successes/),
      integration: 'postgres',
      trace_id: recovered.result.traceId,
    });
    const row = (await systemStatusView(db.pool, registry, config, { mode: 'shadow' })).integrations.find((r) => r.name === 'postgres')!;
    expect(row).toMatchObject({ status: 'BLOCKED', reason_human: 'recovering: 1 of 2 consecutive successes', trace_id: recovered.result.traceId });
    await probe('postgres');
    gate = await autonomyView(db.pool, registry, config, { mode: 'shadow' });
    expect(gate.blockers.some((b) => b.integration === 'postgres')).toBe(false);
  });

  it('with a bot, autonomyView applies the per-bot rules itself; each bot blocker carries a trace_id', async () => {
    const unknown = randomUUID();
    const a = await autonomyView(db.pool, registry, config, { mode: 'shadow', botId: unknown });
    expect(a.bot_id).toBe(unknown);
    const bot = a.blockers.filter((b) => b.code.startsWith('BOT_'));
    // BOT_UNKNOWN has no trace of its own: it gets the evaluation's
    expect(bot).toEqual([expect.objectContaining({ code: 'BOT_UNKNOWN', integration: null, trace_id: a.trace_id })]);
    expect(a.blockers.at(-1)!.code).toBe('BOT_UNKNOWN'); // bots last, after the global rules

    const failing = randomUUID();
    const run = await startRun(db.pool, { botId: failing, mode: 'shadow' });
    await finishRun(db.pool, run.id, 'FAILED', 'BROKER_DOWN');
    const f = await autonomyView(db.pool, registry, config, { mode: 'shadow', botId: failing });
    expect(f.blockers.filter((b) => b.code.startsWith('BOT_'))).toEqual([
      expect.objectContaining({ code: 'BOT_RUN_FAILED', message: expect.stringContaining('(BROKER_DOWN)'), trace_id: run.trace_id }),
    ]);
    // without a bot: no bot rule applies
    expect((await autonomyView(db.pool, registry, config, { mode: 'shadow' })).blockers.some((b) => b.code.startsWith('BOT_'))).toBe(false);
  });

  it('a bot is known by name too: its own blockers; an unknown name blocks BOT_UNKNOWN; an ambiguous one is no verdict, naming the candidates', async () => {
    const id = randomUUID();
    const run = await startRun(db.pool, { botId: id, botName: 'views-named-bot', mode: 'paper' });
    await finishRun(db.pool, run.id, 'FAILED', 'BROKER_DOWN');
    const byName = await autonomyView(db.pool, registry, config, { mode: 'paper', botId: 'views-named-bot' });
    const byId = await autonomyView(db.pool, registry, config, { mode: 'paper', botId: id });
    expect(byName).toMatchObject({ success: true, bot_id: id, bot_ref: 'views-named-bot' });
    expect(byName.blockers.filter((b) => b.code.startsWith('BOT_'))).toEqual(byId.blockers.filter((b) => b.code.startsWith('BOT_')));
    expect(byName.blockers.map((b) => b.code)).toContain('BOT_RUN_FAILED');

    const nobody = await autonomyView(db.pool, registry, config, { mode: 'paper', botId: 'no-such-bot' });
    expect(nobody).toMatchObject({ success: true, global_status: 'BLOCKED', bot_id: null, bot_ref: 'no-such-bot' });
    expect(nobody.blockers).toContainEqual(expect.objectContaining({ code: 'BOT_UNKNOWN', message: expect.stringContaining("no bot named 'no-such-bot'") }));

    const [a, b] = [randomUUID(), randomUUID()];
    await db.pool.query(`insert into bots (id, name) values ($1, 'Twin'), ($2, 'TWIN')`, [a, b]);
    const v = await autonomyView(db.pool, registry, config, { mode: 'paper', botId: 'twin' });
    expect(v).toMatchObject({ success: false, global_status: 'UNKNOWN', mode: 'paper', bot_id: null, bot_ref: 'twin', warnings: [], daemon: null });
    expect(v.blockers).toEqual([
      {
        code: 'GATE_INPUT_INVALID',
        message: expect.stringContaining('is ambiguous'),
        fix: 'pass the bot id (UUID) instead',
        integration: null,
        trace_id: v.trace_id,
      },
    ]);
    for (const x of [a, b]) expect(v.blockers[0].message).toContain(x);
  });

  it('a store that cannot be read: UNKNOWN with the outage description (its cause, its own fix), never the last good data', async () => {
    const missing = `obs_t_missing_${randomBytes(4).toString('hex')}`;
    const dead = new pg.Pool({ connectionString: withDatabase(adminUrl(), missing), max: 1 });
    try {
      const a = await autonomyView(dead, registry, config, { mode: 'live', traceId: 'c'.repeat(32) });
      expect(a).toMatchObject({ success: false, global_status: 'UNKNOWN', trace_id: 'c'.repeat(32), daemon: null, warnings: [] });
      expect(a.blockers).toEqual([
        {
          code: 'STATUS_UNAVAILABLE',
          message: 'status store unreachable: the database does not exist',
          fix: 'create it, or fix the database name in DATABASE_URL',
          integration: 'postgres',
          trace_id: 'c'.repeat(32),
        },
      ]);
      const s = await systemStatusView(dead, registry, config, { mode: 'live' });
      expect(s).toMatchObject({ success: false, integrations: [], daemon: null, autonomy: { global_status: 'UNKNOWN', warnings: [] } });
      expect(s.autonomy.blockers[0]).toMatchObject({ code: 'STATUS_UNAVAILABLE', fix: 'create it, or fix the database name in DATABASE_URL' });
    } finally {
      await dead.end();
    }
    // an unclassified failure keeps the generic fix
    expect(unknownAutonomy(new Error('boom'), { mode: 'live', botId: null }).blockers[0]).toMatchObject({
      code: 'STATUS_UNAVAILABLE',
      fix: STORE_UNREACHABLE_FIX,
    });
  });
});

describe('metricsSnapshot', () => {
  it('the health snapshot and the last hour of probes by integration and status, from the rows', async () => {
    const { snap, probes } = await metricsSnapshot(db.pool, registry, config);
    expect(snap.effective.get('postgres')!.status).toBe('OK');
    const { rows } = await db.pool.query(`select integration, status, count(*)::int as n from integration_probes group by 1, 2`);
    expect([...probes].sort((a, b) => `${a.integration}${a.status}`.localeCompare(`${b.integration}${b.status}`))).toEqual(
      rows.sort((a, b) => `${a.integration}${a.status}`.localeCompare(`${b.integration}${b.status}`)),
    );
    expect(probes.reduce((n, p) => n + p.n, 0)).toBe(5);
  });
});

describe('events, bots and the drawer', () => {
  const bot = randomUUID();

  it('eventsView and readEvents share the filters; the drawer bounds its limit and adds the recent probes', async () => {
    const batch = validateBatch(
      Array.from({ length: 3 }, (_, i) => ({
        integration: 'polygon',
        operation: 'marketdata.bars',
        status: i === 2 ? 'BLOCKED' : 'OK',
        reason_code: i === 2 ? 'MISSING_CREDENTIALS' : undefined,
        bot_id: bot,
        records: i,
      })),
      { maxEvents: 10, metadataLimits: { maxBytes: 8192, maxDepth: 4, maxKeys: 64 } },
    );
    if (!batch.ok) throw new Error(JSON.stringify(batch.errors));
    await insertEvents(db.pool, batch.rows);
    const v = await eventsView(db.pool, { botId: bot }, 'd'.repeat(32));
    expect(v).toMatchObject({ success: true, trace_id: 'd'.repeat(32) });
    expect(v.events).toHaveLength(3);
    expect(await readEvents(db.pool, { botId: bot, status: 'BLOCKED' })).toEqual([
      expect.objectContaining({ reason_code: 'MISSING_CREDENTIALS', bot_id: bot }),
    ]);

    const drawer = await integrationEventsView(db.pool, 'postgres', { limit: 10_000 });
    expect(drawer.integration).toBe('postgres');
    expect(drawer.probes).toHaveLength(5); // bounded to 200, so every probe of this file
    expect(drawer.probes[0].trace_id).toMatch(TRACE);
    expect((await integrationEventsView(db.pool, 'polygon', { limit: 0 })).events).toHaveLength(1); // at least one
  });

  it('botsView names its window; botProofView is null for a bot never seen', async () => {
    const bots = await botsView(db.pool, { sinceHours: 48 });
    expect(bots).toMatchObject({ success: true, window_hours: 48 });
    expect(bots.bots.map((b) => b.bot_id)).toContain(bot);
    expect((await botsView(db.pool)).window_hours).toBe(24);
    expect(await botProofView(db.pool, randomUUID())).toBeNull();
    const proof = await botProofView(db.pool, bot, { traceId: 'e'.repeat(32) });
    expect(proof).toMatchObject({ success: true, trace_id: 'e'.repeat(32), proof: { bot: { id: bot } } });
  });
});

describe('DAEMON_STALE after 3 missed heartbeats', () => {
  it('a daemon silent for 3 heartbeat periods (default 5 s ⇒ 15 s) blocks the gate; 2 periods do not', async () => {
    await db.pool.query('delete from daemon_heartbeats');
    await beat('d-quiet', { leader: true });
    const at = async (ageS: number) => {
      await db.pool.query(`update daemon_heartbeats set heartbeat_at = now() - make_interval(secs => $1) where daemon_id = 'd-quiet'`, [ageS]);
      const v = await autonomyView(db.pool, registry, config, { mode: 'paper' });
      return v.blockers.map((b) => b.code).includes('DAEMON_STALE');
    };
    expect(await at(10)).toBe(false);
    expect(await at(16)).toBe(true);
    await db.pool.query('delete from daemon_heartbeats');
  });
});
