/**
 * daemon/routes/usage.ts: the writes bots in other languages make — a usage-event batch (atomic:
 * all or nothing, every bad event by index and field) and the run lifecycle — with the one error
 * body for every refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { adminUrl, freshDatabase, type TestDb } from '../helpers/db.js';
import { withDatabase } from '../helpers/urls.js';
import { startApi, type Api } from '../helpers/api.js';
import { newEventId } from '../../src/core/trace.js';

let db: TestDb;
let api: Api;
let dead: pg.Pool;
let deadApi: Api;
const bot = randomUUID();

const errorBody = (r: { headers: Headers }, code: string, message: string, extra: Record<string, unknown> = {}) => ({
  success: false,
  trace_id: r.headers.get('x-trace-id'),
  error: { code, message, ...extra },
});
const count = async () => (await db.pool.query('select count(*)::int as n from integration_usage_events')).rows[0].n as number;
const ev = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  integration: 'polygon',
  operation: 'marketdata.bars',
  status: 'OK',
  bot_id: bot,
  records: 3,
  ...over,
});

beforeAll(async () => {
  db = await freshDatabase();
  api = await startApi(db, { env: { OBSERVATORY_HEARTBEAT_MS: '20000', OBSERVATORY_STALE_AFTER_MS: '60000' } });
  const missing = withDatabase(adminUrl(), `obs_t_missing_${randomBytes(4).toString('hex')}`);
  dead = new pg.Pool({ connectionString: missing, max: 1 });
  deadApi = await startApi({ pool: dead, url: missing });
});
afterAll(async () => {
  await api?.close();
  await deadApi?.close();
  await dead?.end();
});

describe('POST /api/usage-events', () => {
  it('stores a batch: 202 with received, stored, duplicates and the ids; a replay stores nothing twice', async () => {
    const batch = [ev({ id: newEventId() }), ev({ id: newEventId(), status: 'BLOCKED', reason_code: 'MISSING_CREDENTIALS' })];
    const r = await api.post('/api/usage-events', batch);
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ success: true, trace_id: r.headers.get('x-trace-id'), received: 2, stored: 2, duplicates: 0, ids: batch.map((e) => e.id) });
    const again = await api.post('/api/usage-events', batch);
    expect(again.body).toMatchObject({ received: 2, stored: 0, duplicates: 2 });
    expect(await count()).toBe(2);
  });

  it('a bad event refuses the whole batch (400 INVALID_EVENTS, each problem by index and field); nothing stored', async () => {
    const before = await count();
    const r = await api.post('/api/usage-events', [ev(), ev({ status: 'MAYBE' }), ev({ integration: '' })]);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'INVALID_EVENTS', message: '2 problem(s); nothing was stored' });
    expect(r.body.error.errors.map((e: { index: number; field: string }) => `${e.index}:${e.field}`)).toEqual(['1:status', '2:integration']);
    expect(Object.keys(r.body)).toEqual(['success', 'trace_id', 'error']);
    expect(await count()).toBe(before);
  });

  it('more events than the limit is 413; not JSON is 415', async () => {
    const limited = await startApi(db, { env: {} });
    try {
      const tooMany = Array.from({ length: limited.config.limits.ingestMaxEvents + 1 }, () => ev());
      const r = await limited.post('/api/usage-events', tooMany);
      expect(r.status).toBe(413);
      expect(r.body.error.code).toBe('INVALID_EVENTS');
    } finally {
      await limited.close();
    }
    const text = await api.post('/api/usage-events', null, { contentType: 'text/plain', raw: 'hello' });
    expect(text.status).toBe(415);
    expect(text.body).toEqual(errorBody(text, 'UNSUPPORTED_MEDIA_TYPE', 'send a JSON array with content-type: application/json'));
  });
});

describe('the run lifecycle', () => {
  it('start (201) → heartbeat (200) → finish (200); then finishing differently is 409, heartbeating 404', async () => {
    const started = await api.post('/api/runs', { bot_id: bot, bot_name: 'http-bot', mode: 'paper', job_kind: 'session' });
    expect(started.status).toBe(201);
    const run = started.body.run;
    expect(run).toMatchObject({ bot_id: bot, mode: 'paper', job_kind: 'session', status: 'RUNNING' });
    const hb = await api.post(`/api/runs/${run.id}/heartbeat`, {});
    expect(hb.status).toBe(200);
    expect(hb.body).toEqual({ success: true, trace_id: hb.headers.get('x-trace-id') });
    const done = await api.post(`/api/runs/${run.id}/finish`, { terminal_state: 'SUCCEEDED' });
    expect(done.status).toBe(200);
    expect(done.body.run).toMatchObject({ id: run.id, status: 'SUCCEEDED', terminal_state: 'SUCCEEDED' });
    const conflict = await api.post(`/api/runs/${run.id}/finish`, { terminal_state: 'FAILED', reason_code: 'X' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.message).toMatch(/already ended SUCCEEDED/);
    const late = await api.post(`/api/runs/${run.id}/heartbeat`, {});
    expect(late.status).toBe(404);
    expect(late.body).toEqual(errorBody(late, 'NOT_FOUND', 'no running run with this id'));
  });

  it('a heartbeat with content-type application/json and an empty body is accepted (no body is needed); an empty batch or start is a 400, not a parse error', async () => {
    const started = await api.post('/api/runs', { bot_id: bot, bot_name: 'http-bot', mode: 'paper', job_kind: 'session' });
    const run = started.body.run;
    const hb = await api.post(`/api/runs/${run.id}/heartbeat`, undefined, { raw: '' });
    expect(hb.status).toBe(200);
    expect(hb.body).toEqual({ success: true, trace_id: hb.headers.get('x-trace-id') });
    const spaces = await api.post(`/api/runs/${run.id}/heartbeat`, undefined, { raw: ' \n' });
    expect(spaces.status).toBe(200);
    const start = await api.post('/api/runs', undefined, { raw: '' });
    expect(start.status).toBe(400);
    expect(start.body.error.code).toBe('BAD_REQUEST');
    const batch = await api.post('/api/usage-events', undefined, { raw: '' });
    expect(batch.status).toBe(400);
    // a body that is there is still parsed strictly (prototype poisoning refused)
    const poisoned = await api.post(`/api/runs/${run.id}/finish`, undefined, { raw: '{"__proto__":{"x":1},"terminal_state":"SUCCEEDED"}' });
    expect(poisoned.status).toBe(400);
    await api.post(`/api/runs/${run.id}/finish`, { terminal_state: 'SUCCEEDED' });
  });

  it("bad input names the field: 400 BAD_REQUEST (or the run rules' own code); an unknown run 404", async () => {
    const notObject = await api.post('/api/runs', [1, 2]);
    expect(notObject.body).toEqual(errorBody(notObject, 'BAD_REQUEST', 'expected a JSON object'));
    const mode = await api.post('/api/runs', { bot_id: bot, mode: 'yolo' });
    expect(mode.body).toEqual(errorBody(mode, 'BAD_REQUEST', 'field `mode`: expected one of live, paper, shadow'));
    const botId = await api.post('/api/runs', { bot_id: 'nope', mode: 'paper' });
    expect(botId.status).toBe(400);
    expect(botId.body.error.code).not.toBe('INTERNAL');
    const badId = await api.post('/api/runs/not-a-uuid/heartbeat', {});
    expect(badId.body).toEqual(errorBody(badId, 'BAD_REQUEST', 'run id must be a UUID'));
    const badState = await api.post(`/api/runs/${randomUUID()}/finish`, { terminal_state: 'DONE' });
    expect(badState.body).toEqual(errorBody(badState, 'BAD_REQUEST', 'field `terminal_state`: expected one of SUCCEEDED, FAILED, BLOCKED, CANCELLED'));
    const unknown = await api.post(`/api/runs/${randomUUID()}/finish`, { terminal_state: 'CANCELLED' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(errorBody(unknown, 'NOT_FOUND', 'no run with this id'));
  });
});

describe('when the store cannot be written', () => {
  it('unreachable: 503 STATUS_UNAVAILABLE, retry later; any other failure: 500 INTERNAL — both say nothing was stored', async () => {
    const refused = new pg.Pool({ connectionString: 'postgres://u@127.0.0.1:1/x', max: 1 });
    const refusedApi = await startApi({ pool: refused, url: 'postgres://u@127.0.0.1:1/x' });
    try {
      for (const [path, body] of [
        ['/api/usage-events', [ev()]],
        ['/api/runs', { bot_id: bot, mode: 'paper' }],
        [`/api/runs/${randomUUID()}/heartbeat`, {}],
      ] as const) {
        const r = await refusedApi.post(path, body);
        expect(r.status, path).toBe(503);
        expect(r.body, path).toEqual(errorBody(r, 'STATUS_UNAVAILABLE', 'status store unreachable; retry later (nothing was stored)'));
      }
    } finally {
      await refusedApi.close();
      await refused.end();
    }
    // a database that does not exist is not a transient outage for the write path
    const r = await deadApi.post('/api/usage-events', [ev()]);
    expect(r.status).toBe(500);
    expect(r.body).toEqual(errorBody(r, 'INTERNAL', 'write failed; nothing was stored'));
  });
});
