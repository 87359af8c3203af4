/**
 * SDK + storage on a real Postgres. Outages are real too: the recorder talks to Postgres
 * through a local TCP relay that the test stops (every connection cut, port refused) and
 * restarts on the same port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { ROOT } from './helpers/cli.js';
import { createUsageRecorder, EventValidationError, reasonCodeOf, SpoolFullError, type UsageRecorder } from '../src/sdk/usage.js';
import { readSpoolFile, releaseHeld, Spool } from '../src/sdk/spool.js';
import { insertEvents, listEvents } from '../src/core/db/usage-events.js';
import { lastRun, runningRunsWithStaleHeartbeat } from '../src/core/db/runs.js';
import { rowToJson, validateBatch, type EventRow } from '../src/core/events-schema.js';
import { _resetSecretsForTest, registerSecret } from '../src/core/redact.js';
import { createLogger } from '../src/core/log.js';
import { Writable } from 'node:stream';

let db: TestDb;
const dirs: string[] = [];
const quiet = createLogger('silent');

beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'obs-usage-'));
  dirs.push(d);
  return d;
}

function recorder(extra: Parameters<typeof createUsageRecorder>[0] = {}): UsageRecorder {
  return createUsageRecorder({ pool: db.pool, spoolPath: join(tmp(), 'usage-1-1.jsonl'), log: quiet, exitHooks: false, ...extra });
}

async function stored(ids: string[]): Promise<{ total: number; distinct: number }> {
  const { rows } = await db.pool.query('select count(*)::int as total, count(distinct id)::int as distinct from integration_usage_events where id = any($1::uuid[])', [ids]);
  return rows[0];
}

/** Captures log lines (JSON) to assert what was logged loudly. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _e, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: createLogger('info', {}, sink), lines };
}

/** A TCP relay in front of Postgres that can be stopped and restarted on the same port. */
class Relay {
  private server?: net.Server;
  private sockets = new Set<net.Socket>();
  port = 0;
  constructor(private target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      const up = net.connect(this.target.port, this.target.host);
      for (const s of [client, up]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          up.destroy();
        });
      }
      client.pipe(up);
      up.pipe(client);
    });
    await new Promise<void>((res, rej) => {
      this.server!.once('error', rej);
      this.server!.listen(this.port, '127.0.0.1', () => res());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((res) => (this.server ? this.server.close(() => res()) : res()));
    this.server = undefined;
  }

  url(dbUrl: string): string {
    const u = new URL(dbUrl);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }
}

async function relayPool(): Promise<{ relay: Relay; pool: pg.Pool }> {
  const u = new URL(db.url);
  const relay = new Relay({ host: u.hostname, port: Number(u.port || 5432) });
  await relay.start();
  const pool = new pg.Pool({ connectionString: relay.url(db.url), max: 2, connectionTimeoutMillis: 2_000 });
  pool.on('error', () => undefined);
  return { relay, pool };
}

const bars = { integration: 'databento', operation: 'marketdata.bars', symbol: 'ESZ5', timeframe: '1m' };

