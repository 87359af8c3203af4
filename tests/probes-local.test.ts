/**
 * Probes that are not a vendor: Observatory's own Postgres, the risk-limits self-check (and
 * its optional HTTP endpoint), configured HTTP probes; plus isolation (a hanging probe never
 * delays another) and caller cancellation.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runProbe } from '../src/core/vendors/probe.js';
import { checkRiskLimits, RISK_NOT_CONFIGURED } from '../src/core/vendors/risk_engine.js';
import type { ProbeDef } from '../src/core/types.js';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { closedPortUrl, type Standin } from './standins/server.js';
import * as vendors from './standins/vendors.js';
import { canaryEnv, makeCtx, makeSpec, TEST_TIMEOUT_MS, vendorDef } from './standins/fixtures.js';

const VALID_LIMITS = { max_contracts: 10, max_daily_loss: 2500, max_drawdown_pct: 12.5, max_position_per_symbol: 4 };

describe('postgres probe', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  const spec = makeSpec(vendorDef('postgres'), { timeoutMs: 5_000 });

  it('select 1 + migrated schema → OK, no credentials needed', async () => {
    const r = await runProbe(spec, makeCtx({ pool: db.pool }));
    expect(r.outcome).toBe('OK');
    expect(r.httpStatus).toBeUndefined();
  });

  it('a database without the observatory schema → CHECK_FAILED', async () => {
    const empty = await freshDatabase({ migrated: false });
    const r = await runProbe(spec, makeCtx({ pool: empty.pool }));
    expect(r.outcome).toBe('CHECK_FAILED');
    expect(r.message).toMatch(/observatory schema missing.*observatory migrate/);
  });

  it('an empty observatory_migrations → CHECK_FAILED', async () => {
    const other = await freshDatabase({ migrated: false });
    await other.pool.query('create table observatory_migrations (version int primary key, name text)');
    const r = await runProbe(spec, makeCtx({ pool: other.pool }));
    expect(r).toMatchObject({ outcome: 'CHECK_FAILED' });
    expect(r.message).toMatch(/not migrated/);
  });

  it('an unreachable server → UPSTREAM_NETWORK, sanitized (no URL, no password)', async () => {
    const url = new URL(await closedPortUrl('/postgres'));
    url.protocol = 'postgres:';
    url.username = 'obs';
    url.password = 'pw-CANARY-not-to-leak';
    const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
    try {
      const r = await runProbe(spec, makeCtx({ pool }));
      expect(r.outcome).toBe('UPSTREAM_NETWORK');
      expect(r.message).toBe('database unreachable (ECONNREFUSED)');
    } finally {
      await pool.end();
    }
  });

  it('a server that accepts but never answers → UPSTREAM_TIMEOUT at the deadline', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((sock) => sockets.push(sock));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const pool = new pg.Pool({ connectionString: `postgres://obs@127.0.0.1:${port}/postgres`, max: 1 });
    pool.on('error', () => undefined);
    try {
      const r = await runProbe(makeSpec(vendorDef('postgres'), { timeoutMs: TEST_TIMEOUT_MS }), makeCtx({ pool }));
      expect(r).toMatchObject({ outcome: 'UPSTREAM_TIMEOUT', message: `timeout after ${TEST_TIMEOUT_MS} ms` });
    } finally {
      for (const sock of sockets) sock.destroy();
      await pool.end().catch(() => undefined);
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('no pool in the context → CHECK_FAILED', async () => {
    const r = await runProbe(spec, makeCtx());
    expect(r.outcome).toBe('CHECK_FAILED');
  });
});

describe('risk_engine probe', () => {
  const spec = makeSpec(vendorDef('risk_engine'));

  it('valid limits → OK', async () => {
    const r = await runProbe(spec, makeCtx({ riskLimits: { ...VALID_LIMITS } }));
    expect(r).toMatchObject({ outcome: 'OK' });
    expect(r.message).toBeUndefined();
  });

  it('missing or empty limits → CHECK_FAILED "risk limits not configured"', async () => {
    for (const riskLimits of [undefined, {}]) {
      const r = await runProbe(spec, makeCtx({ riskLimits }));
      expect(r).toMatchObject({ outcome: 'CHECK_FAILED', message: RISK_NOT_CONFIGURED });
    }
    expect(RISK_NOT_CONFIGURED).toBe('risk limits not configured (risk_limits in the config file)');
  });

  it('invalid limits → CHECK_FAILED naming every bad field, never a value', async () => {
    const bad = { max_contracts: 2.5, max_daily_loss: -987654, max_drawdown_pct: 123.456, max_position_per_symbol: 'lots' };
    const r = await runProbe(spec, makeCtx({ riskLimits: bad }));
    expect(r.outcome).toBe('CHECK_FAILED');
    expect(r.message).toBe(
      'risk_limits invalid: max_contracts (positive integer); max_daily_loss (positive number); max_drawdown_pct (number >0 and ≤100); max_position_per_symbol (positive integer)',
    );
    for (const v of ['2.5', '987654', '123.456', 'lots']) expect(r.message).not.toContain(v);
  });

  it('a missing field is reported as missing', async () => {
    const { max_daily_loss: _drop, ...rest } = VALID_LIMITS;
    const r = await runProbe(spec, makeCtx({ riskLimits: rest }));
    expect(r.message).toBe('risk_limits invalid: max_daily_loss (missing; positive number)');
  });

  it('boundaries: drawdown 100 ok, 0 rejected; zero contracts rejected; per-symbol above total rejected', () => {
    expect(checkRiskLimits({ ...VALID_LIMITS, max_drawdown_pct: 100 }).ok).toBe(true);
    expect(checkRiskLimits({ ...VALID_LIMITS, max_drawdown_pct: 0 }).ok).toBe(false);
    expect(checkRiskLimits({ ...VALID_LIMITS, max_contracts: 0 }).ok).toBe(false);
    const over = checkRiskLimits({ ...VALID_LIMITS, max_position_per_symbol: 11 });
    expect(over).toEqual({ ok: false, message: 'risk_limits invalid: max_position_per_symbol exceeds max_contracts' });
  });

  describe('with risk_limits.endpoint', () => {
    let s: Standin;
    beforeAll(async () => {
      s = await vendors.jsonService('/risk/health', { status: 'ok', engine: 'up' }).start();
    });
    afterAll(async () => {
      await s.close();
    });
    beforeEach(() => s.reset());
    const withEndpoint = (endpoint: string) => makeCtx({ riskLimits: { ...VALID_LIMITS, endpoint } });

    it('2xx JSON → OK, with traceparent', async () => {
      const ctx = withEndpoint(`${s.origin}/risk/health`);
      const r = await runProbe(spec, ctx);
      expect(r).toMatchObject({ outcome: 'OK', httpStatus: 200 });
      expect(s.requests[0].headers.traceparent).toContain(ctx.traceId);
    });

    it('503 → UPSTREAM_5XX; hang → UPSTREAM_TIMEOUT; refused → UPSTREAM_NETWORK; not JSON → UPSTREAM_BAD_RESPONSE', async () => {
      s.set({ kind: 'status', status: 503 });
      expect((await runProbe(spec, withEndpoint(`${s.origin}/risk/health`))).outcome).toBe('UPSTREAM_5XX');
      s.set({ kind: 'hang' });
      expect((await runProbe(spec, withEndpoint(`${s.origin}/risk/health`))).outcome).toBe('UPSTREAM_TIMEOUT');
      expect((await runProbe(spec, withEndpoint(await closedPortUrl('/risk/health')))).outcome).toBe('UPSTREAM_NETWORK');
      s.set({ kind: 'malformed' });
      const r = await runProbe(spec, withEndpoint(`${s.origin}/risk/health`));
      expect(r.outcome).toBe('UPSTREAM_BAD_RESPONSE');
      expect(r.message).toMatch(/^risk engine endpoint: HTTP 200 from 127\.0\.0\.1:\d+: body not valid JSON$/);
    });

    it('an endpoint that is not an http(s) URL → CHECK_FAILED naming the field', async () => {
      const r = await runProbe(spec, withEndpoint('file:///etc/passwd'));
      expect(r).toMatchObject({ outcome: 'CHECK_FAILED', message: 'risk_limits invalid: endpoint (http(s) URL)' });
    });
  });
});

describe('custom http probe', () => {
  const env = canaryEnv();
  let s: Standin;
  beforeAll(async () => {
    s = await vendors
      .jsonService(
        '/health',
        { status: 'ok', checks: { db: { up: true } }, items: [{ n: 1 }] },
        { requireHeader: ['authorization', `Bearer ${env.ACME_TOKEN}`] },
      )
      .start();
  });
  afterAll(async () => {
    await s.close();
  });
  beforeEach(() => s.reset());

  const custom = (over: Partial<Extract<ProbeDef, { type: 'http' }>> = {}): ProbeDef => ({
    type: 'http',
    url: `${s.origin}/health`,
    headersFromEnv: { Authorization: 'Bearer $ACME_TOKEN' },
    ...over,
  });
  const run = (def: ProbeDef, e: NodeJS.ProcessEnv = env) => runProbe(makeSpec(def, { envVars: [], secretEnvVars: ['ACME_TOKEN'] }), makeCtx({ env: e }));

  it('headers from env (template), JSON conditions on dotted paths → OK', async () => {
    const r = await run(custom({ expectJson: { status: 'ok', 'checks.db.up': true, 'items.0.n': 1 } }));
    expect(r).toMatchObject({ outcome: 'OK', httpStatus: 200 });
    expect(s.requests[0].headers.authorization).toBe(`Bearer ${env.ACME_TOKEN}`);
  });

  it('a plain env var name as header spec sends its value verbatim', async () => {
    const r = await run(custom({ headersFromEnv: { Authorization: 'ACME_HEADER' } }), { ACME_HEADER: `Bearer ${env.ACME_TOKEN}` });
    expect(r.outcome).toBe('OK');
  });

  it('a failed JSON condition → CHECK_FAILED naming the path, not the value', async () => {
    const r = await run(custom({ expectJson: { 'checks.db.up': false, 'missing.path': 'x' } }));
    expect(r).toMatchObject({ outcome: 'CHECK_FAILED', message: 'JSON condition failed at checks.db.up, missing.path' });
  });

  it('a header env var missing → MISSING_CREDENTIALS with no request', async () => {
    const r = await run(custom(), {});
    expect(r).toMatchObject({ outcome: 'MISSING_CREDENTIALS', message: 'missing environment variable(s): ACME_TOKEN' });
    expect(s.requests).toHaveLength(0);
  });

  it('expectStatus: an unexpected 2xx is CHECK_FAILED; an expected non-2xx is OK', async () => {
    expect((await run(custom({ expectStatus: [204] }))).outcome).toBe('CHECK_FAILED');
    s.set({ kind: 'status', status: 503 });
    expect((await run(custom({ expectStatus: [503] }))).outcome).toBe('OK');
    expect((await run(custom())).outcome).toBe('UPSTREAM_5XX');
  });

  it('maxLatencyMs exceeded → CHECK_FAILED', async () => {
    s.set({ kind: 'normal', delayMs: 80 });
    const r = await run(custom({ maxLatencyMs: 10 }));
    expect(r.outcome).toBe('CHECK_FAILED');
    expect(r.message).toMatch(/^latency \d+ ms over maxLatencyMs 10$/);
  });

  it('a header value that cannot be sent, or a URL with credentials → CHECK_FAILED, no request', async () => {
    const r1 = await run(custom(), { ACME_TOKEN: 'line1\nline2-CANARYvalue' });
    expect(r1).toMatchObject({ outcome: 'CHECK_FAILED', message: `request to 127.0.0.1:${new URL(s.origin).port} could not be built (invalid header or URL)` });
    const withCreds = new URL(`${s.origin}/health`);
    withCreds.username = 'u';
    withCreds.password = 'CANARYpw';
    const r2 = await run(custom({ url: withCreds.toString() }));
    expect(r2.outcome).toBe('CHECK_FAILED');
    expect(JSON.stringify([r1, r2])).not.toContain('CANARY');
    expect(s.requests).toHaveLength(0);
  });

  it('HEAD works; HEAD with expectJson is a config error', async () => {
    expect((await run(custom({ method: 'HEAD' }))).outcome).toBe('OK');
    expect((await run(custom({ method: 'HEAD', expectJson: { status: 'ok' } }))).outcome).toBe('CHECK_FAILED');
  });

  it('401 → AUTH_REJECTED, 429 → RATE_LIMITED, hang → UPSTREAM_TIMEOUT, redirect → UPSTREAM_BAD_RESPONSE', async () => {
    expect((await run(custom({ headersFromEnv: { Authorization: 'Bearer ${ACME_TOKEN}x' } }))).outcome).toBe('AUTH_REJECTED');
    s.set({ kind: 'status', status: 429 });
    expect((await run(custom())).outcome).toBe('RATE_LIMITED');
    s.set({ kind: 'hang' });
    expect((await run(custom())).outcome).toBe('UPSTREAM_TIMEOUT');
    s.set({ kind: 'redirect' });
    expect((await run(custom())).outcome).toBe('UPSTREAM_BAD_RESPONSE');
  });
});

describe('isolation and cancellation', () => {
  const env = canaryEnv();
  let hanging: Standin;
  let healthy: Standin;
  beforeAll(async () => {
    hanging = await vendors.databento(env.DATABENTO_API_KEY).start();
    healthy = await vendors.polygon(env.POLYGON_API_KEY).start();
  });
  afterAll(async () => {
    await hanging.close();
    await healthy.close();
  });

  it('a hanging vendor never delays another probe running beside it', async () => {
    hanging.set({ kind: 'hang' });
    const done: string[] = [];
    const slow = runProbe(makeSpec(vendorDef('databento', hanging.baseUrl), { timeoutMs: 1_500 }), makeCtx({ env })).then((r) => {
      done.push('hanging');
      return r;
    });
    const fast = runProbe(makeSpec(vendorDef('polygon', healthy.baseUrl)), makeCtx({ env })).then((r) => {
      done.push('healthy');
      return r;
    });
    const [a, b] = await Promise.all([slow, fast]);
    expect(b.outcome).toBe('OK');
    expect(a.outcome).toBe('UPSTREAM_TIMEOUT');
    expect(done).toEqual(['healthy', 'hanging']);
  });

  it("the caller's signal cuts a probe short", async () => {
    hanging.set({ kind: 'hang' });
    const ac = new AbortController();
    const p = runProbe(makeSpec(vendorDef('databento', hanging.baseUrl), { timeoutMs: 30_000 }), makeCtx({ env, signal: ac.signal }));
    setTimeout(() => ac.abort(), 50);
    const t0 = Date.now();
    const r = await p;
    expect(r).toMatchObject({ outcome: 'UPSTREAM_TIMEOUT', message: 'probe aborted by caller' });
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('a probe never throws: the timeout default applies to a nonsense timeoutMs', async () => {
    healthy.set({ kind: 'normal' });
    const r = await runProbe(makeSpec(vendorDef('polygon', healthy.baseUrl), { timeoutMs: Number.NaN }), makeCtx({ env }));
    expect(r.outcome).toBe('OK');
    expect(TEST_TIMEOUT_MS).toBeGreaterThan(0);
  });
});
