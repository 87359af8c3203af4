/**
 * A config file validated once is trusted by later runs only while its bytes and the schema
 * modules are unchanged, and only from a marker directory closed to others (config-trust.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/core/config.js';
import { loadRegistry } from '../src/core/vendors/registry.js';
import { configDigest } from '../src/core/config-trust.js';

const dir = mkdtempSync(join(tmpdir(), 'obs-trust-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const home = join(dir, 'home');
const env = { OBSERVATORY_HOME: home };
const markers = () => (existsSync(join(home, 'cache', 'valid-config')) ? readdirSync(join(home, 'cache', 'valid-config')) : []);
const body = {
  integrations: {
    polygon: { interval_ms: 60000, required_for: ['live', 'paper'] },
    acme: { kind: 'custom', required_for: ['live'], probe: { url: 'http://127.0.0.1:9/health' } },
  },
};

function load(path: string) {
  const config = loadConfig({ env, configPath: path });
  return { config, registry: loadRegistry(config) };
}

describe('config-trust', () => {
  const file = join(dir, 'observatory.json');
  writeFileSync(file, JSON.stringify(body));

  it('the first load validates and leaves a marker; the next load of the same bytes is trusted and equal', () => {
    const first = load(file);
    expect(first.config.fileCheck?.trusted).toBe(false);
    expect(markers()).toEqual([configDigest(JSON.stringify(body))]);
    const second = load(file);
    expect(second.config.fileCheck?.trusted).toBe(true);
    expect(second.registry).toEqual(first.registry);
    expect({ ...second.config, fileCheck: undefined }).toEqual({ ...first.config, fileCheck: undefined });
  });

  it('changed bytes are validated again, and an invalid file is still refused with the field named', () => {
    writeFileSync(file, JSON.stringify({ integrations: { polygon: { interval_ms: 'soon' } } }));
    expect(() => load(file)).toThrow(/integrations\.polygon\.interval_ms/);
    writeFileSync(file, JSON.stringify({ ...body, log_level: 'loud' }));
    expect(() => load(file)).toThrow(/log_level/);
    expect(markers()).toHaveLength(1); // nothing remembered for files that failed
  });

  it('a marker only counts in a directory closed to others', () => {
    writeFileSync(file, JSON.stringify(body));
    expect(load(file).config.fileCheck?.trusted).toBe(true);
    chmodSync(join(home, 'cache', 'valid-config'), 0o777);
    expect(load(file).config.fileCheck?.trusted).toBe(false);
    chmodSync(join(home, 'cache', 'valid-config'), 0o700);
  });

  it('the marker home comes from the environment, never from the file being judged', () => {
    const other = join(dir, 'elsewhere');
    writeFileSync(file, JSON.stringify({ ...body, home: other }));
    const config = loadConfig({ env: {}, configPath: file });
    expect(config.home).toBe(other);
    expect(config.fileCheck?.home).not.toBe(other);
  });
});