describe('SDK: OK / ERROR / BLOCKED', () => {
  it('track() records OK with latency and records (from a function of the result)', async () => {
    const bot = randomUUID();
    const usage = recorder({ botId: bot });
    const result = await usage.track({ ...bars, records: (r: number[]) => r.length, featureKeysUsed: ['md.close'] }, async () => {
      await new Promise((r) => setTimeout(r, 15));
      return [1, 2, 3];
    });
    expect(result).toEqual([1, 2, 3]);
    await usage.close();
    const [ev] = await listEvents(db.pool, { botId: bot });
    expect(ev).toMatchObject({ bot_id: bot, status: 'OK', records: 3, symbol: 'ESZ5', timeframe: '1m', reason_code: null, metadata: { feature_keys_used: ['md.close'] } });
    expect(ev.latency_ms).toBeGreaterThanOrEqual(10);
  });

  it('track() records ERROR with a sanitized reason and rethrows the original error', async () => {
    const canary = `canary-${randomUUID()}`;
    registerSecret(canary);
    const bot = randomUUID();
    const usage = recorder({ botId: bot });
    const boom = Object.assign(new Error(`upstream said: key=${canary} rejected, Bearer ${canary}`), { code: 'UPSTREAM_5XX' });
    await expect(usage.track(bars, () => Promise.reject(boom))).rejects.toBe(boom);
    // a code that IS the secret must not become the reason code
    const sneaky = Object.assign(new Error('x'), { code: canary });
    await expect(usage.track(bars, () => { throw sneaky; })).rejects.toBe(sneaky);
    const http = Object.assign(new Error(`503 for ${canary}`), { status: 503 });
    await expect(usage.track(bars, async () => { throw http; })).rejects.toBe(http);
    await usage.close();
    const { rows } = await db.pool.query('select row_to_json(e)::text as j, reason_code from integration_usage_events e where bot_id = $1 order by created_at', [bot]);
    expect(rows.map((r) => r.reason_code).sort()).toEqual(['ERROR', 'HTTP_503', 'UPSTREAM_5XX']);
    for (const r of rows) {
      expect(r.j).not.toContain(canary);
      expect(JSON.parse(r.j).status).toBe('ERROR');
    }
    expect(rows.some((r) => r.j.includes('[REDACTED]'))).toBe(true);
  });

  it('a bot using only the SDK (no loadConfig) still has its env secrets redacted in what it stores', async () => {
    const canary = `DBK${randomUUID().replace(/-/g, '')}`;
    const name = 'SOMEVENDOR_API_KEY';
    process.env[name] = canary;
    try {
      _resetSecretsForTest(); // as in a fresh bot process: nothing registered yet
      const bot = randomUUID();
      const usage = recorder({ botId: bot });
      const boom = new Error(`401 Unauthorized: invalid API key ${canary}`);
      await expect(usage.track(bars, () => Promise.reject(boom))).rejects.toBe(boom);
      usage.recordBlocked({ integration: 'polygon', operation: 'marketdata.bars' }, 'AUTH_REJECTED', `polygon said bad key ${canary}`);
      await usage.close();
      const { rows } = await db.pool.query('select row_to_json(e)::text as j from integration_usage_events e where bot_id = $1', [bot]);
      expect(rows).toHaveLength(2);
      for (const r of rows) expect(r.j).not.toContain(canary);
    } finally {
      delete process.env[name];
      _resetSecretsForTest();
    }
  });

  it('reasonCodeOf: safe codes normalized, secret-shaped codes and odd values fall back', () => {
    expect(reasonCodeOf(Object.assign(new Error(), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(reasonCodeOf(Object.assign(new Error(), { code: 'rate-limit.exceeded' }))).toBe('RATE_LIMIT_EXCEEDED');
    expect(reasonCodeOf(Object.assign(new Error(), { code: 'A1B2C3D4E5F6G7H8I9' }))).toBe('ERROR');
    expect(reasonCodeOf(Object.assign(new Error(), { name: 'TimeoutError' }))).toBe('TIMEOUT_ERROR');
    expect(reasonCodeOf('a string')).toBe('ERROR');
    expect(reasonCodeOf(undefined)).toBe('ERROR');
  });

  it('recordBlocked() records BLOCKED with its reason and a sanitized message', async () => {
    const bot = randomUUID();
    const run = randomUUID();
    const usage = recorder({ botId: bot });
    const row = usage.recordBlocked({ integration: 'ironbeam', operation: 'broker.place_order', runId: run, symbol: 'ESZ5' }, 'MISSING_CREDENTIALS', 'IRONBEAM_API_KEY is not set; Bearer abcdefghijklmnop');
    await usage.close();
    const [ev] = await listEvents(db.pool, { runId: run });
    expect(ev).toMatchObject({ id: row.id, status: 'BLOCKED', reason_code: 'MISSING_CREDENTIALS', integration: 'ironbeam', run_id: run, trace_id: row.trace_id });
    expect(ev.metadata.reason_message).toBe('IRONBEAM_API_KEY is not set; Bearer [REDACTED]');
  });

  it('a bad event throws synchronously, does not run fn, and stores nothing', async () => {
    const bot = randomUUID();
    const usage = recorder({ botId: bot });
    let ran = false;
    expect(() => usage.track({ integration: 'Not Valid', operation: 'x' }, () => (ran = true))).toThrow(EventValidationError);
    expect(ran).toBe(false);
    expect(() => usage.record({ integration: 'ironbeam', operation: 'broker.fill', status: 'OK' })).toThrow(/metadata\.provenance/);
    expect(() => usage.recordBlocked(bars, 'not a code')).toThrow(EventValidationError);
    try {
      usage.record({ integration: 'polygon', operation: 'marketdata.bars', status: 'NOPE' as 'OK', records: -3 });
    } catch (err) {
      expect((err as EventValidationError).issues.map((i) => i.field).sort()).toEqual(['records', 'status']);
    }
    await usage.close();
    expect((await listEvents(db.pool, { botId: bot })).length).toBe(0);
  });

  it('batches by size and by time; close() drains', async () => {
    const bot = randomUUID();
    const usage = recorder({ botId: bot, batchSize: 10, flushIntervalMs: 60_000 });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(usage.record({ ...bars, status: 'OK', records: 1 }).id);
    // a full batch goes out on its own; a partial one waits for the (long) timer or close()
    await expect.poll(async () => (await stored(ids)).total, { timeout: 5_000 }).toBe(10);
    for (let i = 0; i < 5; i++) ids.push(usage.record({ ...bars, status: 'OK', records: 1 }).id);
    await new Promise((r) => setTimeout(r, 300));
    expect((await stored(ids)).total).toBe(10);
    await usage.close();
    expect(await stored(ids)).toEqual({ total: 15, distinct: 15 });

    const timed = recorder({ botId: bot, batchSize: 1000, flushIntervalMs: 30 });
    const id = timed.record({ ...bars, status: 'OK' }).id;
    await expect.poll(async () => (await stored([id])).total, { timeout: 5_000 }).toBe(1);
    await timed.close();
  });

  it('runs: start, heartbeat, finish through the SDK; events flushed before the terminal state', async () => {
    const bot = randomUUID();
    const usage = recorder({ botId: bot });
    const run = await usage.runs.start({ botName: `bot-${bot.slice(0, 8)}`, mode: 'paper', jobKind: 'session' });
    expect(run).toMatchObject({ bot_id: bot, status: 'RUNNING', mode: 'paper', job_kind: 'session', ended_at: null });
    const id = usage.record({ ...bars, status: 'OK', run_id: run.id }).id;
    expect(await run.heartbeat()).toBe(true);
    const done = await run.finish('SUCCEEDED');
    expect(await stored([id])).toEqual({ total: 1, distinct: 1 });
    expect(done).toMatchObject({ status: 'SUCCEEDED', terminal_state: 'SUCCEEDED' });
    expect(done!.ended_at).not.toBeNull();
    // a retry of the same finish is fine; finishing differently is refused and changes nothing; a heartbeat after the end is refused
    expect((await usage.runs.finish(run.id, 'SUCCEEDED'))!.status).toBe('SUCCEEDED');
    await expect(usage.runs.finish(run.id, 'FAILED', 'LATE')).rejects.toThrow(/already ended SUCCEEDED; a run ends once/);
    expect((await lastRun(db.pool, bot))!.status).toBe('SUCCEEDED');
    expect(await usage.runs.heartbeat(run.id)).toBe(false);
    expect((await lastRun(db.pool, bot))!.id).toBe(run.id);
    await expect(usage.runs.finish(run.id, 'BLOCKED')).rejects.toThrow(/reasonCode/);

    const r2 = await usage.runs.start({ mode: 'shadow' });
    await db.pool.query(`update bot_runs set heartbeat_at = now() - interval '5 minutes' where id = $1`, [r2.id]);
    const stale = await runningRunsWithStaleHeartbeat(db.pool, { botId: bot, staleMs: 60_000 });
    expect(stale.map((r) => r.id)).toEqual([r2.id]);
    expect(stale[0].heartbeat_age_s).toBeGreaterThanOrEqual(299);
    expect(await runningRunsWithStaleHeartbeat(db.pool, { botId: bot, staleMs: 600_000 })).toEqual([]);
    await usage.close();
  });
});

describe('store outages', () => {
  it('store cut mid-stream, then restored: every event stored exactly once', async () => {
    const { relay, pool } = await relayPool();
    const bot = randomUUID();
    const spoolPath = join(tmp(), 'usage-1-1.jsonl');
    const usage = createUsageRecorder({ pool, botId: bot, spoolPath, batchSize: 20, flushIntervalMs: 5, log: quiet, exitHooks: false });
    const ids: string[] = [];
    const emit = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const r = await usage.track({ ...bars, records: 2, featureKeysUsed: ['md.vwap'] }, async () => i);
        void r;
        if (i % 7 === 0) await new Promise((res) => setImmediate(res));
      }
    };
    // track() returns no id: collect them from what gets stored + spooled via record() instead
    for (let i = 0; i < 150; i++) ids.push(usage.record({ ...bars, status: 'OK', records: 1 }).id);
    const cut = (async () => {
      await new Promise((r) => setTimeout(r, 3));
      await relay.stop(); // connections die mid-batch
    })();
    await emit(50);
    await cut;
    for (let i = 0; i < 150; i++) ids.push(usage.record({ ...bars, status: 'OK', records: 1, metadata: { phase: 'outage' } }).id);
    const during = await usage.flush();
    expect(during.pending).toBe(0);
    expect(usage.stats().storeReachable).toBe(false);
    expect(statSync(spoolPath).size).toBeGreaterThan(0);
    expect(statSync(spoolPath).mode & 0o777).toBe(0o600);
    expect(usage.canTrade()).toBe(true); // spooling is not failing: the spool has room

    await relay.start(); // same port
    await usage.flush();
    await usage.close();
    await pool.end();
    await relay.stop();

    expect(await stored(ids)).toEqual({ total: 300, distinct: 300 });
    const { rows } = await db.pool.query(
      `select count(*)::int as n, count(distinct id)::int as d from integration_usage_events where bot_id = $1`,
      [bot],
    );
    expect(rows[0]).toEqual({ n: 350, d: 350 });
    // rollups count each stored event once, whatever was replayed
    const roll = await db.pool.query(`select sum(calls)::int as calls, sum(records)::int as records from usage_rollups where bot_id = $1`, [bot]);
    expect(roll.rows[0]).toEqual({ calls: 350, records: 300 + 100 });
    const sight = await db.pool.query(`select sightings::int from variable_sightings where variable = 'md.vwap'`);
    expect(sight.rows[0].sightings).toBeGreaterThanOrEqual(50);
    // replayed and gone: no spool (own or claimed) left with anything in it
    const dir = dirname(spoolPath);
    for (const f of readdirSync(dir).filter((n) => n.startsWith('usage-'))) expect(readFileSync(join(dir, f), 'utf8'), f).toBe('');
  });

  it('spool full ⇒ logged loudly and fail closed until the store is back', async () => {
    const { relay, pool } = await relayPool();
    const bot = randomUUID();
    const { log, lines } = capturingLogger();
    const usage = createUsageRecorder({ pool, botId: bot, spoolPath: join(tmp(), 'usage-1-1.jsonl'), batchSize: 5, flushIntervalMs: 5, maxSpoolBytes: 4_000, log, exitHooks: false });
    await relay.stop();
    const ids: string[] = [];
    for (let i = 0; i < 200 && usage.canTrade(); i++) {
      ids.push(usage.record({ ...bars, status: 'OK', records: 1 }).id);
      await usage.flush();
    }
    expect(usage.canTrade()).toBe(false);
    expect(usage.stats().spoolFull).toBe(true);
    expect(lines.some((l) => l.level === 'error' && /SPOOL FULL/.test(String(l.msg)))).toBe(true);
    let ran = false;
    expect(() => usage.track(bars, () => (ran = true))).toThrow(SpoolFullError);
    expect(ran).toBe(false);
    try {
      usage.record({ ...bars, status: 'OK' });
    } catch (err) {
      expect((err as SpoolFullError).code).toBe('SPOOL_FULL');
    }

    await relay.start();
    await usage.flush();
    expect(usage.canTrade()).toBe(true);
    await usage.track(bars, () => 1);
    await usage.close();
    await pool.end();
    await relay.stop();
    expect(await stored(ids)).toEqual({ total: ids.length, distinct: ids.length });
    expect(ids.length).toBeGreaterThan(5);
  });

  it('a spool left by a dead process is claimed and replayed by the next recorder', async () => {
    const dir = tmp();
    const dead = await execa('node', ['-e', 'process.stdout.write(String(process.pid))']);
    const pid = Number(dead.stdout);
    const v = validateBatch(Array.from({ length: 7 }, () => ({ ...bars, status: 'OK', bot_id: null, records: 1 })));
    if (!v.ok) throw new Error('bad fixture');
    const orphan = join(dir, `usage-${pid}-1.jsonl`);
    writeFileSync(orphan, v.rows.map((r) => JSON.stringify(rowToJson(r))).join('\n') + '\n{"torn line', { mode: 0o600 });
    const usage = createUsageRecorder({ pool: db.pool, spoolPath: join(dir, `usage-${process.pid}-9.jsonl`), log: quiet, exitHooks: false });
    await usage.flush();
    await usage.close();
    expect(await stored(v.rows.map((r) => r.id))).toEqual({ total: 7, distinct: 7 });
    expect(existsSync(orphan)).toBe(false);
  });

  it('process exit drains: beforeExit flushes, process.exit() spools for the next recorder', async () => {
    const dir = tmp();
    const script = join(dir, 'bot.mts');
    const bot = randomUUID();
    writeFileSync(
      script,
      `import { createUsageRecorder } from ${JSON.stringify(join(ROOT, 'src/sdk/usage.ts'))};
       const usage = createUsageRecorder({ databaseUrl: process.env.DB, batchSize: 1000, flushIntervalMs: 60000, botId: ${JSON.stringify(bot)} });
       const ids = [];
       for (let i = 0; i < 12; i++) ids.push(usage.record({ integration: 'polygon', operation: 'marketdata.bars', status: 'OK', records: 1 }).id);
       console.log(JSON.stringify(ids));
       if (process.env.HARD_EXIT) process.exit(0);`,
    );
    const tsx = join(ROOT, 'node_modules/.bin/tsx');
    // default spool location: $OBSERVATORY_HOME/spool/usage-<pid>-<n>.jsonl
    const env = { DB: db.url, OBSERVATORY_HOME: dir, LOG_LEVEL: 'silent' };
    const soft = await execa(tsx, [script], { env });
    const softIds = JSON.parse(soft.stdout) as string[];
    expect(await stored(softIds)).toEqual({ total: 12, distinct: 12 });

    const hard = await execa(tsx, [script], { env: { ...env, HARD_EXIT: '1' } });
    const hardIds = JSON.parse(hard.stdout) as string[];
    expect((await stored(hardIds)).total).toBe(0);
    const left = readdirSync(join(dir, 'spool')).filter((f) => statSync(join(dir, 'spool', f)).size > 0);
    expect(left).toEqual([expect.stringMatching(/^usage-\d+-1\.jsonl$/)]);
    expect(statSync(join(dir, 'spool')).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(dir, 'spool', left[0]), 'utf8').trim().split('\n')).toHaveLength(12);
    // store unreachable at exit: the process still exits promptly, its events kept on disk
    const closedPort = await new Promise<number>((res) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => res(p));
      });
    });
    const downUrl = new URL(db.url);
    downUrl.hostname = '127.0.0.1';
    downUrl.port = String(closedPort);
    const down = await execa(tsx, [script], { env: { ...env, DB: downUrl.toString() }, timeout: 30_000 });
    const downIds = JSON.parse(down.stdout) as string[];
    const spooled = readdirSync(join(dir, 'spool'))
      .filter((f) => !f.startsWith(left[0])) // the hard run's spool (possibly claimed by the down run)
      .flatMap((f) => readFileSync(join(dir, 'spool', f), 'utf8').split('\n').filter(Boolean))
      .map((l) => JSON.parse(l).id);
    expect(spooled.sort()).toEqual([...downIds].sort());
    hardIds.push(...downIds);
    // the next recorder in the same spool directory adopts the dead processes' spools
    const next = createUsageRecorder({ pool: db.pool, spoolPath: join(dir, 'spool', `usage-${process.pid}-3.jsonl`), log: quiet, exitHooks: false });
    await next.flush();
    await next.close();
    expect(await stored(hardIds)).toEqual({ total: 24, distinct: 24 });
  });
});

