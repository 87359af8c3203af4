/**
 * Issue 9, points 7 and 9 across a restart: the vendors' pauses and refused logins are kept in
 * vendor_holds (migrations/010), so a restarted prober (a new TokenCache reading the same
 * database) neither logs in again to Tradovate with credentials it just refused nor calls a
 * host during a captcha or 429 lockout; changed credentials still lift a refusal at once; and
 * the table holds no secret (no credential value, no token, no p-ticket).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { waitFor } from './helpers/wait.js';
import { probeAndRecord } from '../src/core/prober.js';
import { runProbe } from '../src/core/vendors/probe.js';
import { LOGIN_REFUSAL_BACKOFF_MS, TokenCache } from '../src/core/vendors/session.js';
import { TRADOVATE_LOCKOUT_PAUSE_MS } from '../src/core/vendors/tradovate.js';
import { deleteVendorHold, loadVendorHolds, saveVendorHold, vendorHoldStore } from '../src/core/db/vendor-holds.js';
import { loadConfig } from '../src/core/config.js';
import { loadRegistry } from '../src/core/vendors/registry.js';
import { createLogger } from '../src/core/log.js';
import { ProbeScheduler } from '../src/daemon/scheduler.js';
import { cli } from './helpers/cli.js';
import type { DaemonContext } from '../src/daemon/daemon.js';
import * as vendors from './standins/vendors.js';
import { canaryEnv, findLeaks, makeCtx, makeSpec, vendorDef } from './standins/fixtures.js';

const env = canaryEnv();
const bad: Record<string, string> = { ...env, TRADOVATE_PASSWORD: `${env.TRADOVATE_PASSWORD}-wrong` };
let db: TestDb;
let s: vendors.TradovateStandin;

beforeAll(async () => {
  db = await freshDatabase();
  s = await vendors.tradovate({ name: env.TRADOVATE_USERNAME, password: env.TRADOVATE_PASSWORD, cid: env.TRADOVATE_CID, sec: env.TRADOVATE_SECRET }).start();
  await fetch(s.origin).catch(() => undefined); // a cold first request can take most of a short deadline
});
afterAll(async () => {
  await s.close();
});
afterEach(async () => {
  s.reset();
  s.penalty = undefined;
  await db.pool.query('delete from vendor_holds');
  await db.pool.query('delete from integration_state');
});

const spec = () => makeSpec(vendorDef('tradovate', s.baseUrl), { timeoutMs: 3_000 });

/** A prober as a (re)started daemon builds it: a new TokenCache that reads the store back and writes through to it. */
async function startProber(e: NodeJS.ProcessEnv, now = Date.now()) {
  const errors: string[] = [];
  const cache = new TokenCache({ store: vendorHoldStore(db.pool), onStoreError: (_err, what) => errors.push(what) });
  const restored = await cache.restore(await loadVendorHolds(db.pool, now), e, now);
  const probe = async (over: { now?: () => number } = {}) => {
    const r = over.now
      ? await runProbe(spec(), makeCtx({ env: e, tokenCache: cache, now: over.now }))
      : (await probeAndRecord(spec(), { pool: db.pool, env: e, tokenCache: cache, daemonId: 'holds-test' })).result;
    await cache.flush();
    return r;
  };
  return { cache, restored, probe, errors };
}

const rows = async () =>
  (await db.pool.query<{ kind: string; key: string; outcome: string; message: string }>('select kind, key, outcome, message from vendor_holds order by kind'))
    .rows;
const state = async () =>
  (await db.pool.query<{ status: string; reason_code: string }>(`select status, reason_code from integration_state where integration = 'tradovate'`)).rows[0];

describe('a refused login survives a restart', () => {
  it('the restarted prober does not log in again with the same credentials and reports AUTH_REJECTED; changed credentials log in at once', async () => {
    const first = await startProber(bad);
    expect((await first.probe()).outcome).toBe('AUTH_REJECTED');
    expect(s.logins).toBe(1);
    expect(await rows()).toEqual([
      { kind: 'refusal', key: `tradovate|${s.baseUrl}`, outcome: 'AUTH_REJECTED', message: expect.stringMatching(/^login rejected by /) },
    ]);

    // restart, same (refused) credentials: no login, the same answer as before the restart
    const second = await startProber(bad);
    expect(second.restored).toEqual({ holds: 0, refusals: 1, lifted: 0 });
    const again = await second.probe();
    expect(again.outcome).toBe('AUTH_REJECTED');
    expect(again.message).toMatch(/^login not retried: these credentials were refused at \S+ \(login rejected by .*\); change them, or wait until /);
    expect(s.logins).toBe(1);
    expect(await state()).toEqual({ status: 'BLOCKED', reason_code: 'AUTH_REJECTED' });

    // restart with the credentials fixed: the refusal is lifted (row removed) and the login goes out at once
    const third = await startProber(env);
    expect(third.restored).toEqual({ holds: 0, refusals: 0, lifted: 1 });
    expect((await third.probe()).outcome).toBe('OK');
    expect(s.logins).toBe(2);
    await third.cache.flush();
    expect(await rows()).toEqual([]);
    expect([...first.errors, ...second.errors, ...third.errors]).toEqual([]);
  });

  it('the back-off passing lifts it after a restart too, and the row goes', async () => {
    const first = await startProber(bad);
    await first.probe();
    const later = Date.now() + LOGIN_REFUSAL_BACKOFF_MS + 1_000;
    const second = await startProber(bad, later);
    expect(second.restored).toEqual({ holds: 0, refusals: 0, lifted: 0 });
    expect(await rows()).toEqual([]);
    expect((await second.probe({ now: () => later })).outcome).toBe('AUTH_REJECTED');
    expect(s.logins).toBe(2);
  });

  it('a refusal in memory whose credentials change removes its row', async () => {
    const p = await startProber(bad);
    await p.probe();
    expect(await rows()).toHaveLength(1);
    // same process, credentials changed (a CLI round with a new env): the login goes out, the row is removed
    expect((await runProbe(spec(), makeCtx({ env, tokenCache: p.cache }))).outcome).toBe('OK');
    await p.cache.flush();
    expect(await rows()).toEqual([]);
  });
});

