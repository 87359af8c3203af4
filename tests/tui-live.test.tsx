/**
 * The TUI's freshness rules on a real database: NOTIFY-driven updates within a second,
 * the STALE banner when the daemon's heartbeat is old, UNKNOWN (never the last good data)
 * while the store is unreachable and recovery by itself, the plain frame when stdout is not
 * a terminal, colour decisions, and a leak check over every frame.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';

// before ink (and its chalk) load: colour must be possible, so "no colour" is the TUI's decision
vi.hoisted(() => {
  process.env.FORCE_COLOR = '1';
});
import pg from 'pg';
import { Relay } from './helpers/relay.js';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { events, KEY, mount, plain, poolStore, seedWorld, testConfig, writeState, type Mounted, type Seeded } from './tui-fixtures.js';
import { canaryEnv, findLeaks } from './standins/fixtures.js';
import { run } from '../src/cli/tui.js';
import { createLogger } from '../src/core/log.js';
import type { StoreHandle } from '../src/tui/controller.js';
import type { Config } from '../src/core/config.js';
import type { CommandContext } from '../src/cli/context.js';

let db: TestDb;
let world: Seeded;
let config: Config;
let m: Mounted | undefined;
const canaries = canaryEnv();
const allFrames: string[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  world = await seedWorld(db.pool);
  // canaries in every secret env var: loadConfig registers them with the sanitizer
  config = testConfig(db.url, canaries);
});
afterEach(async () => {
  if (m) {
    allFrames.push(...m.frames, plain(m.ui.lastFrame()));
    await m.close();
  }
  m = undefined;
});
afterAll(() => {
  // the leak check over every frame this file rendered
  expect(allFrames.length).toBeGreaterThan(20);
  expect(findLeaks(allFrames.join('\n'), Object.values(canaries))).toEqual([]);
});

const open = (extra: Partial<Parameters<typeof mount>[0]> = {}) => (m = mount({ openStore: poolStore(db.pool, db.url), config, ...extra }));

/** Opens a fresh pool per attempt, as the real store does, so recovery is the product's, not the test's. */
function relayStore(url: string): () => Promise<StoreHandle> {
  return async () => {
    const pool = new pg.Pool({ connectionString: url, max: 3, connectionTimeoutMillis: 1_000 });
    pool.on('error', () => undefined);
    try {
      await pool.query('select 1');
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    return { pool, url, describe: 'external relay', close: () => pool.end() };
  };
}

describe('live updates', () => {
  it('a state change NOTIFYed by the prober shows within a second, with polling far away (60 s)', async () => {
    // paper needs a broker on its demo host (core/modes.ts): a healthy demo Tradovate here, so the gate's
    // verdict turns on the market-data change under test and not on the seeded broker's missing credentials
    await writeState(db.pool, 'tradovate', { status: 'OK', latencyMs: 40 });
    onTestFinished(() =>
      writeState(db.pool, 'tradovate', { status: 'BLOCKED', outcome: 'MISSING_CREDENTIALS', reason: 'MISSING_CREDENTIALS', connected: false }).then(
        () => undefined,
      ),
    );
    const t = open({ listen: true, intervalMs: 60_000, columns: 120 });
    await t.until((s) => s.includes('LISTEN ok · poll') && /polygon\s+yes\s+OK/.test(s), 'first frame, LISTEN up');
    const started = Date.now();
    const trace = await writeState(db.pool, 'polygon', {
      status: 'BLOCKED',
      outcome: 'UPSTREAM_5XX',
      reason: 'FAULT_INJECTED',
      message: 'server error (5xx)',
      httpStatus: 503,
      injected: true,
      notify: true,
    });
    onTestFinished(() => writeState(db.pool, 'polygon', { status: 'OK', latencyMs: 35 }).then(() => undefined));
    const f = await t.until((s) => /polygon\s+yes\s+BLOCKED/.test(s), 'polygon BLOCKED', 1_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(f).toMatch(/polygon\s+yes\s+BLOCKED .*FAULT_INJECTED \(drill\)/);
    // paper needs market data: databento is only DEGRADED, so the group is still met (DEGRADED)
    expect(f).toMatch(/\[ DEGRADED \]/);
    await t.press('4');
    const g = await t.until((s) => s.includes('autonomy (paper)'), 'gate');
    expect(g).toContain(trace);
    await writeState(db.pool, 'polygon', { status: 'OK', latencyMs: 35, notify: true });
    await t.until((s) => !s.includes(trace), 'recovered', 1_000);
  });

  it('a usage event (ingest NOTIFY) appears in the open drawer within a second', async () => {
    const t = open({ listen: true, intervalMs: 60_000 });
    await t.until((s) => s.includes('LISTEN ok · poll') && s.includes('risk_engine'), 'LISTEN up');
    await t.press('j');
    await t.press(KEY.enter);
    await t.until((s) => s.includes('Usage events — last 2'), 'polygon drawer');
    const started = Date.now();
    const trace = '5eed'.repeat(8);
    await events(db.pool, [{ bot_id: world.alpha.id, integration: 'polygon', operation: 'marketdata.quotes', status: 'OK', records: 7, trace_id: trace }]);
    const f = await t.until((s) => s.includes(trace), 'new event', 1_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(f).toContain('Usage events — last 3');
  });

  it('polling picks up changes when no NOTIFY comes', async () => {
    const t = open({ listen: false, intervalMs: 300 });
    await t.until((s) => /openai\s+yes\s+OK/.test(s), 'first frame');
    await writeState(db.pool, 'openai', { status: 'DEGRADED', outcome: 'RATE_LIMITED', reason: 'RATE_LIMITED', message: 'rate limited (429)' });
    onTestFinished(() => writeState(db.pool, 'openai', { status: 'OK', latencyMs: 180 }).then(() => undefined));
    await t.until((s) => /openai\s+yes\s+DEGRADED\s.*RATE_LIMITED/.test(s), 'polled', 3_000);
    expect(t.frame()).toContain('no LISTEN · poll 300ms');
  });
});

describe('never stale in silence', () => {
  it('an old daemon heartbeat: STALE banner with the age, header BLOCKED with DAEMON_STALE', async () => {
    await db.pool.query(`update daemon_heartbeats set heartbeat_at = now() - interval '5 minutes'`);
    try {
      const t = open();
      const f = await t.until((s) => s.includes('STALE'), 'stale banner');
      expect(f).toMatch(/STALE daemon heartbeat 5m old \(limit 30s\)/);
      expect(f).toContain('[ BLOCKED ]');
      expect(f).toMatch(/daemon heartbeat 5m ago/);
      expect(f).toMatch(/✗ DAEMON_STALE trace_id [0-9a-f]{32}/);
      expect(f.split('\n').length).toBeLessThanOrEqual(23);
    } finally {
      await db.pool.query(`update daemon_heartbeats set heartbeat_at = now()`);
    }
  });

  it('the store unreachable: UNKNOWN and what happened, none of the last good rows; it recovers by itself', async () => {
    const u = new URL(db.url);
    const relay = new Relay({ host: u.hostname, port: Number(u.port || 5432) });
    await relay.start();
    try {
      const t = open({ openStore: relayStore(relay.url(db.url)), intervalMs: 200 });
      await t.until((s) => s.includes('risk_engine') && !s.includes('UNKNOWN'), 'healthy frame');
      await relay.stop();
      const f = await t.until((s) => s.includes('DATABASE UNREACHABLE'), 'outage', 5_000);
      expect(f).toContain('[ UNKNOWN ]');
      expect(f).toContain('? STATUS_UNAVAILABLE fix: ');
      // the loader itself dropped what it had read (not only the screen hiding it)
      expect(t.controller.getData().status).toBeNull();
      expect(t.controller.getData().panelData).toEqual({}); // every panel's own read, too
      expect(f).toMatch(/retry #\d+ in \d+s/);
      expect(f).toContain('UNKNOWN — store unreachable: integration health not shown (retrying)');
      // no last good data anywhere on screen
      for (const name of ['polygon', 'databento', 'risk_engine', 'openai']) expect(f).not.toContain(name);
      expect(f).not.toMatch(/\[ (OK|DEGRADED|BLOCKED) \]/);
      // every panel says UNKNOWN, too
      for (const k of ['2', '3', '4']) {
        await t.press(k);
        expect(t.frame()).toMatch(/UNKNOWN — store unreachable: .* not shown \(retrying\)/);
      }
      await t.press('1');
      await relay.start();
      const g = await t.until((s) => s.includes('risk_engine') && !s.includes('UNREACHABLE'), 'recovered', 15_000);
      expect(g).not.toContain('[ UNKNOWN ]');
    } finally {
      await relay.stop();
    }
  });

  it('the cause decides the fix: a database that does not exist says so first, and to create it', async () => {
    const u = new URL(db.url);
    u.pathname = '/obs_no_such_database_here';
    const t = open({ config: testConfig(u.toString(), canaries), openStore: relayStore(u.toString()), intervalMs: 200 });
    const f = await t.until((s) => s.includes('DATABASE UNREACHABLE'), 'outage');
    // (cut at 80 columns; how far depends on the port's digits)
    expect(f).toMatch(/DATABASE UNREACHABLE · retry #\d+ in \d+s: the database at 127\.0\.0\.1:\d+\/obs_no/);
    expect(t.controller.getData().outage?.message).toMatch(/\/obs_no_such_database_here does not exist$/);
    expect(f).toContain('? STATUS_UNAVAILABLE fix: create it, or fix the database name in DATABASE_URL');
  });

  it('starting while the store is down never hangs: UNKNOWN with the reason, retrying', async () => {
    const t = open({ openStore: relayStore('postgres://obs:pw-should-not-show@127.0.0.1:1/observatory'), intervalMs: 200 });
    const f = await t.until((s) => s.includes('DATABASE UNREACHABLE'), 'outage at start');
    expect(f).toContain('[ UNKNOWN ]');
    expect(f).toMatch(/DATABASE UNREACHABLE · retry #\d+ in \d+s: cannot reach the status store/);
    expect(t.controller.getData().outage?.message).toMatch(/ECONNREFUSED/); // the whole cause, past the 80 columns shown
    expect(f).not.toContain('pw-should-not-show');
  });
});

describe('colour and plain output', () => {
  const COLOUR_SGR = /\u001B\[(?:3[0-7]|4[0-7]|9[0-7]|10[0-7]|38;|48;)[0-9;]*m/;

  it('without colour (NO_COLOR / --no-color) no colour codes are emitted; status is still text', async () => {
    const t = open({ color: false });
    await t.until((s) => s.includes('risk_engine'), 'rows');
    const raw = t.ui.lastFrame() ?? '';
    expect(raw).not.toMatch(COLOUR_SGR);
    // paper without a broker is BLOCKED (core/modes.ts: a broker on its demo host is required)
    expect(plain(raw)).toMatch(/\[ BLOCKED \]/);
    expect(plain(raw)).toMatch(/databento\s+yes\s+DEGRADED/);
    expect(plain(raw)).toMatch(/polygon\s+yes\s+OK/);
  });

  it('with colour the same statuses are also coloured', async () => {
    const { default: chalk } = await import('chalk');
    expect(chalk.level).toBeGreaterThan(0);
    const t = open({ color: true });
    await t.until((s) => s.includes('risk_engine'), 'rows');
    const raw = t.ui.lastFrame() ?? '';
    expect(raw).toMatch(COLOUR_SGR);
    expect(raw).toMatch(/\u001B\[32mOK/); // polygon's OK in green
    expect(plain(raw)).toMatch(/ DEGRADED /);
  });
});

describe('stdout is not a terminal', () => {
  async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const w1 = process.stdout.write.bind(process.stdout);
    const w2 = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((c: string | Uint8Array) => (out.push(String(c)), true)) as typeof process.stdout.write;
    process.stderr.write = ((c: string | Uint8Array) => (err.push(String(c)), true)) as typeof process.stderr.write;
    try {
      return { code: await fn(), out: out.join(''), err: err.join('') };
    } finally {
      process.stdout.write = w1;
      process.stderr.write = w2;
    }
  }
  const ctx = (c: Config): CommandContext => ({ config: c, log: createLogger('silent'), globals: {} });

  it('prints one plain frame (header, Panel A, Panel D) and exits 0', async () => {
    expect(process.stdout.isTTY).toBeFalsy();
    const started = Date.now();
    const r = await capture(() => run(ctx(config), { mode: 'paper' }));
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    allFrames.push(r.out);
    // the seeded world has no broker: paper is BLOCKED (REQUIREMENT_UNMET on the broker group)
    expect(r.out).toMatch(/^OBSERVATORY \[ BLOCKED \] mode paper/);
    expect(r.out).toMatch(/polygon\s+yes\s+OK/);
    expect(r.out).toMatch(/BLOCKED autonomy \(paper\): 1 blocker\(s\), \d+ warning\(s\)/);
    expect(r.out).not.toMatch(/\u001B\[/);
    expect(r.err).toMatch(/not a terminal.*observatory status/);
  });

  it('with the store unreachable the frame says UNKNOWN and exits 0 (never hangs)', async () => {
    const dead = testConfig('postgres://obs:pw-abcdef@127.0.0.1:1/observatory', canaries);
    const r = await capture(() => run(ctx(dead), { mode: 'live' }));
    expect(r.code).toBe(0);
    allFrames.push(r.out);
    expect(r.out).toContain('[ UNKNOWN ]');
    expect(r.out).toContain('DATABASE UNREACHABLE');
    expect(r.out).not.toContain('pw-abcdef');
  });

  it('rejects a bad --interval or mode as a usage error', async () => {
    await expect(run(ctx(config), { mode: 'paper', intervalMs: 10 })).rejects.toMatchObject({ exitCode: 64 });
    await expect(run(ctx(config), { mode: 'sideways' as never })).rejects.toMatchObject({ exitCode: 64 });
  });
});

describe('sanitizer on every dynamic string', () => {
  it('a secret that reached a stored message is shown redacted', async () => {
    await writeState(db.pool, 'openai', {
      status: 'DEGRADED',
      outcome: 'AUTH_REJECTED',
      reason: 'AUTH_REJECTED',
      message: `vendor said: bad key ${canaries.OPENAI_API_KEY}`,
    });
    onTestFinished(() => writeState(db.pool, 'openai', { status: 'OK', latencyMs: 180 }).then(() => undefined));
    const t = open({ columns: 160, rows: 30 });
    const f = await t.until((s) => /openai\s+yes\s+DEGRADED/.test(s), 'openai row');
    expect(f).toContain('[REDACTED]');
    expect(f).not.toContain(canaries.OPENAI_API_KEY);
  });
});
