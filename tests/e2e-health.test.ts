/**
 * Integration health and the gate, end to end: the real daemon as a subprocess, real Postgres,
 * a Polygon stand-in speaking Polygon's wire format, a Tradovate stand-in (paper needs a broker
 * on its demo host, core/modes.ts), the CLI as a subprocess.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { cli } from './helpers/cli.js';
import { startDaemon, stopDaemon, waitFor, type DaemonProc } from './helpers/wait.js';
import { polygon, tradovate } from './standins/vendors.js';
import type { Standin } from './standins/server.js';
import { tempDir } from './helpers/tmp.js';

const KEY = 'pk_e2e_health_0123456789abcdef';

let db: TestDb;
let vendor: Standin;
let broker: Standin;
const TV = { name: 'e2e-user', password: 'pw_e2e_health_tradovate_0123', cid: '4242', sec: 'sec_e2e_health_tradovate_0123' };
let env: Record<string, string>;
let daemon: DaemonProc | undefined;

beforeAll(async () => {
  db = await freshDatabase();
  vendor = await polygon(KEY).start();
  broker = await tradovate(TV).start();
  const dir = tempDir('obs-e2e-');
  const configPath = join(dir, 'observatory.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      integrations: {
        polygon: { interval_ms: 1000, timeout_ms: 800 },
        tradovate: { interval_ms: 1000, timeout_ms: 800 },
        // a loaded CI machine can take over the default 1.5 s for the store's own probe: this file is about verdicts, not latency
        postgres: { interval_ms: 1000, degraded_latency_ms: 4000 },
        risk_engine: { interval_ms: 1000 },
      },
      risk_limits: { max_contracts: 5, max_daily_loss: 2000, max_drawdown_pct: 10, max_position_per_symbol: 2 },
    }),
  );
  env = {
    DATABASE_URL: db.url,
    OBSERVATORY_CONFIG: configPath,
    POLYGON_API_KEY: KEY,
    POLYGON_BASE_URL: vendor.baseUrl,
    TRADOVATE_USERNAME: TV.name,
    TRADOVATE_PASSWORD: TV.password,
    TRADOVATE_CID: TV.cid,
    TRADOVATE_SECRET: TV.sec,
    TRADOVATE_BASE_URL: broker.baseUrl,
    OBSERVATORY_HEARTBEAT_MS: '700',
    OBSERVATORY_STALE_AFTER_MS: '2000',
  };
});

afterAll(async () => {
  await stopDaemon(daemon, 'SIGKILL');
  await vendor?.close();
  await broker?.close();
});

const gate = (args: string[] = [], extra: Record<string, string> = {}) => cli(['gate', 'check', '--mode', 'paper', ...args], { ...env, ...extra });

describe('health and gate, end to end', () => {
  it('before any daemon: BLOCKED (NEVER_PROBED, DAEMON_STALE), exit 2; credentialed ones without env are MISSING_CREDENTIALS with the fix', async () => {
    const r = await cli(['status', '--json'], { ...env, POLYGON_API_KEY: '', TRADOVATE_SECRET: '' });
    expect(r.exitCode).toBe(0);
    const view = JSON.parse(r.stdout);
    expect(view.success).toBe(true);
    expect(view.trace_id).toMatch(/^[0-9a-f]{32}$/);
    for (const row of view.integrations) {
      expect(row.status).toBe('BLOCKED');
      if (['databento', 'polygon', 'openai', 'ironbeam', 'tradovate'].includes(row.name)) {
        expect(row.connected).toBe(false);
        expect(row.reason_code).toBe('MISSING_CREDENTIALS');
      } else expect(row.reason_code).toBe('NEVER_PROBED');
    }
    const g = await gate(['--json'], { POLYGON_API_KEY: '' });
    expect(g.exitCode).toBe(2);
    const a = JSON.parse(g.stdout);
    const codes = a.blockers.map((b: { code: string }) => b.code);
    expect(codes).toContain('DAEMON_STALE');
    const group = a.blockers.find((b: { code: string }) => b.code === 'REQUIREMENT_UNMET');
    expect(group.fix).toMatch(/POLYGON_API_KEY/);
    for (const b of a.blockers) expect(b.trace_id).toMatch(/^[0-9a-f]{32}$/);
    // a drill with nobody to play it says so; clearing takes a name or --all, not both
    const inj = await cli(['fault', 'inject', 'openai', '--status', '503', '--ttl', '1m'], env);
    expect(inj.exitCode).toBe(0);
    expect(inj.stderr).toMatch(/no running daemon leads the probes/);
    expect((await cli(['fault', 'clear', 'openai', '--all'], env)).exitCode).toBe(64);
    expect((await cli(['fault', 'clear', 'openai'], env)).stdout).toMatch(/cleared 1 active fault/);
    // one probe round for cron: rows recorded with the printed trace_ids, the gate's verdict as exit code
    const round = await cli(['probe', 'polygon', 'postgres', '--mode', 'paper', '--json'], env);
    const out = JSON.parse(round.stdout);
    expect(out.probes.map((p: { integration: string }) => p.integration).sort()).toEqual(['polygon', 'postgres']);
    for (const p of out.probes) {
      expect(p).toMatchObject({ outcome: 'OK', status: 'OK' });
      const { rowCount } = await db.pool.query('select 1 from integration_probes where trace_id = $1 and integration = $2', [p.trace_id, p.integration]);
      expect(rowCount).toBe(1);
    }
    expect(round.exitCode).toBe(({ OK: 0, DEGRADED: 0, BLOCKED: 2, UNKNOWN: 3 } as Record<string, number>)[out.autonomy.global_status]);
    expect(out.autonomy.blockers.map((b: { code: string }) => b.code)).not.toContain('DAEMON_STALE'); // a cron round is a prober too
    // …but never one that turns live trading on: that switch is the daemon's
    await cli(['probe', 'postgres', '--json'], { ...env, LIVE_TRADING_ENABLED: 'true' });
    const live = JSON.parse((await cli(['gate', 'check', '--mode', 'live', '--json'], { ...env, LIVE_TRADING_ENABLED: 'true' })).stdout);
    expect(live.blockers.map((b: { code: string }) => b.code)).toContain('LIVE_TRADING_DISABLED');
  });

  it('daemon probes: paper gate OK (exit 0); the API agrees; live is BLOCKED by LIVE_TRADING_DISABLED', async () => {
    daemon = await startDaemon(env);
    await waitFor(async () => (await gate()).exitCode === 0, 20_000, 'paper gate OK');
    const base = `http://127.0.0.1:${daemon.port}`;
    const res = await fetch(`${base}/api/system/status?mode=paper`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/);
    const body = (await res.json()) as any;
    expect(Object.keys(body)).toEqual(expect.arrayContaining(['success', 'trace_id', 'ts', 'integrations', 'autonomy']));
    expect(body.trace_id).toBe(res.headers.get('x-trace-id'));
    const poly = body.integrations.find((i: { name: string }) => i.name === 'polygon');
    expect(poly).toMatchObject({ connected: true, status: 'OK', required_for_autonomy: true, reason_code: null });
    expect(poly.last_probe_at).toBeTruthy();
    expect(poly.latency_ms).toBeGreaterThanOrEqual(0);
    expect(body.autonomy.global_status).toBe('OK');
    expect((await fetch(`${base}/api/integrations/health?mode=paper`)).status).toBe(200);
    expect((await fetch(`${base}/api/integrations/health?mode=live`)).status).toBe(503);
    const live = (await (await fetch(`${base}/api/system/autonomy?mode=live`)).json()) as any;
    expect(live.global_status).toBe('BLOCKED');
    expect(live.blockers.map((b: { code: string }) => b.code)).toContain('LIVE_TRADING_DISABLED');
    // the switch is the daemon's: a caller exporting it does not lift the blocker
    const cliLive = await cli(['gate', 'check', '--mode', 'live', '--json'], { ...env, LIVE_TRADING_ENABLED: 'true' });
    expect(cliLive.exitCode).toBe(2);
    expect(JSON.parse(cliLive.stdout).blockers.map((b: { code: string }) => b.code)).toContain('LIVE_TRADING_DISABLED');
    expect((await fetch(`${base}/api/system/autonomy?mode=bogus`)).status).toBe(400);
    expect((await fetch(`${base}/api/system/autonomy?mode=paper&bot=${randomUUID()}&bot=${randomUUID()}`)).status).toBe(400);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/observatory_integration_status\{integration="polygon",status="OK"\} 1/);
    expect(metrics).toMatch(/observatory_autonomy_status\{mode="paper",status="OK"\} 1/);
    expect(metrics).toMatch(/observatory_daemon_leader 1/);
    const hz = await fetch(`${base}/healthz`);
    expect(hz.status).toBe(200);
    // the stand-in saw Polygon's protocol: bearer key, traceparent
    const req = vendor.requests.at(-1)!;
    expect(req.path).toBe('/v2/aggs/ticker/SPY/prev'); // the entitlement probe: the plan must cover aggregates
    expect(req.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('an injected 503 flips polygon DEGRADED then BLOCKED (FAULT_INJECTED, with trace_id); clearing recovers', async () => {
    const injectedAt = Date.now();
    const inj = await cli(['fault', 'inject', 'polygon', '--status', '503', '--ttl', '5m'], env);
    expect(inj.exitCode).toBe(0);
    expect(inj.stdout).toMatch(/fault injected on polygon: HTTP 503/);
    expect(inj.stderr).not.toMatch(/no running daemon leads/); // this one is played at once
    const list = await cli(['fault', 'list', '--json'], env);
    expect(JSON.parse(list.stdout).faults).toHaveLength(1);

    const degraded = await waitFor(
      async () => {
        const v = JSON.parse((await cli(['status', '--json', '--mode', 'paper'], env)).stdout);
        const p = v.integrations.find((i: { name: string }) => i.name === 'polygon');
        // the drill is played at once and confirmed at short spacing: DEGRADED may last under a second
        return p.status === 'DEGRADED' || p.status === 'BLOCKED' ? p : undefined;
      },
      10_000,
      'DEGRADED',
    );
    expect(degraded.reason_code).toBe('FAULT_INJECTED');
    const path = await db.pool.query(`select status from integration_probes where integration = 'polygon' and injected order by id limit 1`);
    expect(path.rows[0].status).toBe('DEGRADED'); // the first injected failure after OK: DEGRADED, not BLOCKED at once

    const blocked = await waitFor(
      async () => {
        const g = await gate(['--json']);
        return g.exitCode === 2 ? g : undefined;
      },
      15_000,
      'gate exit 2',
    );
    const blockedAfterMs = Date.now() - injectedAt;
    const view = JSON.parse(blocked.stdout);
    const b = view.blockers.find((x: { integration: string | null }) => x.integration === 'polygon' || /polygon/.test(JSON.stringify(x)));
    expect(b).toBeTruthy();
    expect(JSON.stringify(view.blockers)).toMatch(/FAULT_INJECTED/);
    // the blocker carries the trace_id of a real injected probe row
    const { rows } = await db.pool.query(`select trace_id from integration_probes where integration = 'polygon' and injected order by id desc limit 10`);
    const traces: string[] = rows.map((r) => r.trace_id);
    expect(traces.some((t) => JSON.stringify(view.blockers).includes(t))).toBe(true);
    const human = await gate();
    expect(human.exitCode).toBe(2);
    expect(human.stdout).toMatch(/^BLOCKED autonomy \(paper\)/);
    const { rows: again } = await db.pool.query(`select trace_id from integration_probes where integration = 'polygon' and injected order by id desc limit 10`);
    expect(again.some((r) => human.stdout.includes(r.trace_id))).toBe(true);
    process.stderr.write(`[figure] fault injection → gate BLOCKED in ${blockedAfterMs} ms (interval 1000 ms, 3 failures to block)\n`);
    // the API says the same while the drill runs
    const base = `http://127.0.0.1:${daemon!.port}`;
    expect((await fetch(`${base}/api/integrations/health?mode=paper`)).status).toBe(503);
    const api = (await (await fetch(`${base}/api/system/status?mode=paper`)).json()) as {
      integrations: Array<{ name: string; status: string; reason_code: string; injected: boolean }>;
    };
    expect(api.integrations.find((i) => i.name === 'polygon')).toMatchObject({ status: 'BLOCKED', reason_code: 'FAULT_INJECTED', injected: true });
    // Panel A as a table: the brief's columns, the drill's reason
    const table = await cli(['status', '--mode', 'paper'], { ...env, NO_COLOR: '1' });
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/Integration\s*│\s*Connected\s*│\s*Status\s*│\s*Last OK\s*│\s*Last Probe\s*│\s*Latency\s*│\s*Required\s*│\s*Reason/);
    // the stand-in's base URL is a custom endpoint, and the first column says so
    expect(table.stdout).toMatch(/polygon \[endpoint: custom\]\s*│\s*yes\s*│\s*BLOCKED\s*│.*FAULT_INJECTED/);

    const clr = await cli(['fault', 'clear', 'polygon'], env);
    expect(clr.stdout).toMatch(/cleared 1 active fault/);
    await waitFor(async () => (await gate()).exitCode === 0, 15_000, 'recovery');
  });

  it('one hanging vendor never delays the other probes', async () => {
    // polygon now hangs past its 800 ms timeout on every probe; postgres keeps its 1 s rhythm
    expect((await cli(['fault', 'inject', 'polygon', '--latency-ms', '60000', '--ttl', '1m'], env)).exitCode).toBe(0);
    const since = new Date();
    await new Promise((r) => setTimeout(r, 4000));
    const { rows } = await db.pool.query(
      `select integration, count(*)::int as n, max(latency_ms) as max_latency from integration_probes
        where probed_at > $1 group by integration`,
      [since],
    );
    const by = Object.fromEntries(rows.map((r) => [r.integration, r]));
    expect(by.postgres.n).toBeGreaterThanOrEqual(3);
    expect(by.risk_engine.n).toBeGreaterThanOrEqual(3);
    expect(by.postgres.max_latency).toBeLessThan(800);
    const { rows: slow } = await db.pool.query(
      `select outcome from integration_probes where integration = 'polygon' and probed_at > $1 order by id desc limit 1`,
      [since],
    );
    expect(slow[0].outcome).toBe('UPSTREAM_TIMEOUT');
    await cli(['fault', 'clear', 'polygon'], env);
    await waitFor(async () => (await gate()).exitCode === 0, 15_000, 'recovery after the hang');
  });

  it('the database stopped or gone ⇒ gate exit 3 (UNKNOWN), never 0', async () => {
    const dead = await gate(['--json'], { DATABASE_URL: 'postgres://obs:pw-abcdef@127.0.0.1:1/observatory' });
    expect(dead.exitCode).toBe(3);
    const v = JSON.parse(dead.stdout);
    expect(v.global_status).toBe('UNKNOWN');
    expect(v.blockers[0].code).toBe('STATUS_UNAVAILABLE');
    expect(dead.stdout + dead.stderr).not.toContain('pw-abcdef');
    const probe = await cli(['probe', '--all'], { ...env, DATABASE_URL: 'postgres://obs@127.0.0.1:1/observatory' });
    expect(probe.exitCode).toBe(3);
    // bad flag and bad config are UNKNOWN too
    expect((await gate(['--bogus'])).exitCode).toBe(3);
    expect((await cli(['gate', 'check', '--mode', 'sideways'], env)).exitCode).toBe(3);
    expect((await gate([], { OBSERVATORY_CONFIG: '/nonexistent.json' })).exitCode).toBe(3);
  });

  it('the daemon killed ⇒ DAEMON_STALE ⇒ exit 2', async () => {
    await stopDaemon(daemon, 'SIGKILL');
    daemon = undefined;
    const g = await waitFor(
      async () => {
        const r = await gate(['--json']);
        return r.exitCode === 2 && r.stdout.includes('DAEMON_STALE') ? r : undefined;
      },
      15_000,
      'DAEMON_STALE',
    );
    expect(JSON.parse(g.stdout).blockers.map((b: { code: string }) => b.code)).toContain('DAEMON_STALE');
  });

  it('two daemons: exactly one probes; when it dies the other takes over', async () => {
    const a = await startDaemon(env);
    const b = await startDaemon(env);
    try {
      const leaders = await waitFor(
        async () => {
          const { rows } = await db.pool.query(
            `select daemon_id from daemon_heartbeats where leader and stopped_at is null and heartbeat_at > now() - interval '2 seconds'`,
          );
          return rows.length === 1 ? rows : undefined;
        },
        10_000,
        'one leader',
      );
      const leaderId: string = leaders[0].daemon_id;
      await new Promise((r) => setTimeout(r, 2500));
      const { rows: probers } = await db.pool.query(
        `select distinct daemon_id from integration_probes where probed_at > now() - interval '2 seconds' and daemon_id not like 'probe-%'`,
      );
      expect(probers.map((r) => r.daemon_id)).toEqual([leaderId]);
      const [leader, other] = a.stderr().includes(leaderId.split('-').slice(-1)[0]) ? [a, b] : [b, a];
      const killedAt = Date.now();
      leader.proc.kill('SIGKILL');
      await leader.proc.catch(() => undefined);
      const next = await waitFor(
        async () => {
          const { rows } = await db.pool.query(
            `select distinct daemon_id from integration_probes where probed_at > to_timestamp($1::float8 / 1000) and daemon_id <> $2 and daemon_id not like 'probe-%'`,
            [killedAt, leaderId],
          );
          return rows.length ? rows : undefined;
        },
        10_000,
        'failover',
      );
      expect(next).toHaveLength(1);
      expect(other.stderr()).toMatch(/took probe leadership/);
      process.stderr.write(`[figure] leader killed → new leader probing in ${Date.now() - killedAt} ms\n`);
    } finally {
      await stopDaemon(a, 'SIGKILL');
      await stopDaemon(b, 'SIGKILL');
    }
  });

  it('refuses a non-loopback bind without a token (exit 78)', async () => {
    const r = await cli(['daemon'], { ...env, OBSERVATORY_BIND: '0.0.0.0' }, { timeout: 20_000 });
    expect(r.exitCode).toBe(78);
    expect(r.stderr).toMatch(/OBSERVATORY_TOKEN/);
  });
});
