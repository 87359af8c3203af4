/**
 * The routes of daemon/http.ts — /healthz, status, readiness, autonomy, metrics — and what
 * every route shares: the trace id (body and header, W3C traceparent honoured), the token on
 * writes, the one error body (daemon/replies.ts) for 400 / 401 / 404 / 503.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { adminUrl, freshDatabase, type TestDb } from '../helpers/db.js';
import { withDatabase } from '../helpers/urls.js';
import { startApi, type Api } from '../helpers/api.js';
import { writeHeartbeat } from '../../src/core/liveness.js';
import { finishRun, startRun } from '../../src/core/ingest.js';

let db: TestDb;
let api: Api;
let dead: pg.Pool;
let deadApi: Api;
const missingDb = `obs_t_missing_${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  db = await freshDatabase();
  api = await startApi(db, { leader: true });
  // a store whose database does not exist: every read fails, classified
  dead = new pg.Pool({ connectionString: withDatabase(adminUrl(), missingDb), max: 1 });
  deadApi = await startApi({ pool: dead, url: withDatabase(adminUrl(), missingDb) });
});
afterAll(async () => {
  await api?.close();
  await deadApi?.close();
  await dead?.end();
});

const TRACE = /^[0-9a-f]{32}$/;

describe('every route', () => {
  it('carries a trace id in the body and the x-trace-id header; an incoming traceparent is honoured', async () => {
    const r = await api.get('/api/system/status');
    expect(r.body.trace_id).toMatch(TRACE);
    expect(r.headers.get('x-trace-id')).toBe(r.body.trace_id);
    const trace = 'ab'.repeat(16);
    const t = await api.get('/api/system/status', { traceparent: `00-${trace}-${'cd'.repeat(8)}-01` });
    expect(t.body.trace_id).toBe(trace);
  });

  it('an unknown route is the one error body, 404 NOT_FOUND naming the path without its query', async () => {
    const r = await api.get('/api/nope?x=1');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ success: false, trace_id: r.headers.get('x-trace-id'), error: { code: 'NOT_FOUND', message: 'no route GET /api/nope' } });
  });

  it('writes need the bearer token, refused before the body is read: 401 UNAUTHORIZED with www-authenticate', async () => {
    for (const token of [null, 'wrong-token-0123456789']) {
      const r = await api.post('/api/runs', { mode: 'paper' }, { token });
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer');
      expect(r.body).toEqual({
        success: false,
        trace_id: r.headers.get('x-trace-id'),
        error: { code: 'UNAUTHORIZED', message: 'missing or wrong bearer token' },
      });
    }
  });

  it('without OBSERVATORY_TOKEN on the daemon, writes say ingest is disabled', async () => {
    const noToken = await startApi(db, { env: { OBSERVATORY_TOKEN: '' } });
    try {
      const r = await noToken.post('/api/usage-events', []);
      expect(r.status).toBe(401);
      expect(r.body.error).toEqual({ code: 'UNAUTHORIZED', message: 'OBSERVATORY_TOKEN is not set on the daemon; ingest is disabled' });
      expect((await noToken.get('/api/system/status')).status).toBe(200); // reads stay open on loopback
    } finally {
      await noToken.close();
    }
  });
});

describe('GET /healthz', () => {
  it('200 with the daemon id and leadership when the store answers; 503 when it does not', async () => {
    const ok = await api.get('/healthz');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ok: true, trace_id: ok.headers.get('x-trace-id'), daemon_id: 'api-test', leader: true, store_reachable: true });
    const down = await deadApi.get('/healthz');
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ ok: false, leader: false, store_reachable: false });
  });
});

describe('GET /api/system/status and /api/integrations/health', () => {
  it('the status view for the mode (live by default); a bad mode is 400 BAD_REQUEST naming the modes', async () => {
    const r = await api.get('/api/system/status?mode=paper');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ success: true, mode: 'paper', autonomy: { global_status: 'BLOCKED' } });
    expect(r.body.integrations.map((i: { name: string }) => i.name)).toContain('postgres');
    expect((await api.get('/api/system/status')).body.mode).toBe('live');
    const bad = await api.get('/api/system/status?mode=bogus');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      success: false,
      trace_id: bad.headers.get('x-trace-id'),
      error: { code: 'BAD_REQUEST', message: 'mode must be one of live, paper, shadow' },
    });
  });

  it('readiness: 503 while autonomy is BLOCKED (nothing probed, no daemon), with the same body', async () => {
    const r = await api.get('/api/integrations/health?mode=shadow');
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ success: true, mode: 'shadow', autonomy: { global_status: 'BLOCKED' } });
    expect((await api.get('/api/integrations/health?mode=x')).status).toBe(400);
  });

  it('a store that cannot be read: 503 with success false, UNKNOWN and the outage description', async () => {
    for (const path of ['/api/system/status', '/api/integrations/health']) {
      const r = await deadApi.get(path);
      expect(r.status, path).toBe(503);
      expect(r.body, path).toMatchObject({ success: false, integrations: [], autonomy: { global_status: 'UNKNOWN' } });
      expect(r.body.autonomy.blockers[0]).toMatchObject({ code: 'STATUS_UNAVAILABLE', fix: 'create it, or fix the database name in DATABASE_URL' });
    }
  });
});

describe('GET /api/system/autonomy', () => {
  it("the gate; with ?bot= that bot's own blockers too (computed by the view, not injected)", async () => {
    await writeHeartbeat(db.pool, { daemonId: 'd1', version: 't', hostname: 'h', pid: 1, startedAt: new Date(), leader: true, liveTradingEnabled: false });
    const g = await api.get('/api/system/autonomy?mode=paper');
    expect(g.status).toBe(200);
    expect(g.body).toMatchObject({ success: true, mode: 'paper', bot_id: null, global_status: 'BLOCKED' });
    expect(g.body.blockers.some((b: { code: string }) => b.code.startsWith('BOT_'))).toBe(false);

    const bot = randomUUID();
    const run = await startRun(db.pool, { botId: bot, mode: 'paper' });
    await finishRun(db.pool, run.id, 'BLOCKED', 'MAX_DRAWDOWN');
    const b = await api.get(`/api/system/autonomy?mode=paper&bot=${bot}`);
    expect(b.body.bot_id).toBe(bot);
    expect(b.body.blockers.filter((x: { code: string }) => x.code.startsWith('BOT_'))).toEqual([
      {
        code: 'BOT_RUN_BLOCKED',
        message: `paper run ${run.id} ended BLOCKED (MAX_DRAWDOWN), and no run has started since`,
        fix: 'Fix the cause (MAX_DRAWDOWN) and start a new run; the gate clears once a run starts after it',
        integration: null,
        trace_id: run.trace_id,
      },
    ]);
  });

  it('a bot given twice or by an ambiguous name is 400, never a gate without the bot; a name resolves', async () => {
    const twice = await api.get(`/api/system/autonomy?bot=${randomUUID()}&bot=${randomUUID()}`);
    expect(twice.status).toBe(400);
    expect(twice.body).toEqual({
      success: false,
      trace_id: twice.headers.get('x-trace-id'),
      error: { code: 'BAD_REQUEST', message: 'bot must be given once' },
    });
    // a name no bot has: the gate blocks it (BOT_UNKNOWN), it does not drop the bot
    const nobody = await api.get('/api/system/autonomy?bot=es-momentum');
    expect(nobody.body).toMatchObject({ bot_id: null, bot_ref: 'es-momentum', global_status: 'BLOCKED' });
    expect(nobody.body.blockers.map((b: { code: string }) => b.code)).toContain('BOT_UNKNOWN');
    const id = randomUUID();
    await startRun(db.pool, { botId: id, botName: 'sys-named', mode: 'paper' });
    const named = await api.get('/api/system/autonomy?mode=paper&bot=sys-named');
    expect(named.body).toMatchObject({ bot_id: id, bot_ref: 'sys-named' });
    expect(named.body.blockers.map((b: { code: string }) => b.code)).not.toContain('BOT_UNKNOWN');
    await db.pool.query(`insert into bots (id, name) values ($1, 'Dup'), ($2, 'DUP')`, [randomUUID(), randomUUID()]);
    const amb = await api.get('/api/system/autonomy?bot=dup');
    expect(amb.status).toBe(400);
    expect(amb.body.error).toMatchObject({ code: 'BOT_AMBIGUOUS', candidates: expect.any(Array) });
    expect(amb.body.error.candidates).toHaveLength(2);
    expect((await api.get('/api/system/autonomy?mode=nope')).status).toBe(400);
  });

  it('a store that cannot be read: 503 UNKNOWN STATUS_UNAVAILABLE', async () => {
    const r = await deadApi.get('/api/system/autonomy?mode=live');
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ success: false, global_status: 'UNKNOWN', blockers: [{ code: 'STATUS_UNAVAILABLE', integration: 'postgres' }] });
  });
});

describe('GET /metrics', () => {
  it('Prometheus text from the same views; a dead store reads as store_up 0, never a 500', async () => {
    const m = await api.get('/metrics');
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(m.body).toMatch(/^observatory_store_up 1$/m);
    expect(m.body).toMatch(/^observatory_daemon_leader 1$/m);
    expect(m.body).toMatch(/^observatory_integration_status\{integration="postgres",status="BLOCKED"\} 1$/m);
    expect(m.body).toMatch(/^observatory_autonomy_status\{mode="paper",status="BLOCKED"\} 1$/m);
    const d = await deadApi.get('/metrics');
    expect(d.status).toBe(200);
    expect(d.body).toMatch(/^observatory_store_up 0$/m);
    expect(d.body).toMatch(/^observatory_autonomy_status\{mode="live",status="UNKNOWN"\} 1$/m);
  });
});
