/**
 * The gate and the reference bot agree on what each mode needs (core/modes.ts, one
 * definition): over every mode × every integration state, whenever `gate check --mode M`
 * says OK (or DEGRADED), the bot's first iteration in mode M is not BLOCKED by a requirement
 * the gate checks — here, with vendor stand-ins that answer, it SUCCEEDS outright. And when the
 * gate says BLOCKED, the bot stops at its gate step with the same first blocker, before any
 * vendor call. Live: the reference bot never trades live, so it refuses up front (exit 64).
 *
 * States are written as the daemon would write them (status rules over a probe result, with
 * the probe's evidence: environment, live account), one combination at a time; the bot's
 * environment holds exactly the credentials the states say are present.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { canaryEnv } from './standins/fixtures.js';
import type { Standin } from './standins/server.js';
import { databentoData, ironbeamPaper, openaiData, polygonData, tradovatePaper } from './standins/trading-data.js';
import { loadConfig, type Config } from '../src/core/config.js';
import { loadRegistry } from '../src/core/vendors/registry.js';
import { applyProbe } from '../src/core/status.js';
import { dbNow, upsertState } from '../src/core/db/state.js';
import { writeHeartbeat } from '../src/core/db/heartbeats.js';
import { autonomyView } from '../src/core/views.js';
import { createUsageRecorder, type UsageRecorder } from '../src/sdk/index.js';
import { createLogger } from '../src/core/log.js';
import { MODES, type Mode, type ProbeResult, type Registry } from '../src/core/types.js';
import { runReferenceBot } from '../src/runner/index.js';
import { frontMonth } from '../src/core/calendar/index.js';
import { UsageError } from '../src/core/errors.js';
import { VERSION } from '../src/core/version.js';

const C = canaryEnv();
const LIMITS = { max_contracts: 5, max_daily_loss: 5000, max_drawdown_pct: 10, max_position_per_symbol: 3 };

type Kind = 'ok' | 'degraded' | 'blocked' | 'missing' | 'live' | 'live_no_account';
type Combo = Record<string, Kind>;

let db: TestDb;
let dir: string;
let usage: UsageRecorder;
let stand: Record<string, Standin>;

beforeAll(async () => {
  db = await freshDatabase();
  dir = mkdtempSync(join(tmpdir(), 'obs-modes-'));
  stand = {
    polygon: await polygonData(C.POLYGON_API_KEY).start(),
    databento: await databentoData(C.DATABENTO_API_KEY).start(),
    openai: await openaiData(C.OPENAI_API_KEY).start(),
    tradovate: await tradovatePaper({ name: C.TRADOVATE_USERNAME, password: C.TRADOVATE_PASSWORD, cid: C.TRADOVATE_CID, sec: C.TRADOVATE_SECRET }).start(),
    ironbeam: await ironbeamPaper({ username: C.IRONBEAM_USERNAME, password: C.IRONBEAM_PASSWORD, apiKey: C.IRONBEAM_API_KEY }).start(),
  };
  usage = createUsageRecorder({ pool: db.pool, spoolPath: join(dir, 'usage-1-1.jsonl'), log: createLogger('silent'), exitHooks: false });
});

afterAll(async () => {
  await usage?.close();
  for (const s of Object.values(stand ?? {})) await s.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The environment a combination implies: credentials only for integrations that are not `missing`. */
function envOf(combo: Combo): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
  const add = (name: string, vars: Record<string, string>) => {
    if (combo[name] !== 'missing') Object.assign(env, vars, { [`${name.toUpperCase()}_BASE_URL`]: stand[name].baseUrl });
    if (combo[name] === 'live' || combo[name] === 'live_no_account') env[`${name.toUpperCase()}_ENV`] = 'live';
  };
  add('polygon', { POLYGON_API_KEY: C.POLYGON_API_KEY });
  add('databento', { DATABENTO_API_KEY: C.DATABENTO_API_KEY });
  add('openai', { OPENAI_API_KEY: C.OPENAI_API_KEY });
  add('tradovate', {
    TRADOVATE_USERNAME: C.TRADOVATE_USERNAME,
    TRADOVATE_PASSWORD: C.TRADOVATE_PASSWORD,
    TRADOVATE_CID: C.TRADOVATE_CID,
    TRADOVATE_SECRET: C.TRADOVATE_SECRET,
  });
  add('ironbeam', { IRONBEAM_USERNAME: C.IRONBEAM_USERNAME, IRONBEAM_PASSWORD: C.IRONBEAM_PASSWORD, IRONBEAM_API_KEY: C.IRONBEAM_API_KEY });
  return env;
}

/** What the daemon would have recorded for each integration: the status rules over one probe result with its evidence. */
async function recordStates(registry: Registry, combo: Combo): Promise<void> {
  await db.pool.query('delete from integration_state');
  const now = await dbNow(db.pool);
  const c = await db.pool.connect();
  try {
    for (const spec of registry.integrations) {
      const kind = combo[spec.name] ?? 'ok';
      if (kind === 'missing') continue; // no row: readers see MISSING_CREDENTIALS from the environment
      const broker = spec.kind === 'broker';
      const result: ProbeResult = {
        outcome: kind === 'blocked' ? 'AUTH_REJECTED' : kind === 'degraded' ? 'UPSTREAM_5XX' : 'OK',
        latencyMs: 20,
        traceId: 'c'.repeat(32),
        ...(broker ? { environment: kind.startsWith('live') ? 'live' : 'demo', accountLive: kind === 'live' } : {}),
        customEndpoint: spec.probe.type === 'vendor' && !!spec.probe.baseUrl,
      };
      await upsertState(c, applyProbe(spec, undefined, result, { connected: true, now }));
    }
  } finally {
    c.release();
  }
  await writeHeartbeat(db.pool, {
    daemonId: 'modes-daemon',
    version: VERSION,
    hostname: hostname(),
    pid: process.pid,
    startedAt: now,
    leader: true,
    liveTradingEnabled: true,
  });
}

