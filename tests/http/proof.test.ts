/**
 * daemon/routes/proof.ts: Panels B and C and the drawer over HTTP — the views' shapes, and the
 * one error body for every refusal (400 naming the parameter, 404, 503 when the store is gone).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { adminUrl, freshDatabase, type TestDb } from '../helpers/db.js';
import { withDatabase } from '../helpers/urls.js';
import { startApi, type Api } from '../helpers/api.js';
import { insertEvents, startRun } from '../../src/core/ingest.js';
import { validateBatch } from '../../src/core/events-schema.js';
import { botProofView, botsView, eventsView } from '../../src/core/views.js';

let db: TestDb;
let api: Api;
let dead: pg.Pool;
let deadApi: Api;
const bot = randomUUID();

const errorBody = (r: { headers: Headers }, code: string, message: string) => ({
  success: false,
  trace_id: r.headers.get('x-trace-id'),
  error: { code, message },
});
/** A view's body without its per-request envelope (trace id, time). */
const stripEnvelope = ({ trace_id: _t, ts: _ts, ...rest }: Record<string, unknown>) => rest;

beforeAll(async () => {
  db = await freshDatabase();
  api = await startApi(db);
  const missing = withDatabase(adminUrl(), `obs_t_missing_${randomBytes(4).toString('hex')}`);
  dead = new pg.Pool({ connectionString: missing, max: 1 });
  deadApi = await startApi({ pool: dead, url: missing });
  await startRun(db.pool, { botId: bot, botName: 'http-proof-bot', mode: 'paper' });
  const batch = validateBatch(
    [
      { integration: 'polygon', operation: 'marketdata.bars', status: 'OK', bot_id: bot, records: 7 },
      { integration: 'ironbeam', operation: 'broker.place_order', status: 'BLOCKED', reason_code: 'MISSING_CREDENTIALS', bot_id: bot },
    ],
    { maxEvents: 10, metadataLimits: { maxBytes: 8192, maxDepth: 4, maxKeys: 64 } },
  );
  if (!batch.ok) throw new Error(JSON.stringify(batch.errors));
  await insertEvents(db.pool, batch.rows);
});
afterAll(async () => {
  await api?.close();
  await deadApi?.close();
  await dead?.end();
});

describe('GET /api/system/bots', () => {
  it('the bots view (same shape as `proof --json`); limit and hours bounded', async () => {
    const r = await api.get('/api/system/bots?limit=5&hours=48');
    expect(r.status).toBe(200);
    expect(stripEnvelope(r.body)).toEqual(stripEnvelope({ ...(await botsView(db.pool, { limit: 5, sinceHours: 48 })) }));
    expect(r.body.bots.map((b: { bot_id: string }) => b.bot_id)).toEqual([bot]);
    for (const q of ['limit=0', 'limit=1001', 'hours=2161', 'hours=1.5', 'limit=x']) {
      const bad = await api.get(`/api/system/bots?${q}`);
      expect(bad.status, q).toBe(400);
      expect(bad.body, q).toEqual(errorBody(bad, 'BAD_REQUEST', 'limit: 1–1000, hours: 1–2160'));
    }
  });
});

