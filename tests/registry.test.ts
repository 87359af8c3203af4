import { afterEach, describe, expect, it } from 'vitest';
import { BUILTIN_NAMES, connectedOf, fixFor, getSpec, headerEnvVars, loadRegistry, missingEnv, requirementOf } from '../src/core/vendors/registry.js';
import { ConfigError, ExitCode } from '../src/core/errors.js';
import { _resetSecretsForTest, REDACTED, redactString } from '../src/core/redact.js';
import type { IntegrationSpec, Registry } from '../src/core/types.js';

const load = (integrations: Record<string, Record<string, unknown>> = {}, env: NodeJS.ProcessEnv = {}) => loadRegistry({ integrations, env });
const spec = (r: Registry, name: string): IntegrationSpec => {
  const s = getSpec(r, name);
  if (!s) throw new Error(`no spec ${name}`);
  return s;
};
const baseUrl = (s: IntegrationSpec) => (s.probe as { baseUrl: string }).baseUrl;

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(ExitCode.CONFIG);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

afterEach(() => _resetSecretsForTest());

describe('built-in integrations', () => {
  it('declares every built-in with kind, env vars, probe and the documented defaults', () => {
    const r = load();
    expect(r.integrations.map((s) => s.name)).toEqual([...BUILTIN_NAMES]);
    const kinds = Object.fromEntries(r.integrations.map((s) => [s.name, s.kind]));
    expect(kinds).toEqual({
      databento: 'marketdata',
      polygon: 'marketdata',
      ironbeam: 'broker',
      tradovate: 'broker',
      openai: 'ai',
      postgres: 'store',
      risk_engine: 'risk',
    });
    // the password only for enterprise users: not demanded
    expect(spec(r, 'ironbeam').envVars).toEqual(['IRONBEAM_USERNAME', 'IRONBEAM_API_KEY']);
    expect(spec(r, 'tradovate').envVars).toEqual(['TRADOVATE_USERNAME', 'TRADOVATE_PASSWORD', 'TRADOVATE_CID', 'TRADOVATE_SECRET']);
    expect(spec(r, 'postgres').envVars).toEqual([]);
    expect(spec(r, 'postgres').probe).toEqual({ type: 'vendor', vendor: 'postgres' });
    expect(spec(r, 'risk_engine').probe).toEqual({ type: 'vendor', vendor: 'risk_engine' });
    const db = spec(r, 'databento');
    expect(db).toMatchObject({
      intervalMs: 30_000,
      timeoutMs: 5_000,
      degradedLatencyMs: 1_500,
      failuresBeforeDegraded: 1,
      failuresBeforeBlocked: 3,
      successesBeforeOk: 2,
      staleAfterMs: 90_000,
    });
    expect(spec(r, 'postgres')).toMatchObject({ intervalMs: 15_000, staleAfterMs: 45_000 });
    expect(db.secretEnvVars).toEqual(['DATABENTO_API_KEY']);
  });

  it('requirements: marketdata any-of in every mode, broker any-of for live and paper (core/modes.ts), risk_engine live+paper, postgres all, openai optional', () => {
    const r = load();
    expect(r.groups).toEqual([
      expect.objectContaining({ name: 'marketdata', anyOf: ['databento', 'polygon'], modes: ['live', 'paper', 'shadow'] }),
      expect.objectContaining({ name: 'broker', anyOf: ['ironbeam', 'tradovate'], modes: ['live', 'paper'] }),
    ]);
    expect(spec(r, 'risk_engine').requiredFor).toEqual(['live', 'paper']);
    expect(spec(r, 'postgres').requiredFor).toEqual(['live', 'paper', 'shadow']);
    expect(spec(r, 'openai').requiredFor).toEqual([]);
    expect(requirementOf(r, 'ironbeam')).toEqual({ modes: [], groups: ['broker'] });
    expect(r.groups[1].fix).toContain('IRONBEAM_API_KEY');
    expect(r.groups[1].fix).toContain('TRADOVATE_SECRET');
  });

  it('uses documented base URLs, demo hosts by default, live hosts on *_ENV=live, *_BASE_URL overrides', () => {
    const r = load();
    expect(baseUrl(spec(r, 'databento'))).toBe('https://hist.databento.com');
    expect(baseUrl(spec(r, 'polygon'))).toBe('https://api.polygon.io');
    expect(baseUrl(spec(r, 'openai'))).toBe('https://api.openai.com');
    expect(baseUrl(spec(r, 'tradovate'))).toBe('https://demo.tradovateapi.com/v1');
    expect(baseUrl(spec(r, 'ironbeam'))).toBe('https://demo.ironbeamapi.com/v2');
    const live = load({}, { TRADOVATE_ENV: 'live', IRONBEAM_ENV: 'LIVE' });
    expect(baseUrl(spec(live, 'tradovate'))).toBe('https://live.tradovateapi.com/v1');
    expect(baseUrl(spec(live, 'ironbeam'))).toBe('https://live.ironbeamapi.com/v2');
    const local = load({}, { DATABENTO_BASE_URL: 'http://127.0.0.1:9999/', OPENAI_BASE_URL: 'http://127.0.0.1:9998' });
    expect(baseUrl(spec(local, 'databento'))).toBe('http://127.0.0.1:9999');
    expect(baseUrl(spec(local, 'openai'))).toBe('http://127.0.0.1:9998');
    expect(configError(() => load({}, { TRADOVATE_ENV: 'prod' })).message).toContain('TRADOVATE_ENV');
    const bad = configError(() => load({}, { POLYGON_BASE_URL: 'ftp://canary-host-zz' }));
    expect(bad.message).toContain('POLYGON_BASE_URL');
    expect(bad.message).not.toContain('canary-host-zz');
  });
});

