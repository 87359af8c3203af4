/**
 * Every HTTP vendor probe against its local stand-in: status classification, timeout,
 * refused, slow, malformed, redirect, missing credentials, traceparent.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runProbe } from '../src/core/vendors/probe.js';
import type { ProbeDef } from '../src/core/types.js';
import { closedPortUrl, type Standin } from './standins/server.js';
import * as vendors from './standins/vendors.js';
import { canaryEnv, makeCtx, makeSpec, TEST_TIMEOUT_MS, vendorDef } from './standins/fixtures.js';

const env = canaryEnv();

type VendorName = 'databento' | 'polygon' | 'openai' | 'tradovate' | 'ironbeam';

/** what a status means for each vendor where its documentation says more than the status rules */
const BY_VENDOR: Partial<Record<VendorName, Partial<Record<number, string>>>> = {
  databento: { 403: 'ENTITLEMENT_DENIED' }, // 403 = the licence
  polygon: { 403: 'ENTITLEMENT_DENIED' }, // 403 NOT_AUTHORIZED = the plan
  tradovate: { 429: 'VENDOR_PENALTY' }, // a lockout every request extends
};

const VENDORS: Array<{ name: VendorName; make: () => Standin; envVars: string[]; required?: string[] }> = [
  { name: 'databento', make: () => vendors.databento(env.DATABENTO_API_KEY), envVars: ['DATABENTO_API_KEY'] },
  { name: 'polygon', make: () => vendors.polygon(env.POLYGON_API_KEY), envVars: ['POLYGON_API_KEY'] },
  { name: 'openai', make: () => vendors.openai(env.OPENAI_API_KEY), envVars: ['OPENAI_API_KEY'] },
  {
    name: 'tradovate',
    make: () => vendors.tradovate({ name: env.TRADOVATE_USERNAME, password: env.TRADOVATE_PASSWORD, cid: env.TRADOVATE_CID, sec: env.TRADOVATE_SECRET }),
    envVars: ['TRADOVATE_USERNAME', 'TRADOVATE_PASSWORD', 'TRADOVATE_CID', 'TRADOVATE_SECRET'],
  },
  {
    name: 'ironbeam',
    make: () => vendors.ironbeam({ username: env.IRONBEAM_USERNAME, password: env.IRONBEAM_PASSWORD, apiKey: env.IRONBEAM_API_KEY }),
    envVars: ['IRONBEAM_USERNAME', 'IRONBEAM_PASSWORD', 'IRONBEAM_API_KEY'],
    required: ['IRONBEAM_USERNAME', 'IRONBEAM_API_KEY'], // the password only for enterprise users
  },
];

const def = (name: VendorName, baseUrl: string): ProbeDef => vendorDef(name, baseUrl);