describe('a vendor pause survives a restart', () => {
  it.each([
    {
      name: 'captcha on the login',
      provoke: async (probe: () => Promise<unknown>) => {
        s.penalty = { pTime: 60, captcha: true };
        await probe();
      },
    },
    {
      name: '429 lockout on the check',
      provoke: async (probe: () => Promise<unknown>) => {
        await probe();
        s.set({ kind: 'vendor', name: 'lockout_429', scope: 'probe' });
        await probe();
      },
    },
  ])('$name: nothing reaches the host until the pause ends, the status stays BLOCKED VENDOR_PENALTY', async ({ provoke }) => {
    const first = await startProber(env);
    const t0 = Date.now();
    await provoke(first.probe);
    expect(await state()).toEqual({ status: 'BLOCKED', reason_code: 'VENDOR_PENALTY' });
    const [row] = await rows();
    expect(row).toMatchObject({ kind: 'hold', key: `tradovate|${new URL(s.baseUrl).host}`, outcome: 'VENDOR_PENALTY' });
    s.penalty = undefined;
    s.set({ kind: 'normal' });
    const n = s.requests.length;

    // restart: the pause is read back; the probe answers from it without a request
    const second = await startProber(env);
    expect(second.restored).toMatchObject({ holds: 1 });
    const held = await second.probe();
    expect(held.outcome).toBe('VENDOR_PENALTY');
    expect(held.message).toMatch(/^not probed until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: /);
    expect(held.retryAfterMs).toBeGreaterThan(TRADOVATE_LOCKOUT_PAUSE_MS - (Date.now() - t0) - 1_000);
    expect(s.requests.length).toBe(n);
    expect(await state()).toEqual({ status: 'BLOCKED', reason_code: 'VENDOR_PENALTY' });

    // just before it ends: still nothing sent; once it has ended: the host is called again and the row goes
    const end = t0 + TRADOVATE_LOCKOUT_PAUSE_MS;
    expect((await second.probe({ now: () => end - 60_000 })).outcome).toBe('VENDOR_PENALTY');
    expect(s.requests.length).toBe(n);
    expect((await second.probe({ now: () => end + 120_000 })).outcome).toBe('OK');
    expect(s.requests.length).toBeGreaterThan(n);
    expect(await rows()).toEqual([]);
  });

  it('a shorter pause never shortens a longer one in the store', async () => {
    const at = Date.now();
    const key = 'acme|example.invalid';
    await saveVendorHold(db.pool, { kind: 'hold', key, outcome: 'VENDOR_PENALTY', message: 'long', at, until: at + 3_600_000 });
    await saveVendorHold(db.pool, { kind: 'hold', key, outcome: 'RATE_LIMITED', message: 'short', at, until: at + 5_000 });
    expect((await loadVendorHolds(db.pool)).map((h) => [h.message, h.until])).toEqual([['long', at + 3_600_000]]);
    // removing the short one's end leaves the long one
    await deleteVendorHold(db.pool, 'hold', key, at + 5_000);
    expect(await loadVendorHolds(db.pool)).toHaveLength(1);
  });
});