const BASE: Combo = { postgres: 'ok', risk_engine: 'ok', polygon: 'ok', databento: 'missing', openai: 'missing', ironbeam: 'ok', tradovate: 'missing' };
const VOCAB: Record<string, Kind[]> = {
  postgres: ['ok', 'degraded', 'blocked'],
  risk_engine: ['ok', 'degraded', 'blocked'],
  polygon: ['ok', 'degraded', 'blocked', 'missing'],
  databento: ['ok', 'degraded', 'blocked', 'missing'],
  openai: ['ok', 'blocked', 'missing'],
  ironbeam: ['ok', 'degraded', 'blocked', 'missing', 'live', 'live_no_account'],
  tradovate: ['ok', 'degraded', 'blocked', 'missing', 'live', 'live_no_account'],
};

/** Every state of every integration against the baseline, plus every pair within the broker and the market-data groups. */
function combos(): Combo[] {
  const out = new Map<string, Combo>();
  const put = (c: Combo) => out.set(JSON.stringify(c), c);
  for (const [name, kinds] of Object.entries(VOCAB)) for (const k of kinds) put({ ...BASE, [name]: k });
  for (const a of VOCAB.ironbeam) for (const b of VOCAB.tradovate) put({ ...BASE, ironbeam: a, tradovate: b });
  for (const a of VOCAB.polygon) for (const b of VOCAB.databento) put({ ...BASE, polygon: a, databento: b });
  return [...out.values()];
}

describe('mode agreement: gate verdict ⇒ the bot is not blocked by what the gate checked', () => {
  it('over every mode × integration state', async () => {
    const all = combos();
    expect(all.length).toBeGreaterThan(50);
    const seen: Record<Mode, { pass: number; blocked: number }> = {
      live: { pass: 0, blocked: 0 },
      paper: { pass: 0, blocked: 0 },
      shadow: { pass: 0, blocked: 0 },
    };
    let n = 0;
    for (const combo of all) {
      const base = loadConfig({ env: envOf(combo) });
      // every stand-in is a custom endpoint; allowing them lets live reach its broker rules here
      const config: Config = { ...base, riskLimits: LIMITS, allowCustomEndpoints: ['polygon', 'databento', 'openai', 'tradovate', 'ironbeam'] };
      const registry = loadRegistry(config);
      await recordStates(registry, combo);
      for (const mode of MODES) {
        const what = `${mode} ${JSON.stringify(combo)}`;
        const gate = await autonomyView(db.pool, registry, config, { mode });
        const pass = gate.global_status === 'OK' || gate.global_status === 'DEGRADED';
        seen[mode][pass ? 'pass' : 'blocked']++;
        const botName = `agree-${mode}-${++n}`;
        if (mode === 'live') {
          // the reference bot never trades live: refused before any run starts, whatever the gate says
          const err = await runReferenceBot({ config, registry, usage }, { mode, botName, iterations: 1 }).catch((e: unknown) => e);
          expect(err, what).toBeInstanceOf(UsageError);
          continue;
        }
        // paper orders name a futures contract (as an operator would with --broker-symbol): Polygon's bars are SPY,
        // which no futures broker lists (Ironbeam refuses it, SYMBOL_UNSUPPORTED) — the symbol is not what the gate checks
        const brokerSymbol = mode === 'paper' ? frontMonth('ES', Date.now()).symbol : undefined;
        const summary = await runReferenceBot({ config, registry, usage }, { mode, botName, iterations: 1, intervalMs: 0, fillWaitMs: 2_000, brokerSymbol });
        const steps = summary.steps.map((s) => `${s.step}:${s.status}${s.integration ? `@${s.integration}` : ''}${s.reason_code ? `:${s.reason_code}` : ''}`);
        if (pass) {
          // nothing the gate checked (credentials, host, status of a required broker…) stops the first iteration
          expect({ what, status: summary.status, steps }).toMatchObject({ status: 'SUCCEEDED' });
          if (mode === 'shadow')
            expect(
              summary.steps.filter((s) => s.step === 'broker' || s.step === 'fill').every((s) => s.integration === 'simulator'),
              what,
            ).toBe(true);
          else expect(steps, what).toContain('fill:OK@' + summary.steps.find((s) => s.step === 'broker')!.integration!);
        } else {
          // the bot reads the same gate: it stops there, with the gate's first blocker, before any vendor call
          expect({ what, status: summary.status, steps }).toMatchObject({ status: 'BLOCKED', steps: [expect.stringMatching(/^gate:BLOCKED/)] });
          expect(summary.reason_code, what).toBe(gate.blockers[0].code);
        }
      }
    }
    // the walk covers both verdicts in every mode
    for (const m of MODES) expect(seen[m].pass * seen[m].blocked, `${m}: ${JSON.stringify(seen[m])}`).toBeGreaterThan(0);
  }, 240_000);
});