describe('connected', () => {
  it('needs every env var present and non-blank; missingEnv lists names only', () => {
    const r = load();
    const ib = spec(r, 'ironbeam');
    const env = { IRONBEAM_USERNAME: 'user-value-1', IRONBEAM_PASSWORD: 'pw-value-1', IRONBEAM_API_KEY: '   ' };
    expect(connectedOf(ib, env)).toBe(false);
    expect(missingEnv(ib, env)).toEqual(['IRONBEAM_API_KEY']);
    expect(connectedOf(ib, { ...env, IRONBEAM_API_KEY: 'key-value-1' })).toBe(true);
    expect(missingEnv(ib, {})).toEqual(ib.envVars);
    // nothing to configure ⇒ connected (its probe still decides the status)
    expect(connectedOf(spec(r, 'postgres'), {})).toBe(true);
  });
});

describe('fixes', () => {
  it('are actionable, name env vars and never values', () => {
    const r = load({}, { DATABENTO_API_KEY: 'db-canaryvalue123' });
    const ib = spec(r, 'ironbeam');
    const db = spec(r, 'databento');
    expect(fixFor(ib, 'MISSING_CREDENTIALS')).toBe("Set secret IRONBEAM_USERNAME, IRONBEAM_API_KEY in the daemon's environment");
    expect(fixFor(ib, 'MISSING_CREDENTIALS', { missingEnv: ['IRONBEAM_API_KEY'] })).toBe("Set secret IRONBEAM_API_KEY in the daemon's environment");
    expect(fixFor(db, 'AUTH_REJECTED')).toBe('Check the Databento API key is valid and entitled (DATABENTO_API_KEY)');
    expect(fixFor(db, 'UPSTREAM_5XX')).toBe('Check Databento entitlement / network; see https://status.databento.com');
    expect(fixFor(db, 'PROBE_STALE')).toMatch(
      /^Start the daemon \(`observatory up` or `observatory daemon`\) or run `observatory probe databento`; if a daemon is running/,
    );
    expect(fixFor(db, 'NEVER_PROBED')).toContain('observatory probe databento');
    expect(fixFor(db, 'FAULT_INJECTED')).toBe('A drill is active: `observatory fault clear databento`');
    expect(fixFor(spec(r, 'risk_engine'), 'CHECK_FAILED')).toContain('risk_limits');
    for (const s of r.integrations) for (const f of Object.values(s.fixes)) expect(f).not.toContain('canaryvalue');
  });
});

