/**
 * The leak test: a unique canary in every secret env var; vendor stand-ins that echo the
 * credentials back in error bodies, headers and redirect URLs; the real daemon probing them.
 * Then every sink is scanned — a dump of every table, the daemon's logs, every API body and
 * every CLI output — for the canaries raw, base64 and URL-encoded: zero hits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResultPromise } from 'execa';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { cli, spawnCli } from './helpers/cli.js';
import { waitFor } from './helpers/wait.js';
import { databento, ironbeam, openai, polygon, tradovate } from './standins/vendors.js';
import type { Standin } from './standins/server.js';
import { canaryEnv, findLeaks } from './standins/fixtures.js';
import { tempDir } from './helpers/tmp.js';

let db: TestDb;
let secrets: Record<string, string>;
let standins: Record<string, Standin>;
let env: Record<string, string>;
let daemon: ResultPromise | undefined;
let daemonLog = '';
let port = 0;
const outputs: string[] = [];

async function probesSoFar(): Promise<number> {
  const { rows } = await db.pool.query('select count(*)::int as n from integration_probes');
  return rows[0].n;
}

beforeAll(async () => {
  db = await freshDatabase();
  secrets = canaryEnv();
  standins = {
    databento: await databento(secrets.DATABENTO_API_KEY).start(),
    polygon: await polygon(secrets.POLYGON_API_KEY).start(),
    openai: await openai(secrets.OPENAI_API_KEY).start(),
    tradovate: await tradovate({
      name: secrets.TRADOVATE_USERNAME,
      password: secrets.TRADOVATE_PASSWORD,
      cid: secrets.TRADOVATE_CID,
      sec: secrets.TRADOVATE_SECRET,
    }).start(),
    ironbeam: await ironbeam({ username: secrets.IRONBEAM_USERNAME, password: secrets.IRONBEAM_PASSWORD, apiKey: secrets.IRONBEAM_API_KEY }).start(),
  };
  const dir = tempDir('obs-leak-');
  const configPath = join(dir, 'observatory.json');
  const fast = { interval_ms: 1000, timeout_ms: 800 };
  writeFileSync(
    configPath,
    JSON.stringify({
      integrations: { databento: fast, polygon: fast, openai: fast, tradovate: fast, ironbeam: fast },
      risk_limits: { max_contracts: 5, max_daily_loss: 2000, max_drawdown_pct: 10, max_position_per_symbol: 2 },
    }),
  );
  env = {
    ...secrets,
    DATABASE_URL: db.url,
    OBSERVATORY_CONFIG: configPath,
    DATABENTO_BASE_URL: standins.databento.baseUrl,
    POLYGON_BASE_URL: standins.polygon.baseUrl,
    OPENAI_BASE_URL: standins.openai.baseUrl,
    TRADOVATE_BASE_URL: standins.tradovate.baseUrl,
    IRONBEAM_BASE_URL: standins.ironbeam.baseUrl,
    OBSERVATORY_PORT: '0',
    OBSERVATORY_HEARTBEAT_MS: '1000',
    LOG_LEVEL: 'debug',
  };
});

afterAll(async () => {
  if (daemon && daemon.exitCode === null) {
    daemon.kill('SIGKILL');
    await daemon.catch(() => undefined);
  }
  for (const s of Object.values(standins ?? {})) await s.close();
});

describe('no secret value anywhere', () => {
  it('drives every probe path with stand-ins that echo the credentials back', async () => {
    daemon = spawnCli(['daemon'], env);
    daemon.stderr?.on('data', (d) => (daemonLog += d));
    daemon.stdout?.on('data', (d) => (daemonLog += d));
    port = await waitFor(
      () => {
        const m = /"port":(\d+),"msg":"HTTP API listening"/.exec(daemonLog);
        return m ? Number(m[1]) : undefined;
      },
      30_000,
      'daemon',
    );

    // normal replies first (tokens issued and cached), then each leaky failure mode in turn
    const modes = [
      { kind: 'normal' },
      { kind: 'status', status: 401 },
      { kind: 'status', status: 403 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 429 },
      { kind: 'redirect' },
      { kind: 'malformed' },
      { kind: 'wrong_shape' },
      { kind: 'status', status: 401, scope: 'login' },
    ] as const;
    for (const mode of modes) {
      for (const s of Object.values(standins)) {
        s.revokeTokens();
        s.set(mode as never);
      }
      const before = await probesSoFar();
      await waitFor(async () => (await probesSoFar()) >= before + 7, 10_000, `a probe round in mode ${JSON.stringify(mode)}`);
      // the CLI reads while the failure is live (a few modes suffice: each read is a process start)
      if (!['normal', 'redirect'].includes(mode.kind) && !(mode.kind === 'status' && mode.status === 401)) continue;
      for (const args of [['status', '--json'], ['status'], ['gate', 'check', '--json'], ['gate', 'check', '--mode', 'paper']]) {
        const r = await cli(args, env);
        outputs.push(r.stdout, r.stderr);
      }
    }
    const all = await cli(['probe', '--all', '--json'], env);
    outputs.push(all.stdout, all.stderr);
    for (const args of [
      ['fault', 'inject', 'polygon', '--status', '503'],
      ['fault', 'list'],
      ['fault', 'clear', 'polygon'],
      ['probe', 'polygon'],
    ]) {
      const r = await cli(args, env);
      outputs.push(r.stdout, r.stderr);
    }
    // the stand-ins did echo the secrets (so the scan below is meaningful)
    const echoed = Object.values(standins).some((s) => s.requests.length > 0);
    expect(echoed).toBe(true);
    expect(findLeaks(JSON.stringify(standins.polygon.requests.map((r) => r.headers)), [secrets.POLYGON_API_KEY]).length).toBeGreaterThan(0);
    // a dozen probe rounds and ~20 CLI processes: minutes on a loaded 2-core machine, not a timing assertion
  }, 180_000);

  it('every API body is clean', async () => {
    const base = `http://127.0.0.1:${port}`;
    for (const path of [
      '/api/system/status',
      '/api/integrations/health',
      '/api/system/autonomy?mode=paper',
      '/api/system/autonomy?mode=live',
      '/metrics',
      '/healthz',
      '/nope',
    ]) {
      const res = await fetch(base + path);
      const text = await res.text();
      outputs.push(text, JSON.stringify([...res.headers]));
    }
    expect(findLeaks(outputs.join('\n'), Object.values(secrets))).toEqual([]);
  });

  it('the database holds no secret (dump of every table)', async () => {
    const { rows: tables } = await db.pool.query<{ t: string }>(`select tablename as t from pg_tables where schemaname = 'public'`);
    let dump = '';
    for (const { t } of tables) {
      const { rows } = await db.pool.query(`select row_to_json(x)::text as j from ${t} x`);
      dump += rows.map((r) => r.j).join('\n');
    }
    expect(dump).toMatch(/integration_probes|AUTH_REJECTED|UPSTREAM/); // the dump has real content
    expect(findLeaks(dump, Object.values(secrets))).toEqual([]);
  });

  it('the daemon log and every CLI output are clean', async () => {
    daemon!.kill('SIGTERM');
    await daemon!.catch(() => undefined);
    expect(daemonLog.length).toBeGreaterThan(1000);
    expect(findLeaks(daemonLog, Object.values(secrets))).toEqual([]);
    expect(findLeaks(outputs.join('\n'), Object.values(secrets))).toEqual([]);
  });
});
