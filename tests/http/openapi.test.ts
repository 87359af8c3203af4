/**
 * Contract: GET /api/openapi.json describes every route the daemon registers, and every real
 * response — success and error, from a live store and a dead one — validates against the
 * document's schema for its own status code (a status the document does not list fails).
 * JSON Schema 2020-12 (OpenAPI 3.1's dialect) checked by ajv.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { adminUrl, freshDatabase, type TestDb } from '../helpers/db.js';
import { withDatabase } from '../helpers/urls.js';
import { startApi, type Api } from '../helpers/api.js';
import { startRun } from '../../src/core/ingest.js';
import { injectFault } from '../../src/core/db/faults.js';
import { newTraceId } from '../../src/core/trace.js';
import { errorBodySchema, ROUTES } from '../../src/daemon/api-spec.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

let db: TestDb;
let api: Api;
let dead: pg.Pool;
let deadApi: Api;
let doc: any;
let ajv: Ajv2020;
const seen = new Map<string, Set<number>>();
const validators = new Map<string, ValidateFunction>();
const bot = randomUUID();
const probeTrace = newTraceId();
const eventTrace = newTraceId();

const pathOf = (url: string) => url.replace(/:([A-Za-z_]+)/g, '{$1}');
const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** Sends one request and holds its answer against the document. */
async function check(
  target: Api,
  method: 'GET' | 'POST',
  template: string,
  path: string,
  opts: { body?: unknown; token?: string | null; raw?: string; contentType?: string } = {},
): Promise<{ status: number; body: any }> {
  const r = method === 'GET' ? await target.get(path) : await target.post(path, opts.body, opts);
  const docPath = pathOf(template);
  const op = doc.paths[docPath]?.[method.toLowerCase()];
  expect(op, `${method} ${docPath} in the document`).toBeDefined();
  const res = op.responses[String(r.status)];
  expect(res, `${method} ${path} answered ${r.status}, which the document does not list`).toBeDefined();
  const [type] = Object.keys(res.content);
  expect(r.headers.get('content-type') ?? '', `${method} ${path} content type`).toContain(type);
  if (type === 'application/json') {
    const key = `${method} ${docPath} ${r.status}`;
    let validate = validators.get(key);
    if (!validate) {
      validate = ajv.compile({
        $ref: `openapi#${pointer('', 'paths', docPath, method.toLowerCase(), 'responses', String(r.status), 'content', type, 'schema')}`,
      });
      validators.set(key, validate);
    }
    const ok = validate(r.body);
    expect(ok, `${key}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
  }
  const k = `${method} ${template}`;
  if (!seen.has(k)) seen.set(k, new Set());
  seen.get(k)!.add(r.status);
  return r;
}

beforeAll(async () => {
  db = await freshDatabase();
  api = await startApi(db);
  const missing = withDatabase(adminUrl(), `obs_t_missing_${randomBytes(4).toString('hex')}`);
  dead = new pg.Pool({ connectionString: missing, max: 1 });
  deadApi = await startApi({ pool: dead, url: missing });
  await startRun(db.pool, { botId: bot, botName: 'contract-bot', mode: 'paper' });
  await db.pool.query(
    `insert into integration_probes (integration, probed_at, status, outcome, latency_ms, trace_id)
     values ('polygon', now() - interval '20 minutes', 'OK', 'OK', 40, $1), ('polygon', now() - interval '5 minutes', 'BLOCKED', 'UPSTREAM_5XX', 12, $2)`,
    [newTraceId(), probeTrace],
  );
  await injectFault(db.pool, { integration: 'polygon', httpStatus: 503, ttlMs: 60_000, createdBy: 'test', traceId: newTraceId() });
  const fetched = await api.get('/api/openapi.json');
  doc = fetched.body;
  ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc, 'openapi');
});
afterAll(async () => {
  await api?.close();
  await deadApi?.close();
  await dead?.end();
});

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and lists exactly the routes the server registers', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema');
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    const registered = api.routes.map((r) => {
      const [m, u] = r.split(' ');
      return `${m} ${pathOf(u)}`;
    });
    expect(new Set(registered)).toEqual(new Set(documented));
    expect(registered.length).toBe(documented.length);
  });

  it('the route schemas are the ones the routes validate with: a parameter bound in the document is the bound the route enforces', async () => {
    const limit = doc.paths['/api/system/bots'].get.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000 });
    expect((await api.get(`/api/system/bots?limit=${limit.schema.maximum}`)).status).toBe(200);
    expect((await api.get(`/api/system/bots?limit=${limit.schema.maximum + 1}`)).status).toBe(400);
    const mode = doc.paths['/api/system/status'].get.parameters.find((p: { name: string }) => p.name === 'mode');
    expect(mode.schema.enum).toEqual(['live', 'paper', 'shadow']);
    const body = doc.paths['/api/runs/{id}/finish'].post.requestBody.content['application/json'].schema;
    expect(body.properties.terminal_state.enum).toEqual(['SUCCEEDED', 'FAILED', 'BLOCKED', 'CANCELLED']);
    expect(doc.paths['/api/usage-events'].post.security).toEqual([{ bearer: [] }]);
  });
});

describe('every real response matches the document', () => {
  it('status, gate, health and metrics', async () => {
    await check(api, 'GET', '/healthz', '/healthz');
    await check(deadApi, 'GET', '/healthz', '/healthz');
    expect((await check(deadApi, 'GET', '/healthz', '/healthz?probe=live')).body).toMatchObject({ ok: true, store_reachable: false });
    await check(api, 'GET', '/healthz', '/healthz?probe=sometimes');
    for (const t of ['/api/system/status', '/api/integrations/health', '/api/system/autonomy']) {
      await check(api, 'GET', t, `${t}?mode=paper`);
      await check(api, 'GET', t, `${t}?mode=nope`);
      await check(deadApi, 'GET', t, t);
    }
    await check(api, 'GET', '/api/system/autonomy', `/api/system/autonomy?mode=paper&bot=${bot}`);
    await check(api, 'GET', '/api/system/autonomy', '/api/system/autonomy?bot=nope');
    await check(api, 'GET', '/metrics', '/metrics');
    await check(api, 'GET', '/api/openapi.json', '/api/openapi.json');
  });

  it('proof, catalog, events and the drawer', async () => {
    await check(api, 'GET', '/api/system/bots', '/api/system/bots?limit=5');
    await check(api, 'GET', '/api/system/bots', '/api/system/bots?limit=0');
    await check(deadApi, 'GET', '/api/system/bots', '/api/system/bots');
    const proof = '/api/system/bots/:id/proof';
    await check(api, 'GET', proof, `/api/system/bots/${bot}/proof`);
    await check(api, 'GET', proof, '/api/system/bots/nope/proof');
    await check(api, 'GET', proof, `/api/system/bots/${randomUUID()}/proof`);
    await check(deadApi, 'GET', proof, `/api/system/bots/${bot}/proof`);
    await check(api, 'GET', '/api/system/variables', '/api/system/variables');
    await check(deadApi, 'GET', '/api/system/variables', '/api/system/variables');
    await check(api, 'GET', '/api/system/events', '/api/system/events?limit=5');
    await check(api, 'GET', '/api/system/events', '/api/system/events?colour=red');
    await check(deadApi, 'GET', '/api/system/events', '/api/system/events');
    const drawer = '/api/system/integrations/:name/events';
    await check(api, 'GET', drawer, '/api/system/integrations/polygon/events');
    await check(api, 'GET', drawer, '/api/system/integrations/polygon/events?limit=0');
    await check(api, 'GET', drawer, '/api/system/integrations/nope/events');
    await check(deadApi, 'GET', drawer, '/api/system/integrations/polygon/events');
  });

  it('trace and history', async () => {
    const hit = await check(api, 'GET', '/api/trace/:id', `/api/trace/${probeTrace}`);
    expect(hit.body.hits.map((h: { source: string }) => h.source)).toEqual(['probe']);
    await check(api, 'GET', '/api/trace/:id', `/api/trace/${newTraceId()}`);
    await check(api, 'GET', '/api/trace/:id', '/api/trace/NOT-A-TRACE');
    await check(deadApi, 'GET', '/api/trace/:id', `/api/trace/${probeTrace}`);
    const h = await check(api, 'GET', '/api/history/:name', '/api/history/polygon?since=1h');
    expect(h.body.transitions.length).toBeGreaterThan(0);
    await check(api, 'GET', '/api/history/:name', '/api/history/polygon?since=soon');
    await check(api, 'GET', '/api/history/:name', '/api/history/nope');
    await check(deadApi, 'GET', '/api/history/:name', '/api/history/polygon');
  });

  it('ingest and the run lifecycle', async () => {
    const ev = { integration: 'polygon', operation: 'marketdata.bars', status: 'OK', bot_id: bot, records: 3, trace_id: eventTrace };
    await check(api, 'POST', '/api/usage-events', '/api/usage-events', { body: [ev] });
    await check(api, 'POST', '/api/usage-events', '/api/usage-events', { body: [{ ...ev, status: 'MAYBE' }] });
    await check(api, 'POST', '/api/usage-events', '/api/usage-events', { body: [ev], token: null });
    await check(api, 'POST', '/api/usage-events', '/api/usage-events', { raw: 'x', contentType: 'text/plain' });
    await check(deadApi, 'POST', '/api/usage-events', '/api/usage-events', { body: [ev] });

    const started = await check(api, 'POST', '/api/runs', '/api/runs', { body: { bot_id: bot, mode: 'paper' } });
    await check(api, 'POST', '/api/runs', '/api/runs', { body: { bot_id: bot, mode: 'yolo' } });
    await check(api, 'POST', '/api/runs', '/api/runs', { body: { bot_id: bot, mode: 'paper' }, token: null });
    await check(api, 'POST', '/api/runs', '/api/runs', { raw: '<run/>', contentType: 'application/xml' });
    await check(deadApi, 'POST', '/api/runs', '/api/runs', { body: { bot_id: bot, mode: 'paper' } });
    const id = started.body.run.id as string;
    const hb = '/api/runs/:id/heartbeat';
    await check(api, 'POST', hb, `/api/runs/${id}/heartbeat`, { body: {} });
    await check(api, 'POST', hb, '/api/runs/nope/heartbeat', { body: {} });
    await check(api, 'POST', hb, `/api/runs/${randomUUID()}/heartbeat`, { body: {} });
    await check(deadApi, 'POST', hb, `/api/runs/${id}/heartbeat`, { body: {} });
    const fin = '/api/runs/:id/finish';
    await check(api, 'POST', fin, `/api/runs/${id}/finish`, { body: { terminal_state: 'SUCCEEDED' } });
    await check(api, 'POST', fin, `/api/runs/${id}/finish`, { body: { terminal_state: 'FAILED', reason_code: 'X' } });
    await check(api, 'POST', fin, `/api/runs/${id}/finish`, { body: { terminal_state: 'DONE' } });
    await check(api, 'POST', fin, `/api/runs/${id}/finish`, { raw: '<finish/>', contentType: 'application/xml' });
    await check(api, 'POST', hb, `/api/runs/${id}/heartbeat`, { raw: '<beat/>', contentType: 'application/xml' });
    await check(api, 'POST', fin, `/api/runs/${randomUUID()}/finish`, { body: { terminal_state: 'CANCELLED' } });
    const traced = await check(api, 'GET', '/api/trace/:id', `/api/trace/${eventTrace}`);
    expect(traced.body.hits.map((h: { source: string }) => h.source)).toEqual(['usage_event']);
  });

  it('the market session and the kill switch', async () => {
    const open = await check(api, 'GET', '/api/session', '/api/session?group=equity_index&at=2025-01-09T16:00:00Z');
    expect(open.body).toMatchObject({ group: 'equity_index', state: 'open' });
    await check(api, 'GET', '/api/session', '/api/session');
    await check(api, 'GET', '/api/session', '/api/session?group=nope');
    await check(api, 'GET', '/api/session', '/api/session?at=soon');
    await check(api, 'GET', '/api/session', '/api/session?group=a&group=b');

    const ts = '/api/trading-state';
    await check(api, 'GET', ts, ts);
    await check(api, 'GET', ts, `${ts}?recent=nope`);
    await check(deadApi, 'GET', ts, ts);
    const halt = { command: 'halt', scope: 'integration', target: 'polygon', reason: 'contract drill', ttl: '30m' };
    const halted = await check(api, 'POST', ts, ts, { body: halt });
    expect(halted.status).toBe(201);
    expect(halted.body.in_force.map((s: { target: string }) => s.target)).toContain('polygon');
    await check(api, 'GET', ts, ts);
    await check(api, 'POST', ts, ts, { body: { ...halt, target: 'nope' } });
    await check(api, 'POST', ts, ts, { body: { ...halt, command: 'pause' } });
    await check(api, 'POST', ts, ts, { body: halt, token: null });
    await check(api, 'POST', ts, ts, { raw: '<halt/>', contentType: 'application/xml' });
    await check(api, 'POST', ts, ts, { raw: '{not json', contentType: 'application/json' });
    await check(deadApi, 'POST', ts, ts, { body: halt });

    const chk = '/api/trading-state/check';
    const order = { integration: 'polygon', side: 'buy', qty: 1, position: 0, bot_id: bot };
    const refused = await check(api, 'POST', chk, chk, { body: order });
    expect(refused.body.decision).toMatchObject({ allowed: false, reason_code: 'HALTED' });
    expect(refused.body.event_id).toEqual(expect.any(String));
    const allowed = await check(api, 'POST', chk, chk, { body: { ...order, integration: 'databento' } });
    expect(allowed.body).toMatchObject({ decision: { allowed: true }, event_id: null });
    await check(api, 'POST', chk, chk, { body: { ...order, qty: -1 } });
    await check(api, 'POST', chk, chk, { body: order, token: null });
    await check(api, 'POST', chk, chk, { raw: '<order/>', contentType: 'application/xml' });
    await check(deadApi, 'POST', chk, chk, { body: order });

    // the change is found by its trace id
    const traced = await check(api, 'GET', '/api/trace/:id', `/api/trace/${halted.body.trace_id}`);
    expect(traced.body.hits.map((h: { source: string }) => h.source)).toContain('trading_state_change');

    // a resume lifts it (201); under the two-person rule it is a request waiting for a second actor (202)
    const two = await startApi(db, { env: { OBSERVATORY_TWO_PERSON_RESUME: 'true' } });
    try {
      const pending = await check(two, 'POST', ts, ts, { body: { command: 'resume', scope: 'integration', target: 'polygon', reason: 'drill over' } });
      expect(pending).toMatchObject({ status: 202, body: { pending: true } });
      await check(two, 'GET', ts, ts);
    } finally {
      await two.close();
    }
    const resumed = await check(api, 'POST', ts, ts, { body: { command: 'resume', scope: 'integration', target: 'polygon', reason: 'drill over' } });
    expect(resumed.status).toBe(201);
  });

  it('every route was seen answering with success, and every route that can fail was seen failing', () => {
    for (const r of ROUTES) {
      const statuses = [...(seen.get(`${r.method} ${r.url}`) ?? [])];
      // an answer in the route's own shape (a readiness 503 carries the status view too)
      expect(
        statuses.some((s) => s < 300 || r.responses[s]?.schema !== errorBodySchema),
        `${r.method} ${r.url} answered in its own shape`,
      ).toBe(true);
      const canFail = Object.keys(r.responses).some((s) => Number(s) >= 400);
      if (canFail)
        expect(
          statuses.some((s) => s >= 400),
          `${r.method} ${r.url} error (seen ${statuses.join(',')})`,
        ).toBe(true);
    }
  });
});