describe('config overrides', () => {
  it('override any field of a built-in; stale bound follows the interval unless set', () => {
    const r = load({
      databento: {
        interval_ms: 1_000,
        failures_before_degraded: 2,
        failures_before_blocked: 4,
        successes_before_ok: 3,
        degraded_latency_ms: 300,
        required_for: ['live'],
      },
      polygon: { interval_ms: 2_000, stale_after_ms: 10_000, timeout_ms: 1_500, base_url: 'http://127.0.0.1:7000/' },
    });
    expect(spec(r, 'databento')).toMatchObject({
      intervalMs: 1_000,
      staleAfterMs: 3_000,
      timeoutMs: 1_000,
      failuresBeforeDegraded: 2,
      failuresBeforeBlocked: 4,
      successesBeforeOk: 3,
      degradedLatencyMs: 300,
      requiredFor: ['live'],
    });
    expect(spec(r, 'polygon')).toMatchObject({ intervalMs: 2_000, staleAfterMs: 10_000, timeoutMs: 1_500 });
    expect(baseUrl(spec(r, 'polygon'))).toBe('http://127.0.0.1:7000');
  });

  it('environment beats the file for base URLs', () => {
    const r = load({ polygon: { base_url: 'http://127.0.0.1:7000' } }, { POLYGON_BASE_URL: 'http://127.0.0.1:7001' });
    expect(baseUrl(spec(r, 'polygon'))).toBe('http://127.0.0.1:7001');
  });

  it('enabled:false removes a built-in and its group membership', () => {
    const r = load({ tradovate: { enabled: false }, openai: { enabled: false } });
    expect(getSpec(r, 'tradovate')).toBeUndefined();
    expect(getSpec(r, 'openai')).toBeUndefined();
    expect(r.groups.find((g) => g.name === 'broker')!.anyOf).toEqual(['ironbeam']);
  });

  it('a group keeps requiring a member even when every member is disabled (fail-closed)', () => {
    const r = load({ tradovate: { enabled: false }, ironbeam: { enabled: false } });
    expect(r.groups.find((g) => g.name === 'broker')).toMatchObject({ anyOf: [], modes: ['live', 'paper'] });
  });

  it("group_required_for changes a group's modes; [] is refused (a requirement never vanishes by config)", () => {
    const r = load({ ironbeam: { group_required_for: ['live', 'paper', 'shadow'] } });
    expect(r.groups.find((g) => g.name === 'broker')!.modes).toEqual(['live', 'paper', 'shadow']);
    const empty = configError(() => load({ polygon: { group_required_for: [] } }));
    expect(empty.message).toContain('integrations.polygon.group_required_for');
    expect(empty.message).toContain('cannot be switched off');
    const err = configError(() => load({ ironbeam: { group_required_for: ['live'] }, tradovate: { group_required_for: ['paper'] } }));
    expect(err.message).toContain('integrations.tradovate.group_required_for');
  });

  it('changing env_vars updates connected and the missing-credentials fix', () => {
    const r = load({ ironbeam: { env_vars: ['IRONBEAM_API_KEY'] } });
    const ib = spec(r, 'ironbeam');
    expect(connectedOf(ib, { IRONBEAM_API_KEY: 'abcd1234' })).toBe(true);
    expect(fixFor(ib, 'MISSING_CREDENTIALS')).toBe("Set secret IRONBEAM_API_KEY in the daemon's environment");
  });
});

describe('custom integrations', () => {
  it('adds an HTTP probe with status/JSON/latency conditions and env-sourced headers', () => {
    const env = { ACME_TOKEN: 'acme-secret-canary-77', ACME_KEY: 'acme-key-canary-88', ACME_REGION: 'eu' };
    const r = load(
      {
        acme_feed: {
          kind: 'marketdata',
          required_for: ['paper'],
          env_vars: ['ACME_REGION'],
          probe: {
            type: 'http',
            url: 'http://127.0.0.1:7010/health',
            expect_status: [200, 204],
            headers_from_env: { Authorization: { env: 'ACME_TOKEN', prefix: 'Bearer ' }, 'X-Api-Key': 'ACME_KEY' },
            expect_json: { 'data.status': 'ok' },
            max_latency_ms: 800,
          },
          interval_ms: 1_000,
        },
      },
      env,
    );
    const s = spec(r, 'acme_feed');
    expect(s).toMatchObject({ kind: 'marketdata', requiredFor: ['paper'], intervalMs: 1_000, staleAfterMs: 3_000, timeoutMs: 1_000 });
    expect(s.probe).toEqual({
      type: 'http',
      url: 'http://127.0.0.1:7010/health',
      method: 'GET',
      expectStatus: [200, 204],
      headersFromEnv: { Authorization: 'Bearer ${ACME_TOKEN}', 'X-Api-Key': 'ACME_KEY' },
      expectJson: { 'data.status': 'ok' },
      maxLatencyMs: 800,
    });
    expect(headerEnvVars(s.probe)).toEqual(['ACME_TOKEN', 'ACME_KEY']);
    expect(s.envVars).toEqual(['ACME_REGION', 'ACME_TOKEN', 'ACME_KEY']);
    expect(s.secretEnvVars.sort()).toEqual(['ACME_KEY', 'ACME_TOKEN']);
    expect(connectedOf(s, env)).toBe(true);
    expect(missingEnv(s, { ACME_REGION: 'eu' })).toEqual(['ACME_TOKEN', 'ACME_KEY']);
    // header values are registered with the one sanitizer
    expect(redactString('got acme-secret-canary-77 and acme-key-canary-88')).toBe(`got ${REDACTED} and ${REDACTED}`);
    expect(fixFor(s, 'MISSING_CREDENTIALS', { missingEnv: ['ACME_TOKEN'] })).toBe("Set secret ACME_TOKEN in the daemon's environment");
  });

  it('joins an existing group or a new one (which needs group_required_for)', () => {
    const r = load({ acme_md: { probe: { url: 'https://example.test/ping' }, any_of_group: 'marketdata' } });
    expect(r.groups.find((g) => g.name === 'marketdata')!.anyOf).toEqual(['databento', 'polygon', 'acme_md']);
    expect(spec(r, 'acme_md').kind).toBe('custom');
    const r2 = load({
      feed_a: { probe: { url: 'https://a.example.test/' }, any_of_group: 'news', group_required_for: ['live'] },
      feed_b: { probe: { url: 'https://b.example.test/' }, any_of_group: 'news' },
    });
    expect(r2.groups.find((g) => g.name === 'news')).toMatchObject({ anyOf: ['feed_a', 'feed_b'], modes: ['live'] });
    expect(configError(() => load({ feed_a: { probe: { url: 'https://a.example.test/' }, any_of_group: 'news' } })).message).toContain('group_required_for');
    // leaving a built-in group
    const r3 = load({ polygon: { any_of_group: null } });
    expect(r3.groups.find((g) => g.name === 'marketdata')!.anyOf).toEqual(['databento']);
  });

  it('a new name without a probe is a config error', () => {
    expect(configError(() => load({ acme: { kind: 'custom' } })).message).toContain('`integrations.acme.probe`');
  });
});

