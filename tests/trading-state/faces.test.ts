/**
 * The kill switch's faces: the CLI (a real subprocess: exit codes, stdout, stderr) and the HTTP
 * API (bearer token, actor = the token's name, the check for bots in other languages), printing
 * one JSON shape; bad input exits 64 / answers 400 and writes nothing; metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, type TestDb } from '../helpers/db.js';
import { cli } from '../helpers/cli.js';
import { startApi, type Api } from '../helpers/api.js';
import { startRun } from '../../src/core/ingest.js';

let db: TestDb;
let api: Api;
let home: string;
const BOT = randomUUID();
const env = () => ({ DATABASE_URL: db.url, OBSERVATORY_HOME: home });
const rows = async () => (await db.pool.query('select count(*)::int as n from trading_state_changes')).rows[0].n as number;

beforeAll(async () => {
  db = await freshDatabase();
  home = mkdtempSync(join(tmpdir(), 'obs-kill-'));
  api = await startApi(db);
  await startRun(db.pool, { botId: BOT, mode: 'paper' });
});
afterAll(async () => {
  await api?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('CLI', () => {
  it('halt → trading-state → resume; --json is the API shape', async () => {
    const h = await cli(['halt', '--bot', BOT, '--reason', 'cli drill', '--ttl', '30m', '--json'], env());
    expect(h.exitCode).toBe(0);
    const change = JSON.parse(h.stdout);
    expect(change.change).toMatchObject({ scope: 'bot', target: BOT, state: 'HALTED', previous_state: 'ACTIVE', reason: 'cli drill' });
    expect(change.change.expires_at).not.toBeNull();
    const s = await cli(['trading-state', '--json'], env());
    expect(s.exitCode).toBe(0);
    const view = JSON.parse(s.stdout);
    const viaApi = await api.get('/api/trading-state');
    expect(Object.keys(view).sort()).toEqual(Object.keys(viaApi.body).sort());
    expect(view.in_force).toEqual(viaApi.body.in_force);
    expect(view.in_force[0]).toMatchObject({ scope: 'bot', state: 'HALTED', reason: 'cli drill', trace_id: change.change.trace_id });
    const text = await cli(['trading-state'], env());
    expect(text.stdout).toMatch(new RegExp(`HALTED\\s+bot ${BOT}.*cli drill`));
    const r = await cli(['resume', '--bot', BOT, '--reason', 'done'], env());
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`bot ${BOT}: HALTED → ACTIVE`);
  });

  it.each([
    ['no scope', ['halt', '--reason', 'x'], /exactly one scope/],
    ['two scopes', ['halt', '--global', '--bot', BOT, '--reason', 'x'], /cannot be used with|exactly one scope/],
    ['unknown bot', ['halt', '--bot', randomUUID(), '--reason', 'x'], /unknown bot/],
    ['unknown integration', ['halt', '--integration', 'nope', '--reason', 'x'], /unknown integration 'nope'/],
    ['empty reason', ['halt', '--global', '--reason', '  '], /reason is required/],
    ['missing reason', ['reduce', '--global'], /reason is required/],
    ['resume with nothing halted', ['resume', '--integration', 'tradovate', '--reason', 'x'], /nothing to resume/],
    ['TTL in the past', ['halt', '--global', '--reason', 'x', '--ttl', '2001-01-01T00:00:00Z'], /in the past/],
    ['negative TTL', ['halt', '--global', '--reason', 'x', '--ttl', '-5m'], /in the past/],
  ])('%s: one-line error, exit 64, no row', async (_n, args, msg) => {
    const before = await rows();
    const r = await cli(args, env());
    expect(r.exitCode).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(msg);
    expect(await rows()).toBe(before);
  });

  it('a global resume asks for confirmation: without a terminal or --yes it is refused, nothing written', async () => {
    expect((await cli(['halt', '--global', '--reason', 'confirm drill'], env())).exitCode).toBe(0);
    const before = await rows();
    const r = await cli(['resume', '--global', '--reason', 'ok'], env());
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toMatch(/--yes/);
    expect(await rows()).toBe(before);
    expect((await cli(['resume', '--global', '--reason', 'ok', '--yes'], env())).exitCode).toBe(0);
  });

  it('two-person rule (config file): the same actor confirming its own resume is refused, exit 64, no row', async () => {
    const cfg = join(home, 'two.json');
    (await import('node:fs')).writeFileSync(cfg, JSON.stringify({ trading_state: { two_person_resume: true } }));
    const e = { ...env(), OBSERVATORY_CONFIG: cfg };
    expect((await cli(['halt', '--integration', 'tradovate', '--reason', 'broker incident'], e)).exitCode).toBe(0);
    const req = await cli(['resume', '--integration', 'tradovate', '--reason', 'fixed'], e);
    expect(req.exitCode).toBe(0);
    expect(req.stdout).toMatch(/requested by .*two-person rule/);
    const before = await rows();
    const same = await cli(['resume', '--integration', 'tradovate', '--reason', 'fixed'], e);
    expect(same.exitCode).toBe(64);
    expect(same.stderr).toMatch(/second, different actor/);
    expect(await rows()).toBe(before);
    // a different actor (the API token) confirms: its own row
    const ok = await api.post('/api/trading-state', { command: 'resume', scope: 'integration', target: 'tradovate', reason: 'confirmed' });
    expect(ok.status).toBe(201);
    // the API's config has no two-person rule: it writes a plain change; the pending request is superseded
    expect((await api.get('/api/trading-state')).body.pending).toEqual([]);
  });
});

describe('HTTP', () => {
  it('POST needs the bearer token; the actor is the token’s name; 201 with the CLI’s shape', async () => {
    expect((await api.post('/api/trading-state', { command: 'halt', scope: 'global', reason: 'x' }, { token: null })).status).toBe(401);
    const r = await api.post('/api/trading-state', { command: 'halt', scope: 'global', reason: 'api drill', ttl: '10m' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ success: true, trace_id: r.headers.get('x-trace-id'), pending: false });
    expect(r.body.change).toMatchObject({ actor: 'api-token:OBSERVATORY_TOKEN', state: 'HALTED', trace_id: r.headers.get('x-trace-id') });
    expect(Object.keys(r.body).sort()).toEqual(['change', 'in_force', 'pending', 'success', 'trace_id', 'ts']);
  });

  it('the check for bots in other languages: a refusal is a BLOCKED HALTED usage event', async () => {
    const r = await api.post('/api/trading-state/check', { integration: 'tradovate', side: 'buy', qty: 1, position: 0, bot_id: BOT });
    expect(r.status).toBe(200);
    expect(r.body.decision).toMatchObject({ allowed: false, reason_code: 'HALTED', cause: { scope: 'global' } });
    const { rows: ev } = await db.pool.query('select status, reason_code, bot_id, trace_id from integration_usage_events where id = $1', [r.body.event_id]);
    expect(ev[0]).toMatchObject({ status: 'BLOCKED', reason_code: 'HALTED', bot_id: BOT, trace_id: r.body.trace_id });
    const cancel = await api.post('/api/trading-state/check', { integration: 'tradovate', side: 'buy', qty: 1, position: 0, action: 'cancel' });
    expect(cancel.body).toMatchObject({ decision: { allowed: true }, event_id: null });
  });

  it('metrics: a gauge per scope in force, a counter of refused orders', async () => {
    const m = await api.get('/metrics');
    expect(m.body).toMatch(/observatory_trading_state_scopes\{scope="global",state="HALTED"\} 1/);
    expect(m.body).toMatch(/observatory_trading_state_scopes\{scope="bot",state="HALTED"\} 0/);
    await api.post('/api/trading-state/check', { integration: 'tradovate', side: 'sell', qty: 1, position: 0, bot_id: BOT });
    const m2 = await api.get('/metrics');
    expect(m2.body).toMatch(/observatory_trading_orders_refused_total\{state="HALTED"\} 1/);
  });

  it.each([
    [{ command: 'stop', scope: 'global', reason: 'x' }, /command/],
    [{ command: 'halt', scope: 'desk', reason: 'x' }, /unknown scope/],
    [{ command: 'halt', scope: 'bot', target: randomUUID(), reason: 'x' }, /unknown bot/],
    [{ command: 'halt', scope: 'global', reason: '' }, /reason/],
    [{ command: 'halt', scope: 'global', reason: 'x', ttl: '2001-01-01T00:00:00Z' }, /in the past/],
    [{ command: 'resume', scope: 'global', reason: 'x' }, /confirm/],
    [{ command: 'resume', scope: 'account', target: randomUUID(), reason: 'x' }, /unknown account/],
  ])('bad input %j: 400, nothing written', async (body, msg) => {
    const before = await rows();
    const r = await api.post('/api/trading-state', body);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(msg);
    expect(await rows()).toBe(before);
  });

  it('a confirmed global resume over the API', async () => {
    const r = await api.post('/api/trading-state', { command: 'resume', scope: 'global', reason: 'api ok', confirm: true });
    expect(r.status).toBe(201);
    expect(r.body.in_force).toEqual([]);
  });
});
