/**
 * Proof of use end to end: events written by the SDK and by the HTTP ingest endpoint, read back
 * through the CLI (execa) and the API in the same shapes; the ingest endpoint's bad inputs; the
 * fail-closed tie-in with the per-bot gate; events --follow; retention.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { tempDir } from './helpers/tmp.js';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { cli, spawnCli } from './helpers/cli.js';
import { startDaemon, stopDaemon, waitFor, type DaemonProc } from './helpers/wait.js';
import { createUsageRecorder, type UsageRecorder } from '../src/sdk/index.js';
import { registerSecret } from '../src/core/redact.js';
import { newEventId } from '../src/core/trace.js';
import { validateBatch } from '../src/core/events-schema.js';
import { insertEvents } from '../src/core/db/usage-events.js';

const TOKEN = 'tok-e2e-usage-0123456789abcdef';
const SECRET = 'CANARYsecretvalue9f8e7d6c5b4a';

let db: TestDb;
let daemon: DaemonProc;
let base = '';
let env: Record<string, string>;
let sdk: UsageRecorder;
const botA = randomUUID();
const botB = randomUUID();
let runA = '';
let blockedTrace = '';

const count = async (where = 'true', params: unknown[] = []) =>
  (await db.pool.query(`select count(*)::int as n from integration_usage_events where ${where}`, params)).rows[0].n as number;

function post(path: string, body: unknown, opts: { token?: string | null; raw?: string; contentType?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? TOKEN}`;
  return fetch(base + path, { method: 'POST', headers, body: opts.raw ?? JSON.stringify(body) });
}

const ev = (over: Record<string, unknown> = {}) => ({
  integration: 'polygon',
  operation: 'marketdata.bars',
  status: 'OK',
  bot_id: botB,
  symbol: 'ES',
  timeframe: '1m',
  records: 10,
  latency_ms: 12,
  ...over,
});

/**
 * Announces a body of `bytes` and sends only its first kilobyte over a raw socket: the daemon
 * must refuse on the declared size alone (413) without reading it all.
 */
function postDeclaredSize(path: string, bytes: number, token: string | null = TOKEN): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(base + path);
    const sock = connect(Number(u.port), u.hostname, () => {
      sock.write(
        `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}Content-Length: ${bytes}\r\n\r\n` +
          '['.padEnd(1024, ' '),
      );
    });
    let head = '';
    sock.on('data', (d) => {
      head += d.toString();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (m) {
        resolve(Number(m[1]));
        sock.destroy();
      }
    });
    sock.on('error', reject);
    setTimeout(() => (sock.destroy(), reject(new Error('no answer to an oversize body'))), 5000);
  });
}

beforeAll(async () => {
  db = await freshDatabase();
  // the daemon knows SECRET as a credential (as it would a real vendor key) and must never store it
  env = {
    DATABASE_URL: db.url,
    OBSERVATORY_TOKEN: TOKEN,
    POLYGON_API_KEY: SECRET,
    OBSERVATORY_PORT: '0',
    // stale after 3 beats (30 s): the daemon stays fresh on a loaded machine
    OBSERVATORY_HEARTBEAT_MS: '10000',
    OBSERVATORY_HOME: tempDir('obs-usage-'),
  };
  daemon = await startDaemon(env);
  base = daemon.base;
  registerSecret(SECRET);
  sdk = createUsageRecorder({ pool: db.pool, spoolPath: join(env.OBSERVATORY_HOME, 'spool.jsonl'), exitHooks: false });
});

afterAll(async () => {
  await sdk?.close();
  await stopDaemon(daemon);
});