describe.each(VENDORS)('$name probe', ({ name, make, envVars, required = envVars }) => {
  let s: Standin;
  beforeAll(async () => {
    s = await make().start();
  });
  afterAll(async () => {
    await s.close();
  });
  beforeEach(() => s.reset());

  const probe = (over: { env?: NodeJS.ProcessEnv; baseUrl?: string; timeoutMs?: number } = {}) => {
    const ctx = makeCtx({ env: over.env ?? env });
    return runProbe(makeSpec(def(name, over.baseUrl ?? s.baseUrl), { timeoutMs: over.timeoutMs ?? TEST_TIMEOUT_MS }), ctx).then((r) => ({ r, ctx }));
  };

  it('200 with the promised body → OK, speaking the wire format, traceparent carries the trace id', async () => {
    const { r, ctx } = await probe();
    expect(r).toMatchObject({ outcome: 'OK', httpStatus: 200, traceId: ctx.traceId });
    // OpenAI's free model list proves the key only, and its OK says so (OPENAI_QUOTA_CHECK_MODEL checks the quota)
    if (name === 'openai') expect(r.message).toMatch(/^key valid; quota not checked/);
    else expect(r.message).toBeUndefined();
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(s.requests.length).toBeGreaterThan(0);
    for (const req of s.requests) {
      expect(req.headers.traceparent).toMatch(new RegExp(`^00-${ctx.traceId}-[0-9a-f]{16}-01$`));
      for (const secret of envVars.map((n) => env[n])) expect(req.query).not.toContain(secret); // no key in any URL
    }
  });

  it.each([
    [401, 'AUTH_REJECTED'],
    [403, 'AUTH_REJECTED'],
    [429, 'RATE_LIMITED'],
    [500, 'UPSTREAM_5XX'],
    [503, 'UPSTREAM_5XX'],
    [404, 'UPSTREAM_4XX'],
    [400, 'UPSTREAM_4XX'],
  ])('HTTP %i → %s with a one-line message naming status and host only', async (status, generic) => {
    s.set({ kind: 'status', status });
    const { r } = await probe();
    const outcome = BY_VENDOR[name]?.[status] ?? generic;
    expect(r.outcome).toBe(outcome);
    expect(r.httpStatus).toBe(status);
    if (outcome === generic) expect(r.message).toBe(`HTTP ${status} from 127.0.0.1:${new URL(s.origin).port}`);
    else expect(r.message).toMatch(new RegExp(`^HTTP ${status} from 127\\.0\\.0\\.1:${new URL(s.origin).port}\\b`));
  });

  it('wrong credentials → AUTH_REJECTED (the stand-in checks them as the vendor does)', async () => {
    const wrong = Object.fromEntries(envVars.map((n) => [n, n === 'TRADOVATE_CID' ? '12345' : `wrong-${n}-value`]));
    const { r } = await probe({ env: { ...env, ...wrong } });
    expect(r.outcome).toBe('AUTH_REJECTED');
  });

  it('hang → UPSTREAM_TIMEOUT at the deadline', async () => {
    s.set({ kind: 'hang' });
    const t0 = Date.now();
    const { r } = await probe();
    expect(r.outcome).toBe('UPSTREAM_TIMEOUT');
    expect(r.message).toBe(`timeout after ${TEST_TIMEOUT_MS} ms`);
    expect(r.httpStatus).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('connection refused → UPSTREAM_NETWORK', async () => {
    const { r } = await probe({ baseUrl: await closedPortUrl(s.vendor.basePath) });
    expect(r.outcome).toBe('UPSTREAM_NETWORK');
    expect(r.message).toMatch(/^connection refused by 127\.0\.0\.1:\d+$/);
  });

  it('connection reset mid-request → UPSTREAM_NETWORK', async () => {
    s.set({ kind: 'reset' });
    const { r } = await probe();
    expect(r.outcome).toBe('UPSTREAM_NETWORK');
  });

  it('slow but under the timeout → OK with latency ≥ the delay', async () => {
    s.set({ kind: 'normal', delayMs: 120 });
    const { r } = await probe({ timeoutMs: 2_000 });
    expect(r.outcome).toBe('OK');
    expect(r.latencyMs).toBeGreaterThanOrEqual(120);
  });

  it('2xx with a body that is not JSON → UPSTREAM_BAD_RESPONSE', async () => {
    s.set({ kind: 'malformed' });
    const { r } = await probe();
    expect(r.outcome).toBe('UPSTREAM_BAD_RESPONSE');
    expect(r.httpStatus).toBe(200);
    expect(r.message).toMatch(/body not valid JSON$/);
  });

  it('2xx with JSON of the wrong shape → UPSTREAM_BAD_RESPONSE', async () => {
    s.set({ kind: 'wrong_shape' });
    const { r } = await probe();
    expect(r.outcome).toBe('UPSTREAM_BAD_RESPONSE');
  });

  it('a redirect is not followed → UPSTREAM_BAD_RESPONSE', async () => {
    s.set({ kind: 'redirect' });
    const { r } = await probe();
    expect(r).toMatchObject({ outcome: 'UPSTREAM_BAD_RESPONSE', httpStatus: 302 });
    expect(r.message).toMatch(/^unexpected redirect \(HTTP 302\) from 127\.0\.0\.1:\d+; not followed$/);
    expect(r.message).not.toMatch(/elsewhere|apiKey|https?:/i);
    expect(s.requests).toHaveLength(1);
  });

  it('missing env var → MISSING_CREDENTIALS naming it, with zero requests', async () => {
    for (const dropped of required) {
      const partial = { ...env };
      delete partial[dropped];
      const { r } = await probe({ env: partial });
      expect(r.outcome).toBe('MISSING_CREDENTIALS');
      expect(r.message).toContain(dropped);
    }
    const blank = Object.fromEntries(envVars.map((n) => [n, '  ']));
    const { r } = await probe({ env: blank });
    expect(r.outcome).toBe('MISSING_CREDENTIALS');
    expect(r.message).toBe(`missing environment variable(s): ${required.join(', ')}`);
    expect(s.requests).toHaveLength(0);
  });
});

describe('base URL conventions', () => {
  it('a trailing slash on the base and the OpenAI SDK style …/v1 base both work', async () => {
    const s = await vendors.openai(env.OPENAI_API_KEY).start();
    try {
      for (const base of [`${s.origin}/`, `${s.origin}/v1`, `${s.origin}/v1/`]) {
        const r = await runProbe(makeSpec(vendorDef('openai', base)), makeCtx({ env }));
        expect(r.outcome).toBe('OK');
      }
      expect(s.requests.map((q) => q.path)).toEqual(['/v1/models', '/v1/models', '/v1/models']);
    } finally {
      await s.close();
    }
  });

  it('an unusable base URL is a CHECK_FAILED naming the probe, not a throw', async () => {
    for (const baseUrl of ['not a url', 'ftp://example.invalid', '']) {
      const r = await runProbe(makeSpec(vendorDef('polygon', baseUrl)), makeCtx({ env }));
      expect(r).toMatchObject({ outcome: 'CHECK_FAILED', message: 'invalid baseUrl for the polygon probe (expected an http(s) URL)' });
    }
  });
});
