/**
 * Tradovate and Ironbeam: token caching (two probes → one login), re-authentication once on
 * 401, expiry, and the in-band failures of each login protocol.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runProbe } from '../src/core/vendors/probe.js';
import { TokenCache } from '../src/core/vendors/session.js';
import { TRADOVATE_RENEW_WINDOW_MS } from '../src/core/vendors/tradovate.js';
import { IRONBEAM_DEFAULT_TTL_MS } from '../src/core/vendors/ironbeam.js';
import type { Standin } from './standins/server.js';
import * as vendors from './standins/vendors.js';
import { canaryEnv, makeCtx, makeSpec, vendorDef } from './standins/fixtures.js';

const env = canaryEnv();

const BROKERS = [
  {
    name: 'tradovate' as const,
    make: () => vendors.tradovate({ name: env.TRADOVATE_USERNAME, password: env.TRADOVATE_PASSWORD, cid: env.TRADOVATE_CID, sec: env.TRADOVATE_SECRET }),
    probePath: '/v1/auth/me',
  },
  {
    name: 'ironbeam' as const,
    make: () => vendors.ironbeam({ username: env.IRONBEAM_USERNAME, password: env.IRONBEAM_PASSWORD, apiKey: env.IRONBEAM_API_KEY }),
    probePath: '/v2/info/trader',
  },
];

describe.each(BROKERS)('$name token session', ({ name, make, probePath }) => {
  let s: Standin;
  let cache: TokenCache;
  beforeAll(async () => {
    s = await make().start();
    // warm the HTTP client once: a cold first request can take most of the test deadline
    await runProbe(makeSpec(vendorDef(name, s.baseUrl), { timeoutMs: 10_000 }), makeCtx({ env }));
  });
  afterAll(async () => {
    await s.close();
  });
  beforeEach(() => {
    s.reset();
    cache = new TokenCache();
  });

  const spec = () => makeSpec(vendorDef(name, s.baseUrl));
  const probe = (over: Parameters<typeof makeCtx>[0] = {}) => runProbe(spec(), makeCtx({ env, tokenCache: cache, ...over }));

  it('two probes → one login; the second probes with the cached bearer token', async () => {
    expect((await probe()).outcome).toBe('OK');
    expect((await probe()).outcome).toBe('OK');
    expect(s.logins).toBe(1);
    // the fresh token proven by the check, then the cached one
    expect(s.probeRequests.map((r) => r.path)).toEqual([probePath, probePath]);
    const [tok] = [...s.validTokens];
    expect(s.probeRequests[1].headers.authorization).toBe(`Bearer ${tok}`);
    expect(cache.size).toBe(1);
  });

  it('the cache key holds a fingerprint, never a credential', async () => {
    await probe();
    const [key] = cache.keys();
    expect(key).toMatch(new RegExp(`^${name}\\|http://127\\.0\\.0\\.1:\\d+/v\\d\\|[0-9a-f]{32}$`));
    for (const v of Object.values(env)) expect(key).not.toContain(v);
  });

  it('401 on the cached token → dropped, one re-login, OK', async () => {
    await probe();
    s.revokeTokens();
    const r = await probe();
    expect(r.outcome).toBe('OK');
    expect(s.logins).toBe(2);
    expect(s.probeRequests).toHaveLength(3); // first fresh check, the rejected check, the new fresh check
  });

  it('401 on the cached token and the re-login rejected → AUTH_REJECTED, nothing cached', async () => {
    await probe();
    s.revokeTokens();
    s.set({ kind: 'status', status: 401, scope: 'login' });
    const r = await probe();
    expect(r.outcome).toBe('AUTH_REJECTED');
    expect(s.logins).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('a 5xx on the cached check keeps the token (no login storm)', async () => {
    await probe();
    s.set({ kind: 'status', status: 500, scope: 'probe' });
    expect((await probe()).outcome).toBe('UPSTREAM_5XX');
    s.set({ kind: 'normal' });
    expect((await probe()).outcome).toBe('OK');
    expect(s.logins).toBe(1);
  });

  it('403 on the cached check → AUTH_REJECTED without another login', async () => {
    await probe();
    s.set({ kind: 'status', status: 403, scope: 'probe' });
    expect((await probe()).outcome).toBe('AUTH_REJECTED');
    expect(s.logins).toBe(1);
  });

  it('a malformed check reply → UPSTREAM_BAD_RESPONSE', async () => {
    await probe();
    s.set({ kind: 'wrong_shape', scope: 'probe' });
    expect((await probe()).outcome).toBe('UPSTREAM_BAD_RESPONSE');
  });

  it('an expired token is not used: a new login happens', async () => {
    let clock = Date.now();
    await probe({ now: () => clock });
    clock += IRONBEAM_DEFAULT_TTL_MS + 60_000; // past either vendor's lifetime
    expect((await probe({ now: () => clock })).outcome).toBe('OK');
    expect(s.logins).toBe(2);
    expect(s.probeRequests).toHaveLength(2); // each fresh token proven once
  });

  it('changed credentials → a different cache entry and a fresh login', async () => {
    await probe();
    const other = { ...env };
    for (const k of Object.keys(other)) if (k.startsWith(name.toUpperCase())) other[k] = k.endsWith('_CID') ? '12345' : `${other[k]}x`;
    const r = await probe({ env: other });
    expect(r.outcome).toBe('AUTH_REJECTED'); // the stand-in only knows the original credentials
    expect(s.logins).toBe(2);
    expect(cache.size).toBe(1);
  });

  it('a login that hangs → UPSTREAM_TIMEOUT and no token cached', async () => {
    s.set({ kind: 'hang', scope: 'login' });
    const r = await probe();
    expect(r.outcome).toBe('UPSTREAM_TIMEOUT');
    expect(cache.size).toBe(0);
  });

  it('a check that hangs → UPSTREAM_TIMEOUT within the one deadline', async () => {
    await probe();
    s.set({ kind: 'hang', scope: 'probe' });
    const r = await probe();
    expect(r.outcome).toBe('UPSTREAM_TIMEOUT');
    expect(cache.size).toBe(1);
  });
});

describe('tradovate login protocol', () => {
  let s: Standin;
  beforeAll(async () => {
    s = await vendors.tradovate({ name: env.TRADOVATE_USERNAME, password: env.TRADOVATE_PASSWORD, cid: env.TRADOVATE_CID, sec: env.TRADOVATE_SECRET }).start();
  });
  afterAll(async () => {
    await s.close();
  });
  beforeEach(() => s.reset());
  const probe = (ctx = makeCtx({ env })) => runProbe(makeSpec(vendorDef('tradovate', s.baseUrl)), ctx);

  it('sends name/password/appId/appVersion/cid/sec as JSON, cid numeric', async () => {
    await probe();
    const body = JSON.parse(s.requests[0].body) as Record<string, unknown>;
    expect(body).toEqual({
      name: env.TRADOVATE_USERNAME,
      password: env.TRADOVATE_PASSWORD,
      appId: 'Observatory',
      appVersion: '1.0',
      cid: Number(env.TRADOVATE_CID),
      sec: env.TRADOVATE_SECRET,
      deviceId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
    });
    expect(s.requests[0].headers['content-type']).toBe('application/json');
  });

  it('HTTP 200 with errorText → AUTH_REJECTED, the text itself not repeated', async () => {
    s.set({ kind: 'vendor', name: 'error_text' });
    const r = await probe();
    expect(r).toMatchObject({ outcome: 'AUTH_REJECTED', httpStatus: 200 });
    expect(r.message).toMatch(/^login rejected by 127\.0\.0\.1:\d+ \(errorText set\)$/);
  });

  it('p-ticket time penalty → RATE_LIMITED with the wait, the next attempt not before it', async () => {
    s.set({ kind: 'vendor', name: 'penalty' });
    const r = await probe();
    expect(r).toMatchObject({ outcome: 'RATE_LIMITED', retryAfterMs: 15_000 });
    expect(r.message).toMatch(/resending with its ticket after 15 s$/);
  });

  it('p-captcha → VENDOR_PENALTY for at least an hour, saying a person must log in', async () => {
    s.set({ kind: 'vendor', name: 'captcha' });
    const r = await probe();
    expect(r.outcome).toBe('VENDOR_PENALTY');
    expect(r.retryAfterMs).toBeGreaterThanOrEqual(3_600_000);
    expect(r.message).toContain('captcha');
  });

  it('the token is renewed with /auth/renewaccesstoken before expirationTime, never by a new login', async () => {
    const ttl = 40 * 60_000;
    const short = await vendors
      .tradovate({ name: env.TRADOVATE_USERNAME, password: env.TRADOVATE_PASSWORD, cid: env.TRADOVATE_CID, sec: env.TRADOVATE_SECRET }, { tokenTtlMs: ttl })
      .start();
    try {
      const cache = new TokenCache();
      let clock = Date.now();
      const p = () => runProbe(makeSpec(vendorDef('tradovate', short.baseUrl)), makeCtx({ env, tokenCache: cache, now: () => clock }));
      expect((await p()).outcome).toBe('OK');
      clock += ttl - TRADOVATE_RENEW_WINDOW_MS - 60_000; // outside the renewal window
      expect((await p()).outcome).toBe('OK');
      expect(short.renewals).toBe(0);
      clock += 2 * 60_000; // inside it: renew
      expect((await p()).outcome).toBe('OK');
      expect(short.renewals).toBe(1);
      expect(short.logins).toBe(1);
      expect(short.requests.filter((r) => r.path === '/v1/auth/renewaccesstoken')).toHaveLength(1);
    } finally {
      await short.close();
    }
  });
});

describe('ironbeam login protocol', () => {
  let s: Standin;
  beforeAll(async () => {
    s = await vendors.ironbeam({ username: env.IRONBEAM_USERNAME, password: env.IRONBEAM_PASSWORD, apiKey: env.IRONBEAM_API_KEY }).start();
  });
  afterAll(async () => {
    await s.close();
  });
  beforeEach(() => s.reset());
  const probe = () => runProbe(makeSpec(vendorDef('ironbeam', s.baseUrl)), makeCtx({ env }));

  it('sends username/password/apikey (the schema spells it lower-case) as JSON to /auth', async () => {
    await probe();
    expect(s.requests[0]).toMatchObject({ method: 'POST', path: '/v2/auth' });
    expect(JSON.parse(s.requests[0].body)).toEqual({ username: env.IRONBEAM_USERNAME, password: env.IRONBEAM_PASSWORD, apikey: env.IRONBEAM_API_KEY });
  });

  it('HTTP 200 with status ERROR → AUTH_REJECTED', async () => {
    s.set({ kind: 'vendor', name: 'status_error' });
    expect((await probe()).outcome).toBe('AUTH_REJECTED');
  });
});