describe('invalid config', () => {
  const CANARY = 'CANARY-c4n4ry-9f3e1';
  const cases: Array<[string, Record<string, Record<string, unknown>>, string]> = [
    ['wrong type', { databento: { interval_ms: CANARY } }, 'integrations.databento.interval_ms'],
    ['out of range', { databento: { interval_ms: 5 } }, 'integrations.databento.interval_ms'],
    ['bad mode', { polygon: { required_for: ['paper', CANARY] } }, 'integrations.polygon.required_for.1'],
    ['unknown key', { polygon: { intervall_ms: CANARY } }, 'integrations.polygon'],
    ['bad url', { acme: { probe: { url: CANARY } } }, 'integrations.acme.probe.url'],
    [
      'bad header source',
      { acme: { probe: { url: 'https://x.test/', headers_from_env: { Authorization: CANARY.toLowerCase() } } } },
      'integrations.acme.probe.headers_from_env.Authorization',
    ],
    ['bad env var name', { acme: { probe: { url: 'https://x.test/' }, env_vars: [CANARY] } }, 'integrations.acme.env_vars.0'],
    ['secret in a boolean', { openai: { enabled: CANARY } }, 'integrations.openai.enabled'],
    ['base_url on a non-vendor probe', { postgres: { base_url: 'http://127.0.0.1:1' } }, 'integrations.postgres.base_url'],
    ['thresholds inverted', { databento: { failures_before_degraded: 4, failures_before_blocked: 2 } }, 'integrations.databento.failures_before_blocked'],
    ['stale bound under the interval', { databento: { stale_after_ms: 1_000 } }, 'integrations.databento.stale_after_ms'],
    [
      'credentials over plain http',
      { acme: { probe: { url: 'http://feed.example.com/health', headers_from_env: { 'X-Api-Key': 'ACME_KEY' } } } },
      'integrations.acme.probe.url',
    ],
    ['a vendor base_url over plain http', { polygon: { base_url: 'http://api.polygon.example' } }, 'integrations.polygon.base_url'],
    [
      'an error status accepted as healthy',
      { acme: { probe: { url: 'https://x.test/', expect_status: [200, 401] } } },
      'integrations.acme.probe.expect_status.1',
    ],
  ];
  for (const [what, integrations, field] of cases) {
    it(`${what} ⇒ ConfigError naming \`${field}\`, no value echoed`, () => {
      const err = configError(() => load(integrations));
      expect(err.message).toContain(`field \`${field}`);
      expect(err.message.startsWith('config file')).toBe(true);
      expect(err.message.toLowerCase()).not.toContain('c4n4ry');
      expect(err.message).not.toContain('127.0.0.1');
    });
  }
});