describe('ingest API: each bad input is a clear 4xx and nothing is stored', () => {
  it('missing or wrong token ⇒ 401', async () => {
    expect((await post('/api/usage-events', [ev()], { token: null })).status).toBe(401);
    const wrong = await post('/api/usage-events', [ev()], { token: 'not-the-token-at-all-0000' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain(TOKEN);
    // refused before the body is read: a tokenless client cannot make the daemon buffer megabytes
    expect(await postDeclaredSize('/api/usage-events', 4 * 1024 * 1024, null)).toBe(401);
    expect(await count()).toBe(0);
  });

  it('invalid JSON, not an array, wrong content type ⇒ 4xx', async () => {
    const bad = await post('/api/usage-events', null, { raw: '[{"integration": ' });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { success: boolean; trace_id: string };
    expect(body.success).toBe(false);
    expect(body.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect((await post('/api/usage-events', { not: 'an array' })).status).toBe(400);
    expect((await post('/api/usage-events', null, { raw: 'hello', contentType: 'text/plain' })).status).toBe(415);
    expect(await count()).toBe(0);
  });

  it('a batch with bad events names the index and field of every one, and stores none of the batch', async () => {
    const res = await post('/api/usage-events', [
      ev(),
      ev({ status: 'MAYBE' }),
      ev({ records: 'ten', latency_ms: -1 }),
      ev(),
      ev({ metadata: { a: { b: { c: { d: { e: { f: 1 } } } } } } }),
      ev({ metadata: { blob: 'x'.repeat(20_000) } }),
      ev({ bot_id: 'not-a-uuid' }),
    ]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { errors: Array<{ index: number; field: string; message: string }> } };
    const where = body.error.errors.map((e) => `${e.index}:${e.field}`);
    expect(where).toEqual(expect.arrayContaining(['1:status', '2:records', '2:latency_ms', '6:bot_id']));
    expect(where.some((w) => w.startsWith('4:metadata'))).toBe(true);
    expect(where.some((w) => w.startsWith('5:metadata'))).toBe(true);
    expect(where.some((w) => w.startsWith('0:') || w.startsWith('3:'))).toBe(false);
    expect(await count()).toBe(0);
  });

  it('an oversize body ⇒ 413; 10,001 events ⇒ 413; 10,000 events ⇒ all stored', async () => {
    expect(await postDeclaredSize('/api/usage-events', 9 * 1024 * 1024)).toBe(413); // the limit is 8 MiB
    expect(
      (
        await post(
          '/api/usage-events',
          Array.from({ length: 10_001 }, () => ev()),
        )
      ).status,
    ).toBe(413);
    expect(await count()).toBe(0);
    const ok = await post(
      '/api/usage-events',
      Array.from({ length: 10_000 }, () => ev()),
    );
    expect(ok.status).toBe(202);
    const body = (await ok.json()) as { stored: number; ids: string[] };
    expect(body.stored).toBe(10_000);
    expect(await count()).toBe(10_000);
    // replaying the same ids stores nothing new: ids the server assigns are UUIDv7 carrying the event's time
    const again = await post(
      '/api/usage-events',
      body.ids.slice(0, 100).map((id) => ev({ id, created_at: undefined })),
    );
    expect(again.status).toBe(202);
    expect(await count()).toBe(10_000);
    // a retry of a writer's own v4 id without its time would be a second event: refused, naming the field
    const v4 = await post('/api/usage-events', [ev({ id: randomUUID() })]);
    expect(v4.status).toBe(400);
    expect(((await v4.json()) as { error: { errors: Array<{ field: string }> } }).error.errors.map((e) => e.field)).toEqual(['created_at']);
    expect(await count()).toBe(10_000);
  });

  it('unstorable text (NUL, unpaired surrogates) and non-finite numbers are a 400 naming the event, not a 500', async () => {
    const res = await post('/api/usage-events', [ev(), ev({ metadata: { note: 'a\u0000b' } }), ev({ metadata: { ['k\ud800']: 1 } })]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { errors: Array<{ index: number; field: string; message: string }> } };
    expect(body.error.errors.map((e) => `${e.index}:${e.field}`)).toEqual(['1:metadata', '2:metadata']);
    expect(body.error.errors[0].message).toMatch(/NUL character or invalid Unicode/);
    const big = await fetch(`${base}/api/usage-events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: '[{"integration":"polygon","operation":"marketdata.bars","status":"OK","metadata":{"n":1e400}}]',
    });
    expect(big.status).toBe(400);
  });

  it('a secret-shaped value in metadata is stored redacted; deny-listed keys are dropped', async () => {
    const id = newEventId();
    const res = await post('/api/usage-events', [
      ev({ id, metadata: { endpoint: `/v2/aggs?apiKey=${SECRET}`, note: `key ${SECRET}`, password: 'hunter22', prompt: 'say hi', model: 'x' } }),
    ]);
    expect(res.status).toBe(202);
    const { rows } = await db.pool.query('select metadata::text as m from integration_usage_events where id = $1', [id]);
    expect(rows[0].m).not.toContain(SECRET);
    expect(rows[0].m).not.toContain('hunter22');
    expect(rows[0].m).not.toContain('say hi');
    expect(rows[0].m).toContain('[REDACTED]');
  });

  it('runs over HTTP: start, heartbeat, finish', async () => {
    const bot = randomUUID();
    const start = await post('/api/runs', { bot_id: bot, bot_name: 'http-bot', mode: 'shadow', job_kind: 'backtest' });
    expect(start.status).toBe(201);
    const { run } = (await start.json()) as { run: { id: string; status: string } };
    expect(run.status).toBe('RUNNING');
    expect((await post(`/api/runs/${run.id}/heartbeat`, {})).status).toBe(200);
    const fin = await post(`/api/runs/${run.id}/finish`, { terminal_state: 'SUCCEEDED' });
    expect(fin.status).toBe(200);
    expect((await post(`/api/runs/${run.id}/finish`, { terminal_state: 'EXPLODED' })).status).toBe(400);
    expect((await post(`/api/runs/${run.id}/finish`, { terminal_state: 'SUCCEEDED' })).status).toBe(200); // a retry
    const conflict = await post(`/api/runs/${run.id}/finish`, { terminal_state: 'FAILED', reason_code: 'LATE' });
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as { error: { message: string } }).error.message).toMatch(/already ended SUCCEEDED/);
    expect((await post(`/api/runs/${run.id}/finish`, { terminal_state: 'SUCCEEDED', reason_code: 'OTHER' })).status).toBe(409);
    expect((await post('/api/runs', { bot_id: bot, mode: 'yolo' })).status).toBe(400);
    expect((await post('/api/runs', { bot_id: bot, mode: 'paper' }, { token: null })).status).toBe(401);
  });
});

describe('proof, events and variables on rows the SDK wrote', () => {
  it("the SDK records a bot's activity", async () => {
    const run = await sdk.runs.start({ botId: botA, botName: 'alpha', mode: 'paper', jobKind: 'run' });
    runA = run.id;
    await sdk.track(
      {
        integration: 'databento',
        operation: 'marketdata.bars',
        botId: botA,
        runId: runA,
        symbol: 'ES',
        timeframe: '1m',
        records: (bars: number[]) => bars.length,
        featureKeysUsed: ['md.vwap', 'md.atr'],
      },
      async () => [1, 2, 3, 4, 5],
    );
    await sdk.track(
      { integration: 'risk_engine', operation: 'risk.check', botId: botA, runId: runA, featureKeysUsed: ['risk.max_contracts'] },
      async () => true,
    );
    await sdk.track(
      { integration: 'openai', operation: 'llm.chat', botId: botA, runId: runA, model: 'gpt-4o-mini', purpose: 'regime_classification' },
      async () => 'ok',
    );
    await expect(
      sdk.track({ integration: 'polygon', operation: 'marketdata.bars', botId: botA, runId: runA }, async () => {
        throw Object.assign(new Error(`HTTP 500 for key ${SECRET}`), { code: 'UPSTREAM_5XX' });
      }),
    ).rejects.toThrow();
    const blocked = sdk.recordBlocked(
      { integration: 'ironbeam', operation: 'broker.place_order', botId: botA, runId: runA, symbol: 'ES', metadata: { action: 'place', side: 'buy', qty: 1 } },
      'MISSING_CREDENTIALS',
    );
    blockedTrace = blocked.trace_id;
    await run.heartbeat();
    await sdk.flush();
    expect(await count('bot_id = $1', [botA])).toBe(5);
  });

  it('proof via CLI and API agree, with counts from real rows', async () => {
    const list = await cli(['proof', '--json'], env);
    expect(list.exitCode).toBe(0);
    const bots = JSON.parse(list.stdout).bots.map((b: { bot_id: string }) => b.bot_id);
    expect(bots).toEqual(expect.arrayContaining([botA, botB]));

    const one = await cli(['proof', botA, '--json'], env);
    expect(one.exitCode).toBe(0);
    const cliView = JSON.parse(one.stdout);
    const api = (await (await fetch(`${base}/api/system/bots/${botA}/proof`)).json()) as typeof cliView;
    // what moves between the two reads: the envelope, the window, the heartbeat's age and the open
    // market time since the bot's last market data (a number, and the same duration in the note)
    type MarketTime = { open_seconds_since_last: number | null; note: string };
    const strip = (v: {
      trace_id?: string;
      ts?: string;
      proof: { window: unknown; last_run: Record<string, unknown> | null };
      market_time?: MarketTime | null;
    }) => ({
      ...v,
      trace_id: undefined,
      ts: undefined,
      proof: { ...v.proof, window: undefined, last_run: v.proof.last_run ? { ...v.proof.last_run, heartbeat_age_s: undefined } : null },
      market_time: v.market_time && {
        ...v.market_time,
        open_seconds_since_last: undefined,
        note: v.market_time.note.replace(/\d+[dhms]( \d+[hms])*(?= of open market since)/, '<elapsed>'),
      },
    });
    expect(strip(api)).toEqual(strip(cliView));
    // the moving field itself: both present, and the later read (the API's) saw at least as much open market
    const [cliMt, apiMt] = [cliView.market_time as MarketTime, api.market_time as MarketTime];
    expect(typeof cliMt.open_seconds_since_last).toBe('number');
    expect(apiMt.open_seconds_since_last).toBeGreaterThanOrEqual(cliMt.open_seconds_since_last!);
    const p = cliView.proof;
    expect(p.bot).toMatchObject({ id: botA, name: 'alpha' });
    expect(p.last_run).toMatchObject({ id: runA, mode: 'paper', status: 'RUNNING' });
    const by = Object.fromEntries(p.integrations.map((i: { integration: string }) => [i.integration, i]));
    expect(by.databento.market_data).toEqual({ calls: 1, bars: 5 });
    expect(by.databento.used).toBe(true);
    expect(by.risk_engine.risk).toEqual({ checks: 1, violations: 0 });
    expect(by.openai.ai.models).toEqual([{ model: 'gpt-4o-mini', calls: 1 }]);
    expect(by.polygon.error).toBe(1);
    expect(by.ironbeam.blocked_attempts[0]).toMatchObject({ reason_code: 'MISSING_CREDENTIALS', last_trace_id: blockedTrace });
    expect(by.ironbeam.broker.used_live_or_paper).toBe(false);
    expect(JSON.stringify(cliView)).not.toContain(SECRET);

    const human = await cli(['proof', botA], env);
    expect(human.stdout).toMatch(/USED databento: 1 calls · 5 bars/);
    expect(human.stdout).toMatch(/BLOCKED MISSING_CREDENTIALS ×1/);
    expect(human.stdout).toContain(blockedTrace);
  });

  it('bots are known by name: proof NAME and gate check --bot NAME; an ambiguous name is refused with the candidates', async () => {
    const byName = await cli(['proof', 'alpha', '--json'], env);
    expect(byName.exitCode).toBe(0);
    expect(JSON.parse(byName.stdout).proof.bot).toMatchObject({ id: botA, name: 'alpha' });
    const gate = await cli(['gate', 'check', '--mode', 'paper', '--bot', 'alpha', '--json'], env);
    expect(JSON.parse(gate.stdout)).toMatchObject({ bot_id: botA, bot_ref: 'alpha' });
    const [x, y] = [randomUUID(), randomUUID()];
    await db.pool.query(`insert into bots (id, name) values ($1, 'Gemini'), ($2, 'GEMINI')`, [x, y]);
    const amb = await cli(['proof', 'gemini'], env);
    expect(amb.exitCode).toBe(64);
    expect(amb.stderr).toMatch(/bot 'gemini' is ambiguous/);
    for (const id of [x, y]) expect(amb.stderr).toContain(id);
    // the gate's convention: no verdict is UNKNOWN (3), in its JSON shape, the candidates named
    const ambGate = await cli(['gate', 'check', '--bot', 'gemini', '--json'], env);
    expect(ambGate.exitCode).toBe(3);
    expect(JSON.parse(ambGate.stdout).blockers[0]).toMatchObject({ code: 'GATE_INPUT_INVALID', message: expect.stringContaining(x) });
  });

  it('events via CLI and API: the same filters, the same shape, sanitized', async () => {
    const r = await cli(['events', '--bot', botA, '--json', '--limit', '10'], env);
    expect(r.exitCode).toBe(0);
    const view = JSON.parse(r.stdout);
    expect(view).toMatchObject({ success: true, trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(view.events).toHaveLength(5);
    expect(r.stdout).not.toContain(SECRET);
    const api = (await (await fetch(`${base}/api/system/events?bot=${botA}&limit=10`)).json()) as typeof view;
    expect(Object.keys(api).sort()).toEqual(Object.keys(view).sort());
    expect(api.events).toEqual(view.events);
    const blockedOnly = await cli(['events', '--bot', botA, '--status', 'blocked', '--since', '1h', '--json'], env);
    expect(JSON.parse(blockedOnly.stdout).events).toHaveLength(1);
    const apiBlocked = (await (await fetch(`${base}/api/system/events?bot=${botA}&status=blocked&since=1h`)).json()) as typeof view;
    expect(apiBlocked.events.map((e: { id: string }) => e.id)).toEqual(JSON.parse(blockedOnly.stdout).events.map((e: { id: string }) => e.id));
    expect((await cli(['events', '--status', 'MAYBE'], env)).exitCode).toBe(64);
    expect((await cli(['events', '--since', '2099-01-01'], env)).exitCode).toBe(64);
    const bad = await fetch(`${base}/api/system/events?status=MAYBE`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^status: expected one of/);
    expect((await fetch(`${base}/api/system/events?bot=${botA}&bot=${botA}`)).status).toBe(400);
    const none = await cli(['events', '--bot', randomUUID()], env);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/no events match \(filters: bot=/);
    const drawer = (await (await fetch(`${base}/api/system/integrations/databento/events?limit=20`)).json()) as { events: unknown[]; probes: unknown[] };
    expect(drawer.events.length).toBeGreaterThanOrEqual(1);
    expect(Array.isArray(drawer.probes)).toBe(true);
  });

  it('variables via CLI and API: catalog with availability and last_seen from feature_keys_used', async () => {
    const r = await cli(['variables', '--json'], env);
    expect(r.exitCode).toBe(0);
    const view = JSON.parse(r.stdout);
    const vwap = view.variables.find((v: { name: string }) => v.name === 'md.vwap');
    expect(vwap.last_seen_at).toBeTruthy();
    expect(vwap.last_bot_id).toBe(botA);
    expect(['OK', 'DEGRADED', 'BLOCKED']).toContain(vwap.availability);
    const api = (await (await fetch(`${base}/api/system/variables`)).json()) as typeof view;
    expect(api.variables.map((v: { name: string }) => v.name)).toEqual(view.variables.map((v: { name: string }) => v.name));
    for (const group of ['market_data', 'order_execution', 'risk', 'ai']) expect(view.variables.some((v: { group: string }) => v.group === group)).toBe(true);
    expect(JSON.stringify(view)).not.toMatch(/"value"/);
  });
});

describe('fail-closed tie-in', () => {
  it('a BLOCKED event blocks that bot in gate check --bot, with its trace_id', async () => {
    const g = await cli(['gate', 'check', '--mode', 'paper', '--bot', botA, '--json'], env);
    expect(g.exitCode).toBe(2);
    const view = JSON.parse(g.stdout);
    const b = view.blockers.find((x: { code: string }) => x.code === 'BOT_BLOCKED_ATTEMPT');
    expect(b).toMatchObject({ integration: 'ironbeam', trace_id: blockedTrace });
    const api = (await (await fetch(`${base}/api/system/autonomy?mode=paper&bot=${botA}`)).json()) as { blockers: Array<{ code: string }> };
    expect(api.blockers.map((x) => x.code)).toContain('BOT_BLOCKED_ATTEMPT');
    const unknown = await cli(['gate', 'check', '--bot', randomUUID(), '--json'], env);
    expect(JSON.parse(unknown.stdout).blockers.map((x: { code: string }) => x.code)).toContain('BOT_UNKNOWN');
  });

  it('a running run whose heartbeat is stale blocks its bot', async () => {
    const bot = randomUUID();
    const run = await sdk.runs.start({ botId: bot, mode: 'shadow' });
    await db.pool.query(`update bot_runs set heartbeat_at = now() - interval '10 minutes' where id = $1`, [run.id]);
    const g = await cli(['gate', 'check', '--mode', 'shadow', '--bot', bot, '--json'], env);
    expect(g.exitCode).toBe(2);
    const stale = JSON.parse(g.stdout).blockers.find((x: { code: string }) => x.code === 'BOT_HEARTBEAT_STALE');
    expect(stale.trace_id).toBe(run.trace_id);
  });
});

describe('events --follow', () => {
  it('streams an event written after it started', async () => {
    const f = spawnCli(['events', '--follow', '--json', '--integration', 'tradovate'], env);
    let out = '';
    f.stdout?.on('data', (d) => (out += d));
    await new Promise((r) => setTimeout(r, 1500));
    const id = newEventId();
    expect((await post('/api/usage-events', [ev({ id, integration: 'tradovate', operation: 'broker.place_order' })])).status).toBe(202);
    await waitFor(() => out.includes(id), 5_000, 'followed event');
    f.kill('SIGINT');
    const r = await f;
    expect(r.exitCode).toBe(0);
  });
});

describe('retention', () => {
  it('drops whole old partitions, never rows, and keeps rollups', async () => {
    await db.pool.query(
      `create table integration_usage_events_y2020m01 partition of integration_usage_events for values from ('2020-01-01') to ('2020-02-01')`,
    );
    // history from 2020 (the ingest API refuses times over 400 days old): the same write path, a 2020 clock
    const old = validateBatch([ev({ created_at: '2020-01-15T00:00:00Z', bot_id: botB, integration: 'databento' })], {
      now: () => Date.parse('2020-01-20T00:00:00Z'),
    });
    if (!old.ok) throw new Error(JSON.stringify(old.errors));
    expect((await insertEvents(db.pool, old.rows)).inserted).toBe(1);
    const rollupsBefore = (await db.pool.query(`select sum(calls)::int as n from usage_rollups where hour < '2020-02-01'`)).rows[0].n;
    expect(rollupsBefore).toBe(1);
    const dry = await cli(['retention', '--keep', '90d', '--dry-run', '--json'], env);
    expect(JSON.parse(dry.stdout).dropped).toContain('integration_usage_events_y2020m01');
    expect(await count(`created_at < '2020-02-01'`)).toBe(1);
    const r = await cli(['retention', '--keep', '90d'], env);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/dropped .*integration_usage_events_y2020m01/);
    expect(await count(`created_at < '2020-02-01'`)).toBe(0);
    const rollupsAfter = (await db.pool.query(`select sum(calls)::int as n from usage_rollups where hour < '2020-02-01'`)).rows[0].n;
    expect(rollupsAfter).toBe(1);
    expect((await cli(['retention', '--keep', '1h'], env)).exitCode).toBe(64);
  });
});

describe('the API when reads fail', () => {
  it('a bad filter value is a 400 naming it; a store that cannot be read is a 503 STATUS_UNAVAILABLE on every read route, /metrics still answers', async () => {
    for (const q of ['since=99999999999d', 'integration=%00']) expect((await fetch(`${base}/api/system/events?${q}`)).status, q).toBe(400);
    const admin = await db.admin();
    db.pool.on('error', () => undefined); // this file's own idle connections are cut too
    try {
      await admin.query(`alter database ${db.name} allow_connections false`);
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [db.name]);
      for (const path of [
        '/api/system/bots',
        '/api/system/variables',
        '/api/system/events',
        '/api/system/integrations/polygon/events',
        `/api/system/bots/${botA}/proof`,
      ]) {
        const res = await fetch(`${base}${path}`);
        expect(res.status, path).toBe(503);
        const body = (await res.json()) as { success: boolean; trace_id: string; error: { code: string } };
        expect(body, path).toMatchObject({ success: false, error: { code: 'STATUS_UNAVAILABLE' } });
        expect(body.trace_id).toBe(res.headers.get('x-trace-id'));
      }
      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/observatory_store_up 0/);
    } finally {
      await admin.query(`alter database ${db.name} allow_connections true`);
      await admin.end();
    }
  });
});
