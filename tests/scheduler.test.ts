/**
 * daemon/scheduler.ts in-process: only the leader probes; a new leader probes everything at
 * once; at most probe_concurrency probes run at a time and an integration never stacks; stop()
 * ends the rhythm. Probes are real (custom HTTP integrations against a local server that
 * answers slowly) and recorded in a real database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { waitFor } from './helpers/wait.js';
import { loadConfig, type Config } from '../src/core/config.js';
import { loadRegistry } from '../src/core/vendors/registry.js';
import { createLogger } from '../src/core/log.js';
import { ConfigError } from '../src/core/errors.js';
import { ProbeScheduler, cronFor } from '../src/daemon/scheduler.js';
import type { DaemonContext } from '../src/daemon/daemon.js';
import { statusByIntegration } from '../src/core/views.js';
import type { Registry } from '../src/core/types.js';

const ANSWER_MS = 600;
let db: TestDb;
let server: Server;
let config: Config;
let registry: Registry;
/** the same integrations probed hourly: a probe within seconds of taking leadership can only be the take-over's */
let hourly: Registry;
/** per path: requests seen, in flight now, most in flight at once; and the most in flight overall */
const seen = { total: 0, inFlight: 0, maxInFlight: 0, byPath: new Map<string, { n: number; inFlight: number; max: number }>() };

beforeAll(async () => {
  db = await freshDatabase();
  server = createServer((req, res) => {
    const p = seen.byPath.get(req.url!) ?? { n: 0, inFlight: 0, max: 0 };
    seen.byPath.set(req.url!, p);
    seen.total++;
    p.n++;
    p.inFlight++;
    seen.inFlight++;
    p.max = Math.max(p.max, p.inFlight);
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      p.inFlight--;
      seen.inFlight--;
    };
    res.on('close', end);
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      end();
    }, ANSWER_MS);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = (path: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  const slow = (path: string) => ({ probe: { url: url(path) }, interval_ms: 1_000, timeout_ms: 1_000 });
  const loaded = loadConfig({ env: { DATABASE_URL: db.url, OBSERVATORY_HOME: join(tmpdir(), 'obs-sched-unused') } });
  const hour = (path: string) => ({ ...slow(path), interval_ms: 3_600_000 });
  const full = loadRegistry({
    ...loaded,
    integrations: { slow_a: slow('/a'), slow_b: slow('/b'), slow_c: slow('/c'), hourly_a: hour('/h/a'), hourly_b: hour('/h/b'), hourly_c: hour('/h/c') },
  });
  // only the local integrations: the built-ins would probe nothing here (no credentials)
  registry = { integrations: full.integrations.filter((s) => s.name.startsWith('slow_')), groups: [] };
  hourly = { integrations: full.integrations.filter((s) => s.name.startsWith('hourly_')), groups: [] };
  config = { ...loaded, daemon: { ...loaded.daemon, probeConcurrency: 2 } };
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

function context(leader: { value: boolean }): DaemonContext {
  return {
    config,
    log: createLogger('silent'),
    store: { pool: db.pool, url: db.url, describe: 'test', close: async () => undefined },
    daemonId: 'sched-test',
    isLeader: () => leader.value,
    setLeader: (v) => (leader.value = v),
  };
}
const probeRows = async (prefix = 'slow_') =>
  (await db.pool.query(`select count(*)::int as n from integration_probes where daemon_id = 'sched-test' and integration like $1`, [`${prefix}%`])).rows[0]
    .n as number;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cronFor', () => {
  it('the cron step for an interval it can schedule; a hand-built registry with any other is refused naming the field', () => {
    expect(cronFor(5_000, 'x')).toBe('*/5 * * * * *');
    expect(cronFor(120_000, 'x')).toBe('0 */2 * * * *');
    expect(() => cronFor(7_000, 'acme')).toThrow(ConfigError);
    expect(() => cronFor(7_000, 'acme')).toThrow(/field `integrations\.acme\.interval_ms`: expected an interval that divides a minute, an hour or a day/);
    const bad = { ...registry, integrations: [{ ...registry.integrations[0], intervalMs: 1_500 }] };
    // refused before anything starts
    expect(() => new ProbeScheduler(bad)).toThrow(/integrations\.slow_a\.interval_ms/);
  });
});

describe('ProbeScheduler', () => {
  it('a follower never probes; a new leader probes every integration at once, not an interval later', async () => {
    const leader = { value: false };
    const s = new ProbeScheduler(hourly);
    await s.start(context(leader));
    try {
      await sleep(1_000);
      expect(seen.total).toBe(0);
      leader.value = true;
      // all three (two at once, the third in the next free slot), each exactly once
      await waitFor(async () => (await probeRows('hourly_')) === 3, 5_000, 'the new leader probing every integration');
      expect(['/h/a', '/h/b', '/h/c'].map((p) => seen.byPath.get(p)?.n)).toEqual([1, 1, 1]);
      expect(await statusByIntegration(db.pool, hourly, config)).toEqual({ hourly_a: 'OK', hourly_b: 'OK', hourly_c: 'OK' });
      await sleep(1_000);
      expect(await probeRows('hourly_')).toBe(3); // the next round is an hour away
    } finally {
      await s.stop();
    }
  });

  it("the leader keeps each integration's rhythm within probe_concurrency, never stacking one; stop() ends it", async () => {
    // this test's own maxima
    seen.maxInFlight = seen.inFlight;
    for (const p of seen.byPath.values()) p.max = p.inFlight;
    const leader = { value: true };
    const s = new ProbeScheduler(registry);
    await s.start(context(leader));
    try {
      await waitFor(async () => (await probeRows()) >= 9, 15_000, 'three rounds recorded');
      expect(await statusByIntegration(db.pool, registry, config)).toEqual({ slow_a: 'OK', slow_b: 'OK', slow_c: 'OK' });
      // probe_concurrency (2) is reached and never exceeded, and no integration ever has two probes in flight
      expect(seen.maxInFlight).toBe(2);
      for (const path of ['/a', '/b', '/c']) expect(seen.byPath.get(path)!.max, path).toBe(1);
    } finally {
      await s.stop();
    }
    const after = await probeRows();
    const requests = seen.total;
    await sleep(1_500);
    expect(seen.total).toBe(requests);
    expect(await probeRows()).toBe(after);
  });

  it('losing leadership stops the probing at once', async () => {
    const leader = { value: true };
    const s = new ProbeScheduler(registry);
    await s.start(context(leader));
    try {
      const before = seen.total;
      await waitFor(() => seen.total > before, 3_000, 'probing as leader');
      leader.value = false;
      await sleep(ANSWER_MS + 200); // the probes already in flight finish
      const settled = seen.total;
      await sleep(1_500);
      expect(seen.total).toBe(settled);
    } finally {
      await s.stop();
    }
  });
});