/** mulberry32: small seeded RNG so a failing property run can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('nothing lost, nothing duplicated (review cases)', () => {

  it('a row the store refuses is dead-lettered alone — the rest of its batch is stored, and a spool holding it still replays', async () => {
    // a real database refusal (22023) for one marked row, as a constraint added later would give
    await db.pool.query(`create or replace function test_poison() returns trigger language plpgsql as $$
      begin if new.symbol = 'POISON' then raise exception 'poisoned row' using errcode = '22023'; end if; return new; end $$`);
    await db.pool.query(`create trigger test_poison before insert on integration_usage_events for each row execute function test_poison()`);
    try {
      const dir = tmp();
      const bot = randomUUID();
      const usage = createUsageRecorder({ pool: db.pool, botId: bot, spoolPath: join(dir, 'usage-1-1.jsonl'), batchSize: 10, log: quiet, exitHooks: false });
      const ids = Array.from({ length: 10 }, (_, i) => usage.record({ ...bars, status: 'OK', symbol: i === 4 ? 'POISON' : 'ES' }).id);
      await usage.close();
      expect(await stored(ids)).toEqual({ total: 9, distinct: 9 });
      const dead = readFileSync(join(dir, 'usage-1-1.jsonl.rejected'), 'utf8').trim().split('\n');
      expect(dead.map((l) => JSON.parse(l).id)).toEqual([ids[4]]);
      // the same poison in a spool left on disk: replayed around it, never stuck
      const spoolDir = tmp();
      const v = validateBatch(Array.from({ length: 6 }, (_, i) => ({ ...bars, status: 'OK', bot_id: bot, symbol: i === 2 ? 'POISON' : 'NQ' })));
      if (!v.ok) throw new Error('bad fixture');
      writeFileSync(join(spoolDir, 'usage-1-1.jsonl'), v.rows.map((r) => JSON.stringify(rowToJson(r))).join('\n') + '\n');
      const next = createUsageRecorder({ pool: db.pool, spoolPath: join(spoolDir, 'usage-1-1.jsonl'), log: quiet, exitHooks: false });
      const r = await next.flush();
      await next.close();
      expect(next.stats().storeReachable).toBe(true);
      expect(r.spooled).toBe(0);
      expect(await stored(v.rows.map((x) => x.id))).toEqual({ total: 5, distinct: 5 });
    } finally {
      await db.pool.query('drop trigger test_poison on integration_usage_events');
    }
  });

  it('close() waits for track() calls still running; an event that ends after close() is spooled, never dropped', async () => {
    const dir = tmp();
    const bot = randomUUID();
    const usage = createUsageRecorder({ pool: db.pool, botId: bot, spoolPath: join(dir, 'usage-1-1.jsonl'), log: quiet, exitHooks: false });
    const slow = usage.track(bars, () => new Promise((r) => setTimeout(() => r([1, 2]), 150)));
    await usage.close();
    await slow;
    const { rows } = await db.pool.query('select count(*)::int as n from integration_usage_events where bot_id = $1', [bot]);
    expect(rows[0].n).toBe(1);
  });

  it('spool files: a torn last line never swallows the next row; a shared path loses nothing; a spool left by an earlier process with our pid is an orphan', () => {
    const dir = tmp();
    const v = validateBatch(Array.from({ length: 3 }, () => ({ ...bars, status: 'OK' })));
    if (!v.ok) throw new Error('bad fixture');
    const path = join(dir, 'usage-1-1.jsonl');
    writeFileSync(path, JSON.stringify(rowToJson(v.rows[0])) + '\n' + '{"id":"torn'); // a crash mid-append
    const a = new Spool(path);
    a.append([v.rows[1]]);
    const read = readSpoolFile(path);
    expect(read.rows.map((r) => r.id)).toEqual([v.rows[0].id, v.rows[1].id]);
    expect(read.badLines).toEqual(['{"id":"torn']);
    // two writers on one path: one takes the file for replay, the other's next append starts a new one
    const b = new Spool(path);
    const taken = a.take()!;
    b.append([v.rows[2]]);
    expect(readSpoolFile(taken).rows).toHaveLength(2);
    expect(readSpoolFile(path).rows.map((r) => r.id)).toEqual([v.rows[2].id]);
    // a file named for our pid that no recorder here holds: left by a process that had our pid (containers: pid 1)
    const orphanDir = tmp();
    writeFileSync(join(orphanDir, `usage-${process.pid}-9999.jsonl`), JSON.stringify(rowToJson(v.rows[0])) + '\n');
    const mine = new Spool(join(orphanDir, `usage-${process.pid}-1.jsonl`));
    const claimed = mine.claimOrphans();
    expect(claimed).toEqual([expect.stringMatching(new RegExp(`usage-${process.pid}-9999\\.jsonl\\.claimed-${process.pid}-\\d+$`))]);
    expect(mine.claimOrphans()).toEqual([]); // held now: not claimed twice
    // a custom spool path taken for a replay that never finished (the process died): adopted by the next recorder on that path
    const customDir = tmp();
    const custom = new Spool(join(customDir, 'spool.jsonl'));
    custom.append([v.rows[0]]);
    const stranded = custom.take()!;
    releaseHeld(stranded); // what the claimer's death means here
    custom.release();
    const again = new Spool(join(customDir, 'spool.jsonl'));
    expect(again.claimOrphans().map((f) => readSpoolFile(f).rows[0].id)).toEqual([v.rows[0].id]);
    for (const s of [a, b, mine, again]) s.release();
  });

  it('process.exit() in the middle of a many-batch flush, and a plain SIGTERM: every event is stored or spooled', async () => {
    const dir = tmp();
    // plain node on the built SDK, as a bot runs it (a loader like tsx installs its own signal handlers)
    const script = join(dir, 'bot.mjs');
    writeFileSync(
      script,
      `import { createUsageRecorder } from ${JSON.stringify(join(ROOT, 'dist/sdk/usage.js'))};
       const usage = createUsageRecorder({ databaseUrl: process.env.DB, batchSize: 100, flushIntervalMs: 60000, maxPendingEvents: 100000 });
       const ids = [];
       for (let i = 0; i < 3000; i++) ids.push(usage.record({ integration: 'polygon', operation: 'marketdata.bars', status: 'OK', records: 1 }).id);
       if (process.env.MODE === 'two') {
         // a second recorder: one shared signal listener, and a plain SIGTERM still ends the process
         const other = createUsageRecorder({ databaseUrl: process.env.DB });
         ids.push(other.record({ integration: 'polygon', operation: 'marketdata.bars', status: 'OK', records: 1 }).id);
       }
       console.log(JSON.stringify(ids));
       if (process.env.MODE === 'own') {
         // the bot's own graceful shutdown keeps control (a once-listener, as most bots write it)
         process.once('SIGTERM', async () => { await usage.close(); console.log('closed'); process.exit(0); });
       }
       if (process.env.MODE === 'exit') {
         // exit while the flush holds batches taken off the queue and not yet stored
         void usage.flush();
         const t = setInterval(() => { if (usage.stats().pending === 0) process.exit(0); }, 1);
       } else {
         setInterval(() => {}, 1000);
         process.stdout.write('', () => process.kill(process.pid, 'SIGTERM'));
       }`,
    );
    for (const mode of ['exit', 'sigterm', 'two', 'own']) {
      const home = join(dir, mode);
      const run = await execa(process.execPath, [script], { env: { DB: db.url, OBSERVATORY_HOME: home, LOG_LEVEL: 'silent', MODE: mode }, reject: false, timeout: 30_000 });
      const ids = JSON.parse(run.stdout.split('\n')[0]) as string[];
      expect(ids.length).toBe(mode === 'two' ? 3001 : 3000);
      const inDb = await stored(ids);
      const spoolDir = join(home, 'spool');
      const spooled = existsSync(spoolDir)
        ? readdirSync(spoolDir).flatMap((f) => readFileSync(join(spoolDir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).id as string))
        : [];
      const all = new Set(spooled);
      const { rows } = await db.pool.query('select id::text from integration_usage_events where id = any($1::uuid[])', [ids]);
      for (const r of rows) all.add(r.id);
      expect(all.size, `${mode}: stored ${inDb.total}, spooled ${spooled.length}`).toBe(ids.length);
      expect(inDb.total).toBe(inDb.distinct);
      // and the process still ends the way a SIGTERM ends it — or the way the bot's own handler ends it
      if (mode === 'sigterm' || mode === 'two') expect(run.signal, mode).toBe('SIGTERM');
      if (mode === 'own') {
        expect(run.exitCode).toBe(0);
        expect(run.stdout).toMatch(/closed/);
        expect(inDb.total).toBe(3000); // its close() replayed what the signal spooled
      }
    }
  });
});

describe('rollups', () => {
  it('equal the raw aggregates on random event sets, with replays and duplicates (seeded)', async () => {
    const own = await freshDatabase(); // nothing else writes here: the whole table is the oracle
    const pool = own.pool;
    const bots = [randomUUID(), randomUUID(), randomUUID()];
    const ops: Array<[string, string]> = [
      ['databento', 'marketdata.bars'],
      ['polygon', 'marketdata.trades'],
      ['ironbeam', 'broker.place_order'],
      ['ironbeam', 'broker.fill'],
      ['tradovate', 'broker.cancel_order'],
      ['openai', 'llm.chat'],
      ['risk_engine', 'risk.check'],
    ];
    const statuses = ['OK', 'OK', 'OK', 'ERROR', 'BLOCKED'] as const;
    const reasons = ['UPSTREAM_5XX', 'MISSING_CREDENTIALS', 'RISK_LIMIT'];
    const models = ['gpt-4o-mini', 'gpt-4.1'];
    const provs = ['LIVE', 'PAPER', 'SIM'];
    const feats = ['md.vwap', 'md.atr', 'risk.drawdown', 'ai.regime_classification'];
    const all: EventRow[] = [];
    for (const seed of [1, 2, 3, 42, 1337]) {
      const r = rng(seed);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
      const n = 50 + Math.floor(r() * 250);
      const input = Array.from({ length: n }, () => {
        const [integration, operation] = pick(ops);
        const status = pick(statuses);
        const meta: Record<string, unknown> = {};
        if (operation === 'broker.fill') meta.provenance = pick(provs);
        if (operation.startsWith('llm.') && r() < 0.8) meta.model = pick(models);
        if (r() < 0.5) meta.feature_keys_used = feats.filter(() => r() < 0.5);
        return {
          integration,
          operation,
          status,
          bot_id: r() < 0.1 ? null : pick(bots),
          reason_code: status === 'OK' ? null : pick(reasons),
          records: r() < 0.2 ? null : Math.floor(r() * 1000),
          // spread over 30 hours so several rollup hours are involved
          created_at: new Date(Date.now() - Math.floor(r() * 30 * 3_600_000)).toISOString(),
          metadata: meta,
        };
      });
      const v = validateBatch(input);
      if (!v.ok) throw new Error(JSON.stringify(v.errors.slice(0, 3)));
      // insert in random chunks; replay some chunks and some earlier rows
      let i = 0;
      while (i < v.rows.length) {
        const k = 1 + Math.floor(r() * 60);
        const chunk = v.rows.slice(i, i + k);
        await insertEvents(pool, chunk);
        if (r() < 0.3) expect((await insertEvents(pool, chunk)).inserted).toBe(0);
        if (all.length && r() < 0.3) await insertEvents(pool, [pick(all)]);
        all.push(...chunk);
        i += k;
      }
    }
    // oracle 1: the raw table, aggregated the slow way
    const { rows: raw } = await pool.query(
      `select coalesce(bot_id, '00000000-0000-0000-0000-000000000000') as bot_id, integration, operation, status,
              case when status <> 'OK' then coalesce(reason_code, '')
                   when operation = 'broker.fill' then coalesce(metadata->>'provenance', '')
                   when operation like 'llm.%' then coalesce(metadata->>'model', '') else '' end as detail,
              date_trunc('hour', created_at, 'UTC') as hour,
              count(*)::int as calls, coalesce(sum(records), 0)::int as records, max(created_at) as last_at,
              (array_agg(trace_id order by created_at desc, trace_id desc))[1] as last_trace_id
         from integration_usage_events where id = any($1::uuid[])
        group by 1, 2, 3, 4, 5, 6 order by 1, 2, 3, 4, 5, 6`,
      [all.map((e) => e.id)],
    );
    const { rows: roll } = await pool.query(
      `select bot_id, integration, operation, status, detail, hour, calls::int, records::int, last_at, last_trace_id
         from usage_rollups order by 1, 2, 3, 4, 5, 6`,
    );
    expect(roll).toEqual(raw);
    // oracle 2: an independent aggregate in JS over the generated events
    const key = (e: EventRow) => `${e.bot_id ?? 'nil'}|${e.integration}|${e.operation}|${e.status}`;
    const js = new Map<string, number>();
    for (const e of all) js.set(key(e), (js.get(key(e)) ?? 0) + 1);
    const db2 = new Map<string, number>();
    for (const r of roll) {
      const k = `${r.bot_id === '00000000-0000-0000-0000-000000000000' ? 'nil' : r.bot_id}|${r.integration}|${r.operation}|${r.status}`;
      db2.set(k, (db2.get(k) ?? 0) + r.calls);
    }
    expect(db2).toEqual(js);
    // per-bot-hour totals (topBots) equal the raw aggregates too
    const { rows: rawHours } = await pool.query(
      `select bot_id, date_trunc('hour', created_at, 'UTC') as hour, count(*)::int as calls,
              (count(*) filter (where status = 'OK'))::int as ok, (count(*) filter (where status = 'ERROR'))::int as error,
              (count(*) filter (where status = 'BLOCKED'))::int as blocked,
              coalesce(sum(records) filter (where status = 'OK'), 0)::int as records, max(created_at) as last_at,
              array_agg(distinct integration order by integration) as integrations
         from integration_usage_events where id = any($1::uuid[]) and bot_id is not null
        group by 1, 2 order by 1, 2`,
      [all.map((e) => e.id)],
    );
    const { rows: hours } = await pool.query(
      `select bot_id, hour, calls::int, ok::int, error::int, blocked::int, records::int, last_at, integrations
         from usage_bot_hours order by 1, 2`,
    );
    expect(hours).toEqual(rawHours);
    expect(raw.reduce((a, r) => a + r.calls, 0)).toBe(all.length);
    // sightings equal the raw feature_keys_used counts
    const { rows: s } = await pool.query(`select variable, sightings::int from variable_sightings order by variable`);
    const want = new Map<string, number>();
    for (const e of all) for (const f of (e.metadata.feature_keys_used as string[] | undefined) ?? []) want.set(f, (want.get(f) ?? 0) + 1);
    expect(Object.fromEntries(s.map((x) => [x.variable, x.sightings]))).toEqual(Object.fromEntries([...want.entries()].sort()));
  });

  it("a bot's last_seen_at moves forward with its events — at most once a second, never backwards", async () => {
    const bot = randomUUID();
    const t0 = Date.now() - 60_000;
    const at = async (ms: number) => {
      const v = validateBatch([{ ...bars, status: 'OK', bot_id: bot, created_at: new Date(t0 + ms).toISOString() }]);
      if (!v.ok) throw new Error('bad fixture');
      await insertEvents(db.pool, v.rows);
      return ((await db.pool.query('select last_seen_at from bots where id = $1', [bot])).rows[0].last_seen_at as Date).getTime() - t0;
    };
    expect(await at(0)).toBe(0);
    expect(await at(400)).toBe(0); // within the second: the row is not rewritten
    expect(await at(1_500)).toBe(1_500);
    expect(await at(-10_000)).toBe(1_500); // a late (replayed) event never moves it back
  });

  it('a replay of the same ids changes no count', async () => {
    const bot = randomUUID();
    const v = validateBatch(Array.from({ length: 40 }, (_, i) => ({ ...bars, status: 'OK', bot_id: bot, records: i, metadata: { feature_keys_used: ['md.high'] } })));
    if (!v.ok) throw new Error('bad fixture');
    const snapshot = async () =>
      (
        await db.pool.query(
          `select (select count(*)::int from integration_usage_events where bot_id = $1) as events,
                  (select sum(calls)::int from usage_rollups where bot_id = $1) as calls,
                  (select sum(records)::int from usage_rollups where bot_id = $1) as records,
                  (select sightings::int from variable_sightings where variable = 'md.high') as sightings`,
          [bot],
        )
      ).rows[0];
    expect(await insertEvents(db.pool, v.rows)).toMatchObject({ inserted: 40, integrations: ['databento'] });
    const first = await snapshot();
    expect(first).toEqual({ events: 40, calls: 40, records: (39 * 40) / 2, sightings: 40 });
    expect((await insertEvents(db.pool, v.rows)).inserted).toBe(0);
    expect((await insertEvents(db.pool, v.rows.slice(10, 20))).inserted).toBe(0);
    expect(await snapshot()).toEqual(first);
  });

  it('NOTIFY observatory_events on commit with a small payload; listEvents filters and pages', async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    const got: string[] = [];
    listener.on('notification', (n) => got.push(n.payload ?? ''));
    await listener.query('listen observatory_events');
    const bot = randomUUID();
    const v = validateBatch(
      Array.from({ length: 5 }, (_, i) => ({
        integration: i % 2 ? 'polygon' : 'databento',
        operation: 'marketdata.bars',
        status: i === 4 ? 'ERROR' : 'OK',
        reason_code: i === 4 ? 'UPSTREAM_5XX' : null,
        bot_id: bot,
        created_at: new Date(Date.now() - (5 - i) * 1000).toISOString(),
      })),
    );
    if (!v.ok) throw new Error('bad fixture');
    await insertEvents(db.pool, v.rows);
    await expect.poll(() => got.length, { timeout: 5_000 }).toBe(1);
    expect(JSON.parse(got[0])).toEqual({ count: 5, integrations: ['databento', 'polygon'] });
    await insertEvents(db.pool, v.rows); // a pure replay stores nothing and announces nothing
    await new Promise((r) => setTimeout(r, 200));
    expect(got.length).toBe(1);
    await listener.end();

    const newest = await listEvents(db.pool, { botId: bot });
    expect(newest.map((e) => e.id)).toEqual(v.rows.map((r) => r.id).reverse());
    expect((await listEvents(db.pool, { botId: bot, integration: 'polygon' })).length).toBe(2);
    expect((await listEvents(db.pool, { botId: bot, status: 'ERROR' })).map((e) => e.reason_code)).toEqual(['UPSTREAM_5XX']);
    const page2 = await listEvents(db.pool, { botId: bot, limit: 2, beforeId: newest[1].id });
    expect(page2.map((e) => e.id)).toEqual([newest[2].id, newest[3].id]);
    const follow = await listEvents(db.pool, { botId: bot, afterId: newest[3].id });
    expect(follow.map((e) => e.id)).toEqual([newest[2].id, newest[1].id, newest[0].id]);
    expect(await listEvents(db.pool, { botId: bot, since: new Date(Date.now() - 2500) })).toHaveLength(2);
  });
});
