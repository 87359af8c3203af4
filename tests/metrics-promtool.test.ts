/**
 * /metrics is a valid Prometheus exposition by the reference linter (`promtool check metrics`:
 * names, types, help, base units in names — seconds, not ms). Runs the real promtool when it is
 * installed (CI installs it, .ci/run); skips with the reason on stdout when it is not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { startApi, type Api } from './helpers/api.js';
import { insertProbe, upsertState } from '../src/core/db/state.js';
import { withTransaction } from '../src/core/db/pool.js';
import { applyProbe } from '../src/core/status.js';
import { loadRegistry } from '../src/core/vendors/registry.js';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const havePromtool = promtool.status === 0;
if (!havePromtool) process.stdout.write('metrics-promtool.test.ts: skipped — promtool not installed (Debian/Ubuntu: apt-get install prometheus)\n');

let db: TestDb;
let api: Api;

beforeAll(async () => {
  db = await freshDatabase();
  api = await startApi(db, { leader: true });
  // one probe with a latency, so the latency gauge has a sample to lint
  const spec = loadRegistry(api.config).integrations.find((s) => s.name === 'postgres')!;
  await withTransaction(db.pool, async (c) => {
    const now = new Date();
    const result = { outcome: 'OK' as const, latencyMs: 12, traceId: 'ab'.repeat(16) };
    const state = applyProbe(spec, undefined, result, { connected: true, now });
    await insertProbe(c, { integration: 'postgres', probedAt: now, status: state.status, result, reasonCode: null, daemonId: 'api-test' });
    await upsertState(c, state);
  });
});
afterAll(async () => {
  await api?.close();
});

describe.skipIf(!havePromtool)('GET /metrics under promtool', () => {
  it('passes `promtool check metrics`, latency in seconds', async () => {
    const m = await api.get('/metrics');
    expect(m.status).toBe(200);
    expect(m.body).toMatch(/^observatory_integration_latency_seconds\{integration="postgres"\} 0\.012$/m);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: m.body as string, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
  });
});
