/**
 * Leak test for the probe boundary: a unique canary in every credential env var, stand-ins
 * that echo what they received (bodies, headers, redirect Location URLs, in-band login
 * errors), every failure path driven; not one canary form (raw, base64, URL-encoded) and
 * no issued token may appear in any ProbeResult.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSecretsFromEnv } from '../src/core/redact.js';
import { runProbe } from '../src/core/vendors/probe.js';
import { TokenCache } from '../src/core/vendors/session.js';
import type { ProbeDef, ProbeResult } from '../src/core/types.js';
import type { Mode, Standin } from './standins/server.js';
import * as vendors from './standins/vendors.js';
import { canaryEnv, findLeaks, makeCtx, makeSpec, vendorDef } from './standins/fixtures.js';

const env = canaryEnv();
const secrets = Object.values(env);

const MODES: Mode[] = [
  { kind: 'normal' },
  ...[400, 401, 403, 404, 429, 500, 503].map((status): Mode => ({ kind: 'status', status })),
  { kind: 'malformed' },
  { kind: 'wrong_shape' },
  { kind: 'redirect' },
  { kind: 'reset' },
  { kind: 'hang' },
];

describe('no credential leaves the probe boundary', () => {
  const standins: Record<string, Standin> = {};
  const results: Array<{ where: string; result: ProbeResult }> = [];
  const issuedTokens: string[] = [];

  beforeAll(async () => {
    // what the product does at start-up
    registerSecretsFromEnv(env, ['ACME_TOKEN']);
    standins.databento = await vendors.databento(env.DATABENTO_API_KEY).start();
    standins.polygon = await vendors.polygon(env.POLYGON_API_KEY).start();
    standins.openai = await vendors.openai(env.OPENAI_API_KEY).start();
    standins.tradovate = await vendors
      .tradovate({ name: env.TRADOVATE_USERNAME, password: env.TRADOVATE_PASSWORD, cid: env.TRADOVATE_CID, sec: env.TRADOVATE_SECRET })
      .start();
    standins.ironbeam = await vendors.ironbeam({ username: env.IRONBEAM_USERNAME, password: env.IRONBEAM_PASSWORD, apiKey: env.IRONBEAM_API_KEY }).start();
    standins.custom = await vendors.jsonService('/health', { status: 'ok' }, { requireHeader: ['authorization', `Bearer ${env.ACME_TOKEN}`] }).start();
  });
  afterAll(async () => {
    for (const s of Object.values(standins)) await s.close();
  });

  const defFor = (name: string, s: Standin): ProbeDef =>
    name === 'custom'
      ? { type: 'http', url: `${s.origin}/health`, headersFromEnv: { Authorization: 'Bearer $ACME_TOKEN' }, expectJson: { status: 'ok' } }
      : vendorDef(name, s.baseUrl);

  it('drives every vendor through every failure mode, fresh login and cached token', async () => {
    for (const [name, s] of Object.entries(standins)) {
      const spec = makeSpec(defFor(name, s), name === 'custom' ? { secretEnvVars: ['ACME_TOKEN'] } : {});
      const scopes = name === 'tradovate' || name === 'ironbeam' ? (['login', 'probe'] as const) : (['all'] as const);
      const extra: Mode[] =
        name === 'tradovate'
          ? [
              { kind: 'vendor', name: 'penalty' },
              { kind: 'vendor', name: 'error_text' },
              { kind: 'vendor', name: 'captcha' },
            ]
          : name === 'ironbeam'
            ? [{ kind: 'vendor', name: 'status_error' }]
            : [];
      for (const scope of scopes) {
        for (const mode of [...MODES, ...extra]) {
          s.reset();
          const cache = new TokenCache();
          // for scope 'probe', first obtain a token so the failure hits the cached-token path
          if (scope === 'probe') await runProbe(spec, makeCtx({ env, tokenCache: cache }));
          s.set(mode.kind === 'normal' ? mode : ({ ...mode, scope } as Mode));
          const result = await runProbe(spec, makeCtx({ env, tokenCache: cache }));
          results.push({ where: `${name}/${scope}/${JSON.stringify(mode)}`, result });
          issuedTokens.push(...s.validTokens);
          // the stand-in really received (and echoed) the credentials: the test is live
          expect(s.requests.length).toBeGreaterThan(0);
        }
      }
    }
    expect(results.length).toBeGreaterThan(100);
    const outcomes = new Set(results.map((r) => r.result.outcome));
    for (const o of ['OK', 'AUTH_REJECTED', 'RATE_LIMITED', 'UPSTREAM_4XX', 'UPSTREAM_5XX', 'UPSTREAM_TIMEOUT', 'UPSTREAM_NETWORK', 'UPSTREAM_BAD_RESPONSE'])
      expect(outcomes).toContain(o);
  });

  it('finds no canary in raw, base64 or URL-encoded form, and no issued token, in any result', () => {
    expect(results.length).toBeGreaterThan(0);
    const leaks = results.flatMap(({ where, result }) => findLeaks(JSON.stringify(result), [...secrets, ...issuedTokens]).map((f) => `${where}: ${f}`));
    expect(leaks).toEqual([]);
    for (const { result } of results) {
      expect(JSON.stringify(result)).not.toMatch(/elsewhere\.invalid|Bearer |Basic |CANARY|tok_/);
      if (result.message) expect(result.message.length).toBeLessThanOrEqual(200);
      if (result.message) expect(result.message).not.toMatch(/[\r\n]/);
    }
  });

  it('the token cache keys hold no credential', async () => {
    const cache = new TokenCache();
    await runProbe(makeSpec(defFor('tradovate', standins.tradovate)), makeCtx({ env, tokenCache: cache }));
    await runProbe(makeSpec(defFor('ironbeam', standins.ironbeam)), makeCtx({ env, tokenCache: cache }));
    expect(cache.size).toBe(2);
    expect(findLeaks(cache.keys().join('\n'), secrets)).toEqual([]);
  });
});
