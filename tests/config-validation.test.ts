/**
 * Config validation in one place: what the daemon would refuse later (a probe interval its
 * scheduler cannot run, an HTTP bind beyond loopback without a token) is refused when the
 * config is loaded — by every command, exit 78 naming the field.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, assertHttpExposure } from '../src/core/config.js';
import { loadRegistry } from '../src/core/vendors/registry.js';
import { probeCron, PROBE_INTERVAL_RULE } from '../src/core/probe-schedule.js';
import { ConfigError } from '../src/core/errors.js';
import { cli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'obs-cfgval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function configFile(body: unknown): string {
  const p = join(dir, `c${++n}.json`);
  writeFileSync(p, JSON.stringify(body));
  return p;
}
/** Loads config and registry as every command does; the home is this test's own. */
function load(env: NodeJS.ProcessEnv, configPath?: string) {
  const config = loadConfig({ env: { OBSERVATORY_HOME: join(dir, 'home'), ...env }, configPath });
  return { config, registry: loadRegistry(config) };
}
const refusal = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('probe intervals', () => {
  it('probeCron: every interval that divides a minute, an hour or a day, and nothing else', () => {
    expect(probeCron(1_000)).toBe('*/1 * * * * *');
    expect(probeCron(15_000)).toBe('*/15 * * * * *');
    expect(probeCron(30_000)).toBe('*/30 * * * * *');
    expect(probeCron(60_000)).toBe('0 */1 * * * *');
    expect(probeCron(300_000)).toBe('0 */5 * * * *');
    expect(probeCron(3_600_000)).toBe('0 0 */1 * * *');
    expect(probeCron(6 * 3_600_000)).toBe('0 0 */6 * * *');
    expect(probeCron(86_400_000)).toBe('0 0 */24 * * *');
    for (const bad of [100, 500, 1_500, 7_000, 45_000, 90_000, 7 * 60_000, 5 * 3_600_000]) expect(probeCron(bad), String(bad)).toBeNull();
  });

  it('an interval the scheduler could not run is refused at config load, naming the field (built-in and custom)', () => {
    for (const [name, override] of [
      ['databento', { interval_ms: 7_000 }],
      ['polygon', { interval_ms: 500 }],
      ['acme', { probe: { url: 'https://acme.example/health' }, interval_ms: 45_000 }],
    ] as const) {
      const e = refusal(() => load({}, configFile({ integrations: { [name]: override } })));
      expect(e.exitCode).toBe(78);
      expect(e.message).toContain(`field \`integrations.${name}.interval_ms\`: ${PROBE_INTERVAL_RULE}`);
    }
    // the intervals the scheduler can run load fine
    const { registry } = load({}, configFile({ integrations: { databento: { interval_ms: 5_000 }, polygon: { interval_ms: 300_000 } } }));
    expect(registry.integrations.find((s) => s.name === 'databento')!.intervalMs).toBe(5_000);
  });

  it('every command refuses it before touching the store: status 78, gate check 3 (its UNKNOWN)', async () => {
    const file = configFile({ integrations: { databento: { interval_ms: 7_000 } } });
    const env = { DATABASE_URL: 'postgres://u@127.0.0.1:1/x', OBSERVATORY_HOME: join(dir, 'home') };
    const status = await cli(['-c', file, 'status'], env);
    expect(status.exitCode).toBe(78);
    expect(status.stderr).toMatch(/field `integrations\.databento\.interval_ms`: expected an interval that divides a minute, an hour or a day/);
    expect(status.stderr).not.toMatch(/cannot reach/); // refused at load, not after a store attempt
    const gate = await cli(['-c', file, 'gate', 'check'], env);
    expect(gate.exitCode).toBe(3);
    expect(gate.stderr).toMatch(/integrations\.databento\.interval_ms/);
  });
});