describe('GET /api/system/bots/:id/proof', () => {
  it("one bot's proof; a bad id or window is 400, a bot never seen 404 BOT_UNKNOWN", async () => {
    const r = await api.get(`/api/system/bots/${bot}/proof`);
    expect(r.status).toBe(200);
    // the view's shape (its clock-dependent fields — window end, heartbeat age — aside)
    const view = (await botProofView(db.pool, bot))!;
    expect(Object.keys(r.body.proof).sort()).toEqual(Object.keys(view.proof).sort());
    expect(r.body.proof.integrations).toEqual(view.proof.integrations);
    expect(r.body.proof.blocked_attempts).toEqual(view.proof.blocked_attempts);
    expect(r.body.proof.last_run.id).toBe(view.proof.last_run!.id);
    expect(r.body.proof.bot).toMatchObject({ id: bot, name: 'http-proof-bot' });
    // known by name too: the same proof
    const named = await api.get('/api/system/bots/http-proof-bot/proof');
    expect(named.status).toBe(200);
    expect(named.body.proof.bot).toMatchObject({ id: bot, name: 'http-proof-bot' });
    expect(named.body.proof.integrations).toEqual(view.proof.integrations);
    const bad = await api.get('/api/system/bots/not-a-bot/proof');
    expect(bad.status).toBe(404);
    expect(bad.body).toEqual(errorBody(bad, 'BOT_UNKNOWN', 'no bot with this id or name has written any run or event'));
    expect((await api.get(`/api/system/bots/${bot}/proof?hours=0`)).status).toBe(400);
    const unknown = await api.get(`/api/system/bots/${randomUUID()}/proof`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(errorBody(unknown, 'BOT_UNKNOWN', 'no bot with this id or name has written any run or event'));
    // an ambiguous name: 400 BOT_AMBIGUOUS with the candidates, never a guess
    const [a, b] = [randomUUID(), randomUUID()];
    await db.pool.query(`insert into bots (id, name) values ($1, 'Pair'), ($2, 'PAIR')`, [a, b]);
    const amb = await api.get('/api/system/bots/pair/proof');
    expect(amb.status).toBe(400);
    expect(amb.body.error).toMatchObject({
      code: 'BOT_AMBIGUOUS',
      candidates: expect.arrayContaining([
        { bot_id: a, name: 'Pair' },
        { bot_id: b, name: 'PAIR' },
      ]),
    });
  });
});

describe('GET /api/system/events', () => {
  it('the shared filters and parser; unknown, repeated and bad filters are 400 naming them', async () => {
    const r = await api.get(`/api/system/events?bot=${bot}&status=blocked`);
    expect(r.status).toBe(200);
    expect(stripEnvelope(r.body)).toEqual(stripEnvelope({ ...(await eventsView(db.pool, { botId: bot, status: 'BLOCKED' })) }));
    expect(r.body.events).toEqual([expect.objectContaining({ integration: 'ironbeam', reason_code: 'MISSING_CREDENTIALS' })]);
    const unknown = await api.get('/api/system/events?colour=red');
    expect(unknown.body).toEqual(errorBody(unknown, 'BAD_REQUEST', 'colour: unknown or repeated filter (integration, bot, run, status, since, limit)'));
    const repeated = await api.get(`/api/system/events?bot=${bot}&bot=${bot}`);
    expect(repeated.status).toBe(400);
    expect(repeated.body.error.message).toBe('bot: unknown or repeated filter (integration, bot, run, status, since, limit)');
    const badStatus = await api.get('/api/system/events?status=MAYBE');
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^status: expected one of/) });
    // a value the database refuses (a NUL) is a 400 from the shared error handler, not a 500
    const nul = await api.get('/api/system/events?integration=%00');
    expect(nul.status).toBe(400);
    expect(nul.body.error.code).toBe('BAD_REQUEST');
  });
});

describe('GET /api/system/variables and /api/system/integrations/:name/events', () => {
  it('the catalog; the drawer for a known integration, 404 for an unknown one, 400 for a bad limit', async () => {
    const v = await api.get('/api/system/variables');
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ success: true, variables: expect.any(Array) });
    const d = await api.get('/api/system/integrations/polygon/events?limit=5');
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ success: true, integration: 'polygon', probes: [] });
    expect(d.body.events).toEqual([expect.objectContaining({ integration: 'polygon', records: 7 })]);
    const unknown = await api.get('/api/system/integrations/acme/events');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(errorBody(unknown, 'NOT_FOUND', "unknown integration 'acme'"));
    const bad = await api.get('/api/system/integrations/polygon/events?limit=201');
    expect(bad.body).toEqual(errorBody(bad, 'BAD_REQUEST', 'limit: 1–200'));
  });
});

describe('when the store cannot be read', () => {
  it('every read route is a 503 STATUS_UNAVAILABLE with the outage message (the shared error handler)', async () => {
    for (const path of [
      '/api/system/bots',
      `/api/system/bots/${bot}/proof`,
      '/api/system/variables',
      '/api/system/events',
      '/api/system/integrations/polygon/events',
    ]) {
      const r = await deadApi.get(path);
      expect(r.status, path).toBe(503);
      expect(r.body, path).toEqual({
        success: false,
        trace_id: r.headers.get('x-trace-id'),
        error: {
          code: 'STATUS_UNAVAILABLE',
          message: expect.stringMatching(/^status store unreachable: the database at 127\.0\.0\.1:\d+\/obs_t_missing_[0-9a-f]+ does not exist$/),
        },
      });
    }
  });
});
