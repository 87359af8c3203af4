/**
 * Bots with known activity, written through the SDK into a test database: the shared fixture of
 * the proof, ranking and per-bot gate tests (each file seeds its own database).
 *  - active: a paper session with market data, orders, fills (PAPER + SIM), AI calls, risk
 *    checks, blocked attempts, and a run that ended BLOCKED MISSING_CREDENTIALS
 *  - simOnly: SIM fills and a shadow run whose heartbeat is 10 minutes old
 *  - recovered: blocked, then a run that succeeded (recoveredBefore: its blockers before that)
 *  - quietBot: one OK event and a successful run
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { TestDb } from './db.js';
import { createUsageRecorder, type UsageRecorder } from '../../src/sdk/index.js';
import { botBlockers } from '../../src/core/autonomy.js';
import { createLogger } from '../../src/core/log.js';

const dirs: string[] = [];
const tmpDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'obs-proof-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

export const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

export interface SeededBots {
  active: string;
  simOnly: string;
  quietBot: string;
  recovered: string;
  traces: Record<string, string>;
  recorder: (botId: string) => UsageRecorder;
}

export async function seedBots(db: TestDb): Promise<SeededBots> {
  const quiet = createLogger('silent');
  const recorder = (botId: string): UsageRecorder =>
    createUsageRecorder({ pool: db.pool, botId, spoolPath: join(tmpDir(), 'usage-1-1.jsonl'), log: quiet, exitHooks: false });
  const active = randomUUID();
  const simOnly = randomUUID();
  const quietBot = randomUUID();
  const recovered = randomUUID();
  const traces: Record<string, string> = {};
  const u = recorder(active);
  const run = await u.runs.start({ botName: 'es-momentum', mode: 'paper', jobKind: 'session' });
  const ctx = { runId: run.id };
  for (let i = 0; i < 3; i++)
    await u.track(
      {
        ...ctx,
        integration: 'databento',
        operation: 'marketdata.bars',
        symbol: 'ESZ5',
        timeframe: '1m',
        records: 100,
        featureKeysUsed: ['md.close', 'md.vwap'],
      },
      async () => null,
    );
  await u.track({ ...ctx, integration: 'polygon', operation: 'marketdata.bars', records: 10 }, () => null);
  await u.track({ ...ctx, integration: 'ironbeam', operation: 'broker.place_order', symbol: 'ESZ5' }, () => null);
  await u.track({ ...ctx, integration: 'ironbeam', operation: 'broker.cancel_order' }, () => null);
  u.record({ run_id: run.id, integration: 'ironbeam', operation: 'broker.fill', status: 'OK', records: 1, metadata: { provenance: 'PAPER' } });
  u.record({ run_id: run.id, integration: 'simulator', operation: 'broker.fill', status: 'OK', records: 1, metadata: { provenance: 'SIM' } });
  u.record({ run_id: run.id, integration: 'simulator', operation: 'broker.fill', status: 'OK', records: 1, metadata: { provenance: 'SIM' } });
  traces.blockedOld = u.recordBlocked({ ...ctx, integration: 'ironbeam', operation: 'broker.place_order' }, 'MISSING_CREDENTIALS').trace_id;
  await new Promise((r) => setTimeout(r, 5)); // distinct timestamps: "last" must be well defined
  traces.blocked = u.recordBlocked({ ...ctx, integration: 'ironbeam', operation: 'broker.place_order' }, 'MISSING_CREDENTIALS').trace_id;
  await u.track({ ...ctx, integration: 'openai', operation: 'llm.chat', model: 'gpt-4o-mini', purpose: 'coaching' }, () => 'ok');
  await u.track({ ...ctx, integration: 'openai', operation: 'llm.chat', model: 'gpt-4o-mini' }, () => 'ok');
  await u.track({ ...ctx, integration: 'openai', operation: 'llm.chat', model: 'gpt-4.1' }, () => 'ok');
  await u
    .track({ ...ctx, integration: 'openai', operation: 'llm.chat', model: 'gpt-4.1' }, () =>
      Promise.reject(Object.assign(new Error('x'), { code: 'RATE_LIMITED' })),
    )
    .catch(() => undefined);
  await u.track({ ...ctx, integration: 'risk_engine', operation: 'risk.check' }, () => true);
  await u.track({ ...ctx, integration: 'risk_engine', operation: 'risk.check' }, () => true);
  await new Promise((r) => setTimeout(r, 5));
  traces.risk = u.recordBlocked({ ...ctx, integration: 'risk_engine', operation: 'risk.check' }, 'MAX_CONTRACTS_EXCEEDED').trace_id;
  // outside the 24 h window: never counted
  u.record({ integration: 'databento', operation: 'marketdata.bars', status: 'OK', records: 5000, created_at: ago(30 * HOUR) });
  await u.runs.finish(run.id, 'BLOCKED', 'MISSING_CREDENTIALS');
  await u.close();
  traces.run = run.trace_id;

  const s = recorder(simOnly);
  for (let i = 0; i < 4; i++) s.record({ integration: 'simulator', operation: 'broker.fill', status: 'OK', metadata: { provenance: 'SIM' } });
  s.record({ integration: 'simulator', operation: 'broker.place_order', status: 'OK', metadata: { provenance: 'SIM', action: 'place' } });
  // a blocked attempt 2 h ago: in the proof window, but too old to block the bot now
  s.record({ integration: 'tradovate', operation: 'broker.place_order', status: 'BLOCKED', reason_code: 'LIVE_TRADING_DISABLED', created_at: ago(2 * HOUR) });
  const r2 = await s.runs.start({ mode: 'shadow' });
  traces.stale = r2.trace_id;
  await s.close();
  await db.pool.query(`update bot_runs set heartbeat_at = now() - interval '10 minutes' where id = $1`, [r2.id]);

  // blocked, then the cause fixed and a run succeeded: the old attempts no longer block
  const rc = recorder(recovered);
  rc.recordBlocked({ integration: 'ironbeam', operation: 'broker.place_order' }, 'MISSING_CREDENTIALS');
  rc.recordBlocked({ integration: 'observatory', operation: 'gate.check' }, 'DAEMON_STALE');
  await rc.flush();
  traces.recoveredBefore = JSON.stringify(await botBlockers(db.pool, recovered, 60_000));
  const okRun = await rc.runs.start({ mode: 'paper' });
  await new Promise((r) => setTimeout(r, 5));
  await okRun.finish('SUCCEEDED');
  await rc.close();

  const q = recorder(quietBot);
  q.record({ integration: 'polygon', operation: 'marketdata.bars', status: 'OK', records: 1 });
  const r3 = await q.runs.start({ mode: 'paper' });
  await r3.finish('SUCCEEDED');
  await q.close();
  return { active, simOnly, quietBot, recovered, traces, recorder };
}