describe('no secret in vendor_holds', () => {
  it('after a refusal, a penalty ticket and a lockout: no credential value, token or p-ticket in any row; the check is salted scrypt', async () => {
    const snapshots: Array<Record<string, unknown>> = [];
    const snap = async () => snapshots.push(...(await db.pool.query<Record<string, unknown>>('select * from vendor_holds')).rows);
    await (await startProber(bad)).probe();
    await snap();
    await db.pool.query('delete from vendor_holds');
    // a time penalty whose ticket carries the password (the stand-in's shape makes a leak visible)
    const b = await startProber(env);
    s.set({ kind: 'vendor', name: 'penalty', scope: 'login' });
    expect((await b.probe()).outcome).toBe('RATE_LIMITED');
    const ticket = `ticket-${env.TRADOVATE_PASSWORD}`;
    expect(b.cache.ticket(`tradovate|${s.baseUrl}`)).toBe(ticket); // it exists, in memory only
    await snap();
    // the ticket resent after its time, then a 423 on the check
    s.set({ kind: 'normal' });
    const later = () => Date.now() + 60_000;
    expect((await b.probe({ now: later })).outcome).toBe('OK');
    s.set({ kind: 'vendor', name: 'locked_423', scope: 'probe' });
    expect((await b.probe({ now: later })).outcome).toBe('VENDOR_PENALTY');
    await snap();

    expect(snapshots.map((r) => `${String(r.kind)} ${String(r.outcome)}`)).toEqual(['refusal AUTH_REJECTED', 'hold RATE_LIMITED', 'hold VENDOR_PENALTY']);
    const secrets = [...Object.values(bad), ...Object.values(env), ticket, ...s.validTokens];
    expect(findLeaks(JSON.stringify(snapshots), secrets)).toEqual([]);
    const refusal = snapshots[0] as { credential_env: string[]; credential_check: string };
    expect(refusal.credential_env).toEqual(['TRADOVATE_USERNAME', 'TRADOVATE_PASSWORD', 'TRADOVATE_CID', 'TRADOVATE_SECRET']);
    expect(refusal.credential_check).toMatch(/^scrypt\$32768\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    // salted per row: the same refused credentials stored again give a different check
    await db.pool.query('delete from vendor_holds');
    await (await startProber(bad)).probe();
    const again = (await db.pool.query<{ credential_check: string }>(`select credential_check from vendor_holds where kind = 'refusal'`)).rows[0];
    expect(again.credential_check).not.toBe(refusal.credential_check);
  });
});

describe('the daemon reads the store back before its first probe', () => {
  it('a restarted scheduler does not log in with the refused credentials and records AUTH_REJECTED, not a fresh login', async () => {
    const cfgEnv = { ...bad, TRADOVATE_BASE_URL: s.baseUrl, DATABASE_URL: db.url, OBSERVATORY_HOME: join(tmpdir(), 'obs-holds-unused') };
    const config = loadConfig({ env: cfgEnv });
    const registry = { integrations: loadRegistry(config).integrations.filter((x) => x.name === 'tradovate'), groups: [] };
    const leader = { value: true };
    const ctx: DaemonContext = {
      config,
      log: createLogger('silent'),
      store: { pool: db.pool, url: db.url, describe: 'test', close: async () => undefined },
      daemonId: 'holds-daemon',
      isLeader: () => leader.value,
      setLeader: (v) => (leader.value = v),
    };
    const probes = async () =>
      (
        await db.pool.query<{ outcome: string; reason_message: string }>(
          `select outcome, reason_message from integration_probes where daemon_id = 'holds-daemon' and integration = 'tradovate' order by probed_at`,
        )
      ).rows;
    for (const round of [1, 2]) {
      leader.value = true;
      const d = new ProbeScheduler(registry);
      await d.start(ctx);
      try {
        await waitFor(async () => (await probes()).length >= round, 10_000, `probe round ${round}`);
      } finally {
        await d.stop();
      }
    }
    const [before, after] = await probes();
    expect(before.outcome).toBe('AUTH_REJECTED');
    expect(after.outcome).toBe('AUTH_REJECTED');
    expect(after.reason_message).toMatch(/^login not retried: /);
    expect(s.logins).toBe(1);
  });
});

describe('a cron-driven `observatory probe` reads the store back too', () => {
  it('the second round does not log in with the refused credentials; a held host is not called', async () => {
    const e = {
      DATABASE_URL: db.url,
      TRADOVATE_USERNAME: bad.TRADOVATE_USERNAME,
      TRADOVATE_PASSWORD: bad.TRADOVATE_PASSWORD,
      TRADOVATE_CID: bad.TRADOVATE_CID,
      TRADOVATE_SECRET: bad.TRADOVATE_SECRET,
      TRADOVATE_BASE_URL: s.baseUrl,
    };
    const round = async (extra: Record<string, string> = {}) => {
      const r = await cli(['probe', 'tradovate', '--json'], { ...e, ...extra });
      return (JSON.parse(r.stdout) as { probes: Array<{ outcome: string; status: string; message: string | null }> }).probes[0];
    };
    expect(await round()).toMatchObject({ outcome: 'AUTH_REJECTED', status: 'BLOCKED' });
    expect(await round()).toMatchObject({ outcome: 'AUTH_REJECTED', status: 'BLOCKED', message: expect.stringMatching(/^login not retried: /) });
    expect(s.logins).toBe(1);
    // the operator fixes the password, and the vendor answers the login with a captcha: the next round calls nothing
    s.penalty = { pTime: 60, captcha: true };
    expect(await round({ TRADOVATE_PASSWORD: env.TRADOVATE_PASSWORD })).toMatchObject({ outcome: 'VENDOR_PENALTY', status: 'BLOCKED' });
    expect(s.logins).toBe(2);
    const n = s.requests.length;
    expect(await round({ TRADOVATE_PASSWORD: env.TRADOVATE_PASSWORD })).toMatchObject({
      outcome: 'VENDOR_PENALTY',
      message: expect.stringMatching(/^not probed until .*captcha/),
    });
    expect(s.requests.length).toBe(n);
  });
});
