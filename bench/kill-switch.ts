/**
 * The kill switch's enforcement figures (prints them; not a test):
 *  1. halt issued → every running recorder refuses the next order: p50 / p95 / max over N trials
 *     (goal p95 ≤ 1 s), beside the floor: a bare pg_notify → LISTEN round trip on the same server;
 *  2. store killed (a TCP relay in front of Postgres stopped) → the recorder treats itself as
 *     HALTED: time to the first refusal against the stated bound (failClosedAfterMs);
 *  3. halt → the reference bot (paper, Tradovate stand-in, a working order) has cancelled its
 *     working orders and stopped.
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/kill-switch.ts [--trials 100] [--recorders 10]
 *
 * A database of its own is created (and dropped) on that server.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate } from '../src/core/db/migrate.js';
import { applyTradingChange } from '../src/core/views.js';
import type { TradingCommandInput } from '../src/core/db/trading-state.js';
import { newTraceId } from '../src/core/trace.js';
import { createUsageRecorder, type UsageRecorder } from '../src/sdk/index.js';
import { createLogger } from '../src/core/log.js';
import { loadConfig } from '../src/core/config.js';
import { getSpec, loadRegistry } from '../src/core/vendors/registry.js';
import { probeAndRecord } from '../src/core/prober.js';
import { TokenCache } from '../src/core/vendors/session.js';
import { writeHeartbeat } from '../src/core/db/heartbeats.js';
import { VERSION } from '../src/core/version.js';
import { botIdForName, runReferenceBot } from '../src/runner/index.js';
import { Relay } from '../tests/helpers/relay.js';
import { canaryEnv } from '../tests/standins/fixtures.js';
import { polygonData, tradovatePaper } from '../tests/standins/trading-data.js';

const admin = process.env.BENCH_DATABASE_URL;
if (!admin) {
  process.stderr.write('set BENCH_DATABASE_URL (a server where a scratch database may be created)\n');
  process.exit(64);
}
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const TRIALS = arg('--trials', 100);
const RECORDERS = arg('--recorders', 10);
const BOT_TRIALS = arg('--bot-trials', 5);
const quiet = createLogger('silent');
const dir = mkdtempSync(join(tmpdir(), 'obs-kill-bench-'));
const dbName = `obs_bench_kill_${randomBytes(4).toString('hex')}`;
const url = (() => {
  const u = new URL(admin);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(1)} ms · p95 ${pct(xs, 95).toFixed(1)} ms · max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;
const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const order = { integration: 'tradovate', side: 'buy' as const, qty: 1, position: 0 };

const cmd = (over: Partial<TradingCommandInput>): TradingCommandInput => ({
  command: 'halt',
  scope: 'global',
  target: '*',
  reason: 'bench',
  actor: 'bench',
  twoPerson: false,
  requestTtlMs: 60_000,
  knownIntegrations: ['tradovate'],
  traceId: newTraceId(),
  ...over,
});

/** Spins until every recorder's next order gets `allowed` (checked each event-loop turn); ms from t0. */
async function untilAll(recs: UsageRecorder[], allowed: boolean, t0: number, limitMs = 10_000): Promise<number> {
  const pending = new Set(recs);
  let last = 0;
  while (pending.size) {
    for (const r of [...pending])
      if (r.tradingState.decide(order).allowed === allowed) {
        pending.delete(r);
        last = now() - t0;
      }
    if (now() - t0 > limitMs) throw new Error(`${pending.size} recorder(s) did not see the change within ${limitMs} ms`);
    await new Promise((r) => setImmediate(r));
  }
  return last;
}

async function floorNotify(pool: pg.Pool, n: number): Promise<number[]> {
  const l = new pg.Client({ connectionString: url });
  await l.connect();
  await l.query('listen bench_floor');
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const got = new Promise<void>((res) => l.once('notification', () => res()));
    const t0 = now();
    await pool.query(`select pg_notify('bench_floor', 'x')`);
    await got;
    out.push(now() - t0);
  }
  await l.end();
  return out;
}

