/**
 * One module per integration (src/core/vendors/<name>.ts), one list (vendors/index.ts): every
 * per-vendor table elsewhere is what the modules declare — the registry's names, specs and
 * groups, the probe dispatch, the sanitizer's built-in secret names and credential pairs, the
 * catalog's sources, the config trust digest's sources and the runner's clients.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { CATALOG, VARIABLE_GROUPS } from '../src/core/catalog.js';
import { schemaSources } from '../src/core/config-trust.js';
import { _resetSecretsForTest, builtinSecretEnvNames, isSecretEnvName, redactString, REDACTED, registerSecretsFromEnv } from '../src/core/redact.js';
import { moduleNamed, moduleOf, namesOfKind, producersOf, vendorModules } from '../src/core/vendors/index.js';
import { probeRequiredEnv, runProbe } from '../src/core/vendors/probe.js';
import { BUILTIN_NAMES, getSpec, loadRegistry } from '../src/core/vendors/registry.js';
import { paperBrokerOf } from '../src/runner/brokers.js';
import { chatOf } from '../src/runner/llm.js';
import { marketDataOf } from '../src/runner/marketdata.js';
import { makeCtx } from './standins/fixtures.js';
import { baseEnv, ROOT } from './helpers/cli.js';

const modules = vendorModules();
const registry = loadRegistry({ integrations: {}, env: {} });

afterEach(() => _resetSecretsForTest());

describe('the module list is the one source', () => {
  it('names: BUILTIN_NAMES and the registry are the modules, in list order; every module is whole', () => {
    expect(BUILTIN_NAMES).toEqual(modules.map((m) => m.name));
    expect(registry.integrations.map((s) => s.name)).toEqual(modules.map((m) => m.name));
    expect(new Set(BUILTIN_NAMES).size).toBe(BUILTIN_NAMES.length);
    for (const m of modules) {
      expect(moduleNamed(m.name)).toBe(m);
      expect(m.label.length, m.name).toBeGreaterThan(0);
      expect(m.description.length, m.name).toBeGreaterThan(0);
      expect(typeof m.probe, m.name).toBe('function');
    }
  });

  it('specs and groups: kind, env vars, probe, required modes and any-of membership come from the module', () => {
    for (const m of modules) {
      const s = getSpec(registry, m.name)!;
      expect(s.kind).toBe(m.kind);
      expect(s.description).toBe(m.description);
      expect(s.envVars).toEqual([...m.envVars]);
      expect(s.secretEnvVars).toEqual([...(m.secretEnvVars ?? m.envVars)]);
      expect(s.requiredFor).toEqual([...(m.requiredFor ?? [])]);
      expect(s.probe).toEqual(m.http ? { type: 'vendor', vendor: m.name, baseUrl: expect.stringMatching(/^https:\/\//) } : { type: 'vendor', vendor: m.name });
      expect(moduleOf(s)).toBe(m);
      for (const [code, fix] of Object.entries(m.fixes ?? {})) expect(s.fixes[code as keyof typeof s.fixes]).toBe(fix);
    }
    expect(registry.groups.map((g) => [g.name, g.anyOf])).toEqual([
      ['marketdata', modules.filter((m) => m.kind === 'marketdata').map((m) => m.name)],
      ['broker', modules.filter((m) => m.kind === 'broker').map((m) => m.name)],
    ]);
    expect(namesOfKind('marketdata')).toEqual(registry.groups[0].anyOf);
    expect(namesOfKind('broker')).toEqual(registry.groups[1].anyOf);
  });

  it('probe table: a vendor probe needs its module env vars, and runProbe reaches the module (MISSING_CREDENTIALS before any call)', async () => {
    for (const m of modules) {
      const s = getSpec(registry, m.name)!;
      expect(probeRequiredEnv(s.probe)).toEqual([...m.envVars]);
      if (!m.envVars.length) continue;
      const r = await runProbe(s, makeCtx({ env: {} }));
      expect(r).toMatchObject({ outcome: 'MISSING_CREDENTIALS', message: `missing environment variable(s): ${m.envVars.join(', ')}` });
    }
    const unknown = await runProbe(
      { ...getSpec(registry, 'polygon')!, envVars: [], probe: { type: 'vendor', vendor: 'no_such_vendor', baseUrl: 'https://x.test' } },
      makeCtx(),
    );
    expect(unknown).toMatchObject({ outcome: 'CHECK_FAILED', message: 'unknown probe type no_such_vendor' });
  });

  it("the sanitizer's built-in secret names are every module's secret env vars plus the platform's", () => {
    const declared = modules.flatMap((m) => m.secretEnvVars ?? m.envVars);
    expect([...builtinSecretEnvNames()].sort()).toEqual([...new Set([...declared, 'OBSERVATORY_TOKEN', 'PGPASSWORD'])].sort());
    // the names of the list before it was derived: none lost
    expect([...builtinSecretEnvNames()]).toEqual(
      expect.arrayContaining([
        'DATABENTO_API_KEY',
        'POLYGON_API_KEY',
        'OPENAI_API_KEY',
        'IRONBEAM_USERNAME',
        'IRONBEAM_PASSWORD',
        'IRONBEAM_API_KEY',
        'TRADOVATE_USERNAME',
        'TRADOVATE_PASSWORD',
        'TRADOVATE_CID',
        'TRADOVATE_SECRET',
        'OBSERVATORY_TOKEN',
        'PGPASSWORD',
      ]),
    );
    // a user name is no secret by its looks: only the module's declaration makes it one
    for (const n of declared) expect(isSecretEnvName(n), n).toBe(true);
    expect(isSecretEnvName('IRONBEAM_USERNAME')).toBe(true);
    expect(isSecretEnvName('ACME_USERNAME')).toBe(false);
  });

  it("every module's credential pairs are registered in their basic-auth encoding", () => {
    const pairs = modules.flatMap((m) => m.credentialPairs ?? []);
    expect(pairs.length).toBeGreaterThan(0);
    const env: NodeJS.ProcessEnv = {};
    for (const [user, pass] of pairs) {
      env[user] = `u${user.length}x-user-value`;
      if (pass) env[pass] = `p${pass.length}x-pass-value`;
    }
    registerSecretsFromEnv(env);
    for (const [user, pass] of pairs) {
      const encoded = Buffer.from(`${env[user]}:${pass ? env[pass] : ''}`).toString('base64');
      expect(redactString(`x-blob ${encoded} end`), `${user}:${pass}`).toBe(`x-blob ${REDACTED} end`);
    }
  });

  it('catalog sources are the modules that declare they produce the group', () => {
    for (const group of VARIABLE_GROUPS) {
      const producers = modules.filter((m) => m.produces.includes(group)).map((m) => m.name);
      expect(producers.length, group).toBeGreaterThan(0);
      for (const v of CATALOG.filter((x) => x.group === group)) expect(v.sources, v.name).toEqual(producers);
    }
  });

  it('the config trust digest reads the rules and every module file', () => {
    const sources = schemaSources();
    for (const f of sources) expect(existsSync(f), f).toBe(true);
    const dir = join(ROOT, 'src', 'core');
    for (const own of ['config.ts', 'types.ts', 'vendors/registry.ts', 'vendors/overrides.ts', 'vendors/specs.ts', 'vendors/index.ts'])
      expect(sources).toContain(join(dir, own));
    for (const m of modules) expect(sources).toContain(fileURLToPath(m.source));
  });

  it("the runner's clients are the modules' clients", () => {
    for (const m of modules) {
      const s = getSpec(registry, m.name)!;
      expect(!!marketDataOf(s), m.name).toBe(!!m.client?.marketdata);
      expect(!!paperBrokerOf(s), m.name).toBe(!!m.client?.broker);
      expect(!!chatOf(s), m.name).toBe(!!m.client?.chat);
      if (m.client?.marketdata) expect(marketDataOf(s)!.defaultSymbol).toBe(m.client.marketdata.defaultSymbol);
    }
    // a built-in probed by a configured http check has no vendor client
    const overridden = loadRegistry({ integrations: { polygon: { probe: { url: 'https://status.example.test/' } } }, env: {} });
    expect(marketDataOf(getSpec(overridden, 'polygon')!)).toBeUndefined();
  });

  it('any file of the import cycle can be loaded first (built modules, a fresh node each): no TDZ', async () => {
    const entries = [
      ...modules.map((m) => `core/vendors/${fileURLToPath(m.source).split('/').pop()!.replace(/\.ts$/, '.js')}`),
      'core/vendors/index.js',
      'core/redact.js',
      'core/config-trust.js',
      'core/db/errors.js',
      'sdk/recorder.js',
    ];
    const dist = join(ROOT, 'dist');
    const script = (entry: string) =>
      `await import(${JSON.stringify(join(dist, entry))});` +
      `const r = await import(${JSON.stringify(join(dist, 'core/redact.js'))});` +
      `const c = await import(${JSON.stringify(join(dist, 'core/catalog.js'))});` +
      `const g = await import(${JSON.stringify(join(dist, 'core/vendors/registry.js'))});` +
      `console.log(JSON.stringify([r.isSecretEnvName('IRONBEAM_USERNAME'), c.CATALOG[0].sources, g.BUILTIN_NAMES]));`;
    for (const entry of entries) {
      const r = await execa(process.execPath, ['--input-type=module', '-e', script(entry)], { env: baseEnv(), extendEnv: false, reject: false });
      expect(r.stderr, entry).toBe('');
      expect(JSON.parse(String(r.stdout)), entry).toEqual([true, producersOf('market_data'), modules.map((m) => m.name)]);
    }
  });
});
