/**
 * observatory/sdk as a bot imports it: by package name, through package.json "exports"
 * (Node's package self-reference, run from the repo root on the built dist), against a real
 * database. Only the public entry is exported; the SDK's parts are not reachable by name.
 */
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { sdkHarness } from './harness.js';
import { baseEnv, ROOT } from '../helpers/cli.js';
import { listEvents } from '../../src/core/db/usage-events.js';

const h = sdkHarness();

const node = (script: string, env: Record<string, string> = {}) =>
  execa(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: baseEnv(env), extendEnv: false, reject: false, timeout: 30_000 });

describe("import { createUsageRecorder } from 'observatory/sdk'", () => {
  it('resolves by package name, creates a recorder against the database and tracks one event', async () => {
    const bot = randomUUID();
    const r = await node(
      `import { createUsageRecorder, SpoolFullError } from 'observatory/sdk';
       const usage = createUsageRecorder({ databaseUrl: process.env.DB, botId: process.env.BOT });
       const bars = await usage.track({ integration: 'polygon', operation: 'marketdata.bars', symbol: 'SPY', timeframe: '1m', records: (b) => b.length }, async () => [1, 2, 3]);
       await usage.close();
       console.log(JSON.stringify({ bars: bars.length, spoolFull: typeof SpoolFullError }));`,
      { DB: h.db.url, BOT: bot, OBSERVATORY_HOME: h.tmp(), LOG_LEVEL: 'silent' },
    );
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(String(r.stdout))).toEqual({ bars: 3, spoolFull: 'function' });
    const events = await listEvents(h.db.pool, { botId: bot });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ integration: 'polygon', operation: 'marketdata.bars', status: 'OK', records: 3, symbol: 'SPY' });
  });

  it('exports the public API only: the parts behind it are not importable by name', async () => {
    const r = await node(
      `const out = {};
       out.api = Object.keys(await import('observatory/sdk')).sort();
       for (const p of ['observatory/dist/sdk/spool.js', 'observatory/dist/sdk/batcher.js', 'observatory']) {
         try { await import(p); out[p] = 'imported'; } catch (e) { out[p] = e.code; }
       }
       console.log(JSON.stringify(out));`,
    );
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(String(r.stdout));
    expect(out.api).toEqual(['EventValidationError', 'RecorderClosedError', 'SpoolFullError', 'createUsageRecorder', 'reasonCodeOf', 'reducesExposure']);
    expect(out['observatory/dist/sdk/spool.js']).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    expect(out['observatory/dist/sdk/batcher.js']).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    expect(out.observatory).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('a TypeScript bot gets the types: the "types" condition names an emitted declaration of the API', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const entry = pkg.exports['./sdk'];
    expect(Object.keys(entry)[0]).toBe('types'); // first, or a resolver that stops at "default" misses it
    const dts = join(ROOT, entry.types);
    expect(existsSync(dts)).toBe(true);
    expect(existsSync(join(ROOT, entry.default))).toBe(true);
    const text = readFileSync(dts, 'utf8');
    for (const name of ['createUsageRecorder', 'UsageRecorder', 'TrackContext', 'GateVerdict', 'EventRow', 'RunHandle']) expect(text).toContain(name);
  });
});
