/**
 * Issue 9, vendor side, probes: no OK the vendor would not confirm. Each block fails on the
 * code before it (items 1, 5, 6, 7, 8, 9, 12 of the issue), against stand-ins that follow the
 * vendors' documents (tests/standins/vendors.ts names them).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runProbe } from '../src/core/vendors/probe.js';
import { retryAfterOf } from '../src/core/vendors/http.js';
import { TokenCache, LOGIN_REFUSAL_BACKOFF_MS } from '../src/core/vendors/session.js';
import { IRONBEAM_REPROVE_MS } from '../src/core/vendors/ironbeam.js';
import { builtinSpecs } from '../src/core/vendors/specs.js';
import { applyProbe } from '../src/core/status.js';
import type { ProbeOutcome } from '../src/core/types.js';
import type { Standin } from './standins/server.js';
import * as vendors from './standins/vendors.js';
import { canaryEnv, makeCtx, makeSpec, vendorDef } from './standins/fixtures.js';

const env = canaryEnv();
const tvCreds = () => ({ name: env.TRADOVATE_USERNAME, password: env.TRADOVATE_PASSWORD, cid: env.TRADOVATE_CID, sec: env.TRADOVATE_SECRET });
const started: Standin[] = [];
async function start<T extends Standin>(s: T): Promise<T> {
  started.push(s);
  await s.start();
  // a cold first request can take most of a short deadline
  await fetch(s.origin).catch(() => undefined);
  return s;
}
afterAll(async () => {
  for (const s of started) await s.close();
});

const probeOf = (vendor: string, s: Standin, over: Parameters<typeof makeCtx>[0] = {}, timeoutMs = 3_000) =>
  runProbe(makeSpec(vendorDef(vendor, s.baseUrl), { timeoutMs }), makeCtx({ env, ...over }));

describe('item 1: the probe records what the vendor says about the account', () => {
  it('Tradovate hasLive → accountLive, also from the cached token on later rounds', async () => {
    const s = await start(vendors.tradovate(tvCreds(), { hasLive: true }));
    const cache = new TokenCache();
    expect(await probeOf('tradovate', s, { tokenCache: cache })).toMatchObject({ outcome: 'OK', accountLive: true });
    expect(await probeOf('tradovate', s, { tokenCache: cache })).toMatchObject({ outcome: 'OK', accountLive: true });
    const demo = await start(vendors.tradovate(tvCreds(), { hasLive: false }));
    expect(await probeOf('tradovate', demo)).toMatchObject({ outcome: 'OK', accountLive: false });
  });

  it('Ironbeam /info/trader isLive → accountLive', async () => {
    const s = await start(
      vendors.ironbeam({ username: env.IRONBEAM_USERNAME, password: env.IRONBEAM_PASSWORD, apiKey: env.IRONBEAM_API_KEY }, { isLive: true }),
    );
    expect(await probeOf('ironbeam', s)).toMatchObject({ outcome: 'OK', accountLive: true });
  });

  it('TRADOVATE_ENV / IRONBEAM_ENV: demo (default) or live, anything else a one-line config error', () => {
    const spec = (e: NodeJS.ProcessEnv, n: string) => builtinSpecs(e).find((x) => x.name === n)!;
    expect(spec({}, 'tradovate').probe).toMatchObject({ baseUrl: 'https://demo.tradovateapi.com/v1' });
    expect(spec({ TRADOVATE_ENV: 'live' }, 'tradovate').probe).toMatchObject({ baseUrl: 'https://live.tradovateapi.com/v1' });
    expect(spec({ IRONBEAM_ENV: 'LIVE' }, 'ironbeam').probe).toMatchObject({ baseUrl: 'https://live.ironbeamapi.com/v2' });
    expect(() => builtinSpecs({ TRADOVATE_ENV: 'staging' })).toThrow(/^environment: TRADOVATE_ENV: expected demo or live$/);
    expect(() => builtinSpecs({ IRONBEAM_ENV: 'prod' })).toThrow(/^environment: IRONBEAM_ENV: expected demo or live$/);
  });
});

describe('item 5: entitlement, not only the key', () => {
  it('Databento: get_dataset_range of the configured dataset; unlicensed → ENTITLEMENT_DENIED; no ohlcv-1m → ENTITLEMENT_DENIED', async () => {
    const s = await start(vendors.databento(env.DATABENTO_API_KEY, { licensed: ['GLBX.MDP3'] }));
    expect(await probeOf('databento', s)).toMatchObject({ outcome: 'OK', httpStatus: 200 });
    expect(s.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v0/metadata.get_dataset_range', query: '?dataset=GLBX.MDP3' });
    const r = await probeOf('databento', s, { env: { ...env, DATABENTO_DATASET: 'XNAS.ITCH' } });
    expect(r).toMatchObject({ outcome: 'ENTITLEMENT_DENIED', httpStatus: 403 });
    expect(r.message).toMatch(/^HTTP 403 from 127\.0\.0\.1:\d+: the API key's permissions or the licence do not cover this request$/);
    expect(r.message).not.toContain(env.DATABENTO_API_KEY);
    expect((await probeOf('databento', s, { env: { ...env, DATABENTO_API_KEY: 'db-wrong' } })).outcome).toBe('AUTH_REJECTED');
    const noBars = await start(vendors.databento(env.DATABENTO_API_KEY, { noBarSchema: true }));
    expect(await probeOf('databento', noBars)).toMatchObject({ outcome: 'ENTITLEMENT_DENIED' });
  });

  it('Databento 402 (account payment information, per its error table) is QUOTA_EXHAUSTED: BLOCKED, not a transient 4xx', async () => {
    const s = await start(vendors.databento(env.DATABENTO_API_KEY, { paymentIssue: true }));
    const r = await probeOf('databento', s);
    expect(r).toMatchObject({ outcome: 'QUOTA_EXHAUSTED', httpStatus: 402 });
    expect(r.message).toMatch(/^HTTP 402 from 127\.0\.0\.1:\d+: a problem with the account's payment information$/);
  });

  it('Polygon: the previous-day bar of POLYGON_SYMBOL; 403 NOT_AUTHORIZED → ENTITLEMENT_DENIED; DELAYED is data, said so; every 60 s', async () => {
    const s = await start(vendors.polygon(env.POLYGON_API_KEY));
    expect(await probeOf('polygon', s, { env: { ...env, POLYGON_SYMBOL: 'QQQ' } })).toMatchObject({ outcome: 'OK' });
    expect(s.requests.at(-1)?.path).toBe('/v2/aggs/ticker/QQQ/prev');
    s.set({ kind: 'vendor', name: 'not_authorized' });
    const denied = await probeOf('polygon', s);
    expect(denied).toMatchObject({ outcome: 'ENTITLEMENT_DENIED', httpStatus: 403 });
    expect(denied.message).toContain('NOT_AUTHORIZED');
    s.set({ kind: 'vendor', name: 'delayed' });
    const delayed = await probeOf('polygon', s);
    expect(delayed).toMatchObject({ outcome: 'OK' });
    expect(delayed.message).toMatch(/delayed/);
    s.set({ kind: 'normal' });
    expect(builtinSpecs({}).find((x) => x.name === 'polygon')!.intervalMs).toBeGreaterThanOrEqual(60_000);
  });

  it.each<ProbeOutcome>(['ENTITLEMENT_DENIED', 'QUOTA_EXHAUSTED', 'VENDOR_PENALTY'])('%s is BLOCKED at once (the vendor’s word, no hysteresis)', (outcome) => {
    const spec = makeSpec(vendorDef('polygon', 'https://api.polygon.io'), { failuresBeforeBlocked: 3 });
    const s = applyProbe(spec, undefined, { outcome, latencyMs: 5, traceId: 'a'.repeat(32) }, { connected: true, now: new Date() });
    expect(s).toMatchObject({ status: 'BLOCKED', reasonCode: outcome });
  });
});

describe('item 6: OpenAI insufficient_quota is QUOTA_EXHAUSTED, other 429s stay RATE_LIMITED', () => {
  it('classified by the error body code', async () => {
    const s = await start(vendors.openai(env.OPENAI_API_KEY));
    s.set({ kind: 'vendor', name: 'insufficient_quota' });
    const r = await probeOf('openai', s);
    expect(r).toMatchObject({ outcome: 'QUOTA_EXHAUSTED', httpStatus: 429 });
    expect(r.message).toMatch(/insufficient_quota/);
    s.set({ kind: 'vendor', name: 'rate_limit' });
    expect(await probeOf('openai', s)).toMatchObject({ outcome: 'RATE_LIMITED', httpStatus: 429, retryAfterMs: 20_000 });
  });
});

describe('item 6: an account out of credit, which the free model list does not reveal', () => {
  it('without OPENAI_QUOTA_CHECK_MODEL the OK says the quota was not checked; with it a one-token completion finds insufficient_quota', async () => {
    const s = await start(vendors.openai(env.OPENAI_API_KEY, { outOfCredit: true }));
    const cache = new TokenCache();
    const plain = await probeOf('openai', s, { tokenCache: cache });
    expect(plain).toMatchObject({ outcome: 'OK' });
    expect(plain.message).toMatch(/quota not checked .*OPENAI_QUOTA_CHECK_MODEL/);
    expect(s.requests.some((r) => r.path === '/v1/chat/completions')).toBe(false);
    const withCheck = { ...env, OPENAI_QUOTA_CHECK_MODEL: 'gpt-4o-mini' };
    const r = await probeOf('openai', s, { env: withCheck, tokenCache: cache });
    expect(r).toMatchObject({ outcome: 'QUOTA_EXHAUSTED', httpStatus: 429 });
    const chat = s.requests.filter((q) => q.path === '/v1/chat/completions');
    expect(chat).toHaveLength(1);
    expect(JSON.parse(chat[0].body)).toMatchObject({ model: 'gpt-4o-mini', max_completion_tokens: 1 });
    // a billed call: not repeated every round — the answer stands until the recheck
    expect(await probeOf('openai', s, { env: withCheck, tokenCache: cache })).toMatchObject({ outcome: 'QUOTA_EXHAUSTED' });
    expect(s.requests.filter((q) => q.path === '/v1/chat/completions')).toHaveLength(1);
  });

  it('an account with credit: OK, quota checked', async () => {
    const s = await start(vendors.openai(env.OPENAI_API_KEY));
    const r = await probeOf('openai', s, { env: { ...env, OPENAI_QUOTA_CHECK_MODEL: 'gpt-4o-mini' } });
    expect(r).toMatchObject({ outcome: 'OK', httpStatus: 200 });
    expect(r.message).toMatch(/quota checked with a one-token gpt-4o-mini completion/);
  });
});

describe('item 7: Retry-After is honoured: the next attempt waits at least what the vendor asked', () => {
  it('a 429 with Retry-After: the result says when, and the next probe sends nothing before then', async () => {
    const s = await start(vendors.polygon(env.POLYGON_API_KEY));
    const cache = new TokenCache();
    s.set({ kind: 'status', status: 429, retryAfter: '120' });
    const first = await probeOf('polygon', s, { tokenCache: cache });
    expect(first).toMatchObject({ outcome: 'RATE_LIMITED', retryAfterMs: 120_000 });
    s.set({ kind: 'normal' });
    const n = s.requests.length;
    const second = await probeOf('polygon', s, { tokenCache: cache });
    expect(s.requests.length).toBe(n); // not sent
    expect(second.outcome).toBe('RATE_LIMITED');
    expect(second.message).toMatch(/^not probed until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: /);
    expect(second.retryAfterMs).toBeGreaterThan(100_000);
    // once the time has passed, the vendor is asked again
    const later = Date.now() + 121_000;
    expect((await probeOf('polygon', s, { tokenCache: cache, now: () => later })).outcome).toBe('OK');
  });

  it('Retry-After in seconds or as an HTTP date; retry-after-ms first', () => {
    const now = Date.parse('2026-01-02T10:00:00Z');
    expect(retryAfterOf(new Headers({ 'retry-after': '30' }), now)).toBe(30_000);
    expect(retryAfterOf(new Headers({ 'retry-after': 'Fri, 02 Jan 2026 10:05:00 GMT' }), now)).toBe(300_000);
    expect(retryAfterOf(new Headers({ 'retry-after-ms': '1500', 'retry-after': '30' }), now)).toBe(1500);
    expect(retryAfterOf(new Headers({}), now)).toBeUndefined();
    expect(retryAfterOf(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
  });
});

describe('item 8: a revoked key is seen within a bound', () => {
  it('Ironbeam (no documented token expiry): the credentials are proven by a fresh login at least every 15 min', async () => {
    const creds = { username: env.IRONBEAM_USERNAME, apiKey: env.IRONBEAM_API_KEY } as { username: string; apiKey?: string };
    const s = await start(vendors.ironbeam(creds));
    const cache = new TokenCache();
    let clock = Date.now();
    const e = { ...env, IRONBEAM_PASSWORD: '' };
    expect((await probeOf('ironbeam', s, { tokenCache: cache, env: e, now: () => clock })).outcome).toBe('OK');
    creds.apiKey = 'revoked-and-replaced'; // the key is revoked at the vendor; the token still answers
    clock += IRONBEAM_REPROVE_MS - 60_000;
    expect((await probeOf('ironbeam', s, { tokenCache: cache, env: e, now: () => clock })).outcome).toBe('OK');
    clock += 61_000;
    expect((await probeOf('ironbeam', s, { tokenCache: cache, env: e, now: () => clock })).outcome).toBe('AUTH_REJECTED');
    expect(IRONBEAM_REPROVE_MS).toBeLessThanOrEqual(15 * 60_000);
  });
});

describe('item 9: Tradovate login safety', () => {
  let s: vendors.TradovateStandin;
  beforeAll(async () => {
    s = await start(vendors.tradovate(tvCreds()));
  });
  afterEach(() => {
    s.reset();
    s.penalty = undefined;
    s.deviceIds.length = 0;
    s.ticketsResent = 0;
  });

  it('a rejected login is not retried with the same credentials; changed credentials or the back-off lift it', async () => {
    const cache = new TokenCache();
    let clock = Date.now();
    const bad = { ...env, TRADOVATE_PASSWORD: 'wrong-password' };
    expect((await probeOf('tradovate', s, { tokenCache: cache, env: bad, now: () => clock })).outcome).toBe('AUTH_REJECTED');
    const again = await probeOf('tradovate', s, { tokenCache: cache, env: bad, now: () => clock });
    expect(again.outcome).toBe('AUTH_REJECTED');
    expect(again.message).toMatch(/^login not retried: /);
    expect(again.message).not.toContain('wrong-password');
    expect(s.logins).toBe(1);
    // the operator fixes the credentials: tried at once
    expect((await probeOf('tradovate', s, { tokenCache: cache, now: () => clock })).outcome).toBe('OK');
    expect(s.logins).toBe(2);
    // the same bad credentials again: once, then held until the back-off passes
    const cache2 = new TokenCache();
    await probeOf('tradovate', s, { tokenCache: cache2, env: bad, now: () => clock });
    clock += LOGIN_REFUSAL_BACKOFF_MS + 1000;
    await probeOf('tradovate', s, { tokenCache: cache2, env: bad, now: () => clock });
    expect(s.logins).toBe(4);
  });

  it('a penalty ticket: resent with the ticket only after p-time (in place when short)', async () => {
    s.penalty = { pTime: 1 };
    const t0 = Date.now();
    const r = await probeOf('tradovate', s, {}, 5_000);
    expect(r.outcome).toBe('OK');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
    expect(s.logins).toBe(2);
    expect(s.ticketsResent).toBe(1);
  });

  it('a penalty longer than the probe can wait: RATE_LIMITED with retryAfterMs, nothing sent before it, then the ticket', async () => {
    s.penalty = { pTime: 2 };
    const cache = new TokenCache();
    const r = await probeOf('tradovate', s, { tokenCache: cache }, 1_500);
    expect(r).toMatchObject({ outcome: 'RATE_LIMITED', retryAfterMs: 2_000 });
    expect((await probeOf('tradovate', s, { tokenCache: cache }, 1_500)).message).toMatch(/^not probed until/);
    expect(s.logins).toBe(1);
    await new Promise((res) => setTimeout(res, 2_100));
    expect((await probeOf('tradovate', s, { tokenCache: cache }, 1_500)).outcome).toBe('OK');
    expect(s.ticketsResent).toBe(1);
  });

  it('captcha → VENDOR_PENALTY for ≥ 1 h with the time it lifts; nothing sent in the meantime', async () => {
    s.penalty = { pTime: 60, captcha: true };
    const cache = new TokenCache();
    const r = await probeOf('tradovate', s, { tokenCache: cache });
    expect(r.outcome).toBe('VENDOR_PENALTY');
    expect(r.retryAfterMs).toBeGreaterThanOrEqual(3_600_000);
    const n = s.requests.length;
    const held = await probeOf('tradovate', s, { tokenCache: cache });
    expect(held.outcome).toBe('VENDOR_PENALTY');
    expect(held.message).toMatch(/^not probed until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: .*captcha/);
    expect(s.requests.length).toBe(n);
  });

  it.each(['lockout_429', 'locked_423'])('%s on any call (not only the login) → VENDOR_PENALTY, paused ≥ 1 h', async (name) => {
    const cache = new TokenCache();
    expect((await probeOf('tradovate', s, { tokenCache: cache })).outcome).toBe('OK');
    s.set({ kind: 'vendor', name, scope: 'probe' });
    const r = await probeOf('tradovate', s, { tokenCache: cache });
    expect(r.outcome).toBe('VENDOR_PENALTY');
    expect(r.retryAfterMs).toBeGreaterThanOrEqual(3_600_000);
    const n = s.requests.length;
    await probeOf('tradovate', s, { tokenCache: cache });
    expect(s.requests.length).toBe(n);
  });

  it('a penalty inside the 200 of a non-login call is a penalty, not a bad body', async () => {
    const cache = new TokenCache();
    await probeOf('tradovate', s, { tokenCache: cache });
    s.set({ kind: 'vendor', name: 'penalty', scope: 'probe' });
    expect(await probeOf('tradovate', s, { tokenCache: cache })).toMatchObject({ outcome: 'RATE_LIMITED', retryAfterMs: 15_000 });
  });

  it('a 401 on a fresh token is AUTH_REJECTED, never a second login that reads OK', async () => {
    s.set({ kind: 'status', status: 401, scope: 'probe' });
    const r = await probeOf('tradovate', s);
    expect(r).toMatchObject({ outcome: 'AUTH_REJECTED', httpStatus: 401 });
    expect(r.message).toMatch(/fresh token/);
    expect(s.logins).toBe(1);
  });

  it('deviceId is stable across processes and runs (machine + account), never a credential', async () => {
    await probeOf('tradovate', s);
    await probeOf('tradovate', s, { tokenCache: new TokenCache() });
    expect(s.deviceIds).toHaveLength(2);
    expect(s.deviceIds[0]).toBe(s.deviceIds[1]);
    for (const v of Object.values(env)) expect(String(s.deviceIds[0])).not.toContain(v);
  });
});

describe('item 12: a 200 without the vendor’s fields is not data', () => {
  it('Polygon: a body without status/results → UPSTREAM_BAD_RESPONSE', async () => {
    const s = await start(vendors.polygon(env.POLYGON_API_KEY));
    s.set({ kind: 'wrong_shape' });
    expect((await probeOf('polygon', s)).outcome).toBe('UPSTREAM_BAD_RESPONSE');
  });
  it('Databento: a range without per-schema ranges → UPSTREAM_BAD_RESPONSE', async () => {
    const s = await start(vendors.databento(env.DATABENTO_API_KEY));
    s.set({ kind: 'wrong_shape' });
    expect((await probeOf('databento', s)).outcome).toBe('UPSTREAM_BAD_RESPONSE');
  });
});