describe('HTTP bind', () => {
  it('a bind beyond loopback without OBSERVATORY_TOKEN is refused at load, naming where it came from', () => {
    const env = refusal(() => load({ OBSERVATORY_BIND: '0.0.0.0' }));
    expect(env.exitCode).toBe(78);
    expect(env.message).toMatch(/^environment: OBSERVATORY_BIND=0\.0\.0\.0 is not loopback; set OBSERVATORY_TOKEN/);
    const file = configFile({ http: { bind: '10.1.2.3' } });
    const fromFile = refusal(() => load({}, file));
    expect(fromFile.message).toBe(
      `config file ${file}: field \`http.bind\`: 10.1.2.3 is not loopback; set OBSERVATORY_TOKEN (≥ 16 chars) to serve the API there`,
    );
  });

  it('loopback binds need no token; any bind with a token loads', () => {
    for (const bind of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.2']) expect(load({ OBSERVATORY_BIND: bind }).config.http.bind).toBe(bind);
    expect(load({ OBSERVATORY_BIND: '0.0.0.0', OBSERVATORY_TOKEN: 't'.repeat(16) }).config.http.token).toHaveLength(16);
  });

  it('the daemon checks a config built by hand with the same rule', () => {
    expect(() => assertHttpExposure({ bind: '0.0.0.0', port: 0 })).toThrow(ConfigError);
    expect(() => assertHttpExposure({ bind: '127.0.0.1', port: 0 })).not.toThrow();
  });
});

describe('allow_custom_endpoints (live mode and non-default endpoints)', () => {
  it('names enabled integrations; anything else is refused at load (exit 78, the field named); simulator is reserved', () => {
    const ok = load({}, configFile({ allow_custom_endpoints: ['polygon', 'tradovate', 'polygon'] }));
    expect(ok.config.allowCustomEndpoints).toEqual(['polygon', 'tradovate']);
    expect(ok.registry.allowCustomEndpoints).toEqual(['polygon', 'tradovate']);
    expect(load({}).registry.allowCustomEndpoints).toEqual([]);
    for (const [body, field] of [
      [{ allow_custom_endpoints: 'polygon' }, 'allow_custom_endpoints'],
      [{ allow_custom_endpoints: ['Polygon'] }, 'allow_custom_endpoints.0'],
      [{ allow_custom_endpoints: ['nosuch'] }, 'allow_custom_endpoints'],
      // a disabled integration is not there to allow
      [{ allow_custom_endpoints: ['openai'], integrations: { openai: { enabled: false } } }, 'allow_custom_endpoints'],
      [{ integrations: { simulator: { probe: { url: 'https://sim.example/health' } } } }, 'integrations.simulator'],
    ] as const) {
      const e = refusal(() => load({}, configFile(body)));
      expect(e.exitCode, JSON.stringify(body)).toBe(78);
      expect(e.message, JSON.stringify(body)).toContain(`field \`${field}\``);
    }
  });
});

describe('daemon heartbeat and stale bound', () => {
  it('stale after 3 heartbeat periods by default (15 s at the default 5 s), and it follows the heartbeat', () => {
    expect(load({}).config.daemon).toMatchObject({ heartbeatIntervalMs: 5_000, staleAfterMs: 15_000 });
    expect(load({ OBSERVATORY_HEARTBEAT_MS: '2000' }).config.daemon).toMatchObject({ heartbeatIntervalMs: 2_000, staleAfterMs: 6_000 });
    expect(load({}, configFile({ daemon: { heartbeat_interval_ms: 1_000 } })).config.daemon.staleAfterMs).toBe(3_000);
    expect(load({ OBSERVATORY_HEARTBEAT_MS: '2000', OBSERVATORY_STALE_AFTER_MS: '5000' }).config.daemon.staleAfterMs).toBe(5_000);
  });

  it('inconsistent settings are refused at load, naming the field (more than 1, at most 3 periods)', () => {
    const tooLong = refusal(() => load({ OBSERVATORY_STALE_AFTER_MS: '30000' }));
    expect(tooLong.exitCode).toBe(78);
    expect(tooLong.message).toBe(
      'environment: OBSERVATORY_STALE_AFTER_MS: expected more than 1 and at most 3 heartbeat periods (the default heartbeat = 5000 ms: 5001–15000 ms)',
    );
    const file = configFile({ daemon: { heartbeat_interval_ms: 10_000, stale_after_ms: 10_000 } });
    expect(refusal(() => load({}, file)).message).toBe(
      `config file ${file}: field \`daemon.stale_after_ms\`: expected more than 1 and at most 3 heartbeat periods (daemon.heartbeat_interval_ms = 10000 ms: 10001–30000 ms)`,
    );
    // the environment's heartbeat against the file's bound
    expect(refusal(() => load({ OBSERVATORY_HEARTBEAT_MS: '1000' }, configFile({ daemon: { stale_after_ms: 30_000 } }))).message).toMatch(
      /field `daemon\.stale_after_ms`: .*\(OBSERVATORY_HEARTBEAT_MS = 1000 ms: 1001–3000 ms\)$/,
    );
  });

  it('the CLI exits 78 with one line', async () => {
    const r = await cli(['status'], { DATABASE_URL: 'postgres://u@127.0.0.1:1/x', OBSERVATORY_HOME: join(dir, 'home'), OBSERVATORY_STALE_AFTER_MS: '60000' });
    expect(r.exitCode).toBe(78);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/OBSERVATORY_STALE_AFTER_MS: expected more than 1 and at most 3 heartbeat periods/);
  });
});