async function main(): Promise<void> {
  const a = new pg.Client({ connectionString: admin });
  await a.connect();
  await a.query(`create database ${dbName}`);
  await a.end();
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  try {
    await migrate(pool);
    process.stdout.write(`kill-switch bench: ${TRIALS} trials, ${RECORDERS} running recorders (own connections), database ${dbName}\n`);

    // 1. halt → every recorder refuses
    const recs = Array.from({ length: RECORDERS }, (_, i) =>
      createUsageRecorder({ databaseUrl: url, spoolPath: join(dir, `r${i}.jsonl`), log: quiet, exitHooks: false }),
    );
    await Promise.all(recs.map((r) => r.tradingState.start()));
    const halts: number[] = [];
    const resumes: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
      let t0 = now();
      await applyTradingChange(pool, cmd({}));
      halts.push(await untilAll(recs, false, t0));
      t0 = now();
      await applyTradingChange(pool, cmd({ command: 'resume' }));
      resumes.push(await untilAll(recs, true, t0));
    }
    const floor = await floorNotify(pool, TRIALS);
    process.stdout.write(`1. halt issued → all ${RECORDERS} recorders refuse the next order: ${fmt(halts)}  (goal p95 ≤ 1000 ms)\n`);
    process.stdout.write(`   (the halt's own write is inside the timing: CLI/API insert, commit, NOTIFY, each recorder's re-read)\n`);
    process.stdout.write(`   resume → all allow again: ${fmt(resumes)}\n`);
    process.stdout.write(
      `   floor, bare pg_notify → LISTEN round trip: ${fmt(floor)}; halt p95 / floor p95 = ${(pct(halts, 95) / pct(floor, 95)).toFixed(1)}×\n`,
    );
    await Promise.all(recs.map((r) => r.close()));

    // 1b. polling fallback only (no NOTIFY reaches it): a watch whose LISTEN never fires
    {
      const u = new URL(url);
      const relay = new Relay({ host: u.hostname, port: Number(u.port || 5432) });
      await relay.start();
      const rp = new pg.Pool({ connectionString: relay.url(url), max: 2 });
      rp.on('error', () => undefined);
      const rec = createUsageRecorder({ pool: rp, spoolPath: join(dir, 'poll.jsonl'), log: quiet, exitHooks: false });
      await rec.tradingState.start();
      // drop the notification path: the watch's own client no longer listens (poll still reads the state)
      const watchClient = (rec.tradingState as unknown as { client: pg.Client | null }).client;
      await watchClient?.query('unlisten *');
      const polls: number[] = [];
      for (let i = 0; i < Math.min(20, TRIALS); i++) {
        let t0 = now();
        await applyTradingChange(pool, cmd({}));
        polls.push(await untilAll([rec], false, t0));
        t0 = now();
        await applyTradingChange(pool, cmd({ command: 'resume' }));
        await untilAll([rec], true, t0);
      }
      process.stdout.write(`   polling fallback alone (NOTIFY unlistened, poll every ${rec.tradingState.pollIntervalMs} ms): ${fmt(polls)}\n`);

      // 2. store killed → HALTED within the bound
      const fails: number[] = [];
      for (let i = 0; i < 5; i++) {
        await untilAll([rec], true, now());
        const t0 = now();
        await relay.stop();
        fails.push(await untilAll([rec], false, t0, 30_000));
        await relay.start();
        await untilAll([rec], true, now(), 30_000);
      }
      process.stdout.write(
        `2. store killed → recorder treats itself as HALTED: ${fmt(fails)}  (stated bound: failClosedAfterMs ${rec.tradingState.failClosedAfterMs} ms, checked every ${rec.tradingState.pollIntervalMs} ms)\n`,
      );
      await rec.close();
      await relay.stop();
      await rp.end();
    }

    // 3. halt → reference bot cancelled its working orders and stopped
    const C = canaryEnv();
    const poly = await polygonData(C.POLYGON_API_KEY).start();
    const tv = await tradovatePaper(
      { name: C.TRADOVATE_USERNAME, password: C.TRADOVATE_PASSWORD, cid: C.TRADOVATE_CID, sec: C.TRADOVATE_SECRET },
      { fill: false },
    ).start();
    try {
      const config = {
        ...loadConfig({
          env: {
            PATH: process.env.PATH,
            DATABASE_URL: url,
            OBSERVATORY_HOME: dir,
            POLYGON_API_KEY: C.POLYGON_API_KEY,
            POLYGON_BASE_URL: poly.baseUrl,
            TRADOVATE_USERNAME: C.TRADOVATE_USERNAME,
            TRADOVATE_PASSWORD: C.TRADOVATE_PASSWORD,
            TRADOVATE_CID: C.TRADOVATE_CID,
            TRADOVATE_SECRET: C.TRADOVATE_SECRET,
            TRADOVATE_BASE_URL: tv.baseUrl,
          },
        }),
        riskLimits: { max_contracts: 5, max_daily_loss: 5000, max_drawdown_pct: 10, max_position_per_symbol: 3 },
      };
      const registry = loadRegistry(config);
      const tokenCache = new TokenCache();
      const bots: number[] = [];
      for (let i = 0; i < BOT_TRIALS; i++) {
        await writeHeartbeat(pool, {
          daemonId: 'bench',
          version: VERSION,
          hostname: hostname(),
          pid: process.pid,
          startedAt: new Date(),
          leader: true,
          liveTradingEnabled: false,
        });
        for (const n of ['postgres', 'polygon', 'risk_engine', 'tradovate'])
          for (let k = 0; k < 3; k++)
            if (
              (await probeAndRecord(getSpec(registry, n)!, { pool, env: config.env, riskLimits: config.riskLimits, tokenCache, daemonId: 'bench' })).state
                .status === 'OK'
            )
              break;
        const name = `bench-kill-${i}`;
        const usage = createUsageRecorder({ pool, spoolPath: join(dir, `bot${i}.jsonl`), log: quiet, exitHooks: false });
        const lines: string[] = [];
        const done = runReferenceBot(
          { config, usage, out: (l) => lines.push(l) },
          { mode: 'paper', botName: name, iterations: 100, intervalMs: 60_000, fillWaitMs: 100, brokerSymbol: 'ESZ5' },
        );
        const tw = now();
        while (!lines.some((l) => l.includes('is working'))) {
          if (now() - tw > 30_000) throw new Error(`bot ${name} placed no working order: ${lines.join(' | ')}`);
          await sleep(5);
        }
        const before = tv.cancelled.length;
        const t0 = now();
        await applyTradingChange(pool, cmd({ scope: 'bot', target: botIdForName(name) }));
        const summary = await done;
        const ms = now() - t0;
        if (summary.reason_code !== 'TRADING_HALTED' || tv.cancelled.length !== before + 1)
          throw new Error(`bot ${name}: ${summary.status} ${summary.reason_code}, cancelled ${tv.cancelled.length - before}`);
        bots.push(ms);
        await usage.close();
      }
      process.stdout.write(`3. halt → reference bot cancelled its working order (Tradovate stand-in) and stopped (run ended): ${fmt(bots)}\n`);
    } finally {
      await poly.close();
      await tv.close();
    }
  } finally {
    await pool.end();
    const b = new pg.Client({ connectionString: admin });
    await b.connect();
    await b.query(`drop database if exists ${dbName} with (force)`);
    await b.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`kill-switch bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
