/**
 * The kill switch in the SDK: canPlace refuses what the state forbids with a BLOCKED usage event
 * (reason HALTED / REDUCING), a change reaches a running recorder by NOTIFY (the polling fallback
 * set far beyond the wait, so only the notification can deliver it), and a recorder whose store
 * goes away treats itself as HALTED once the bound passes.
 */
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sdkHarness } from '../sdk/harness.js';
import { waitFor } from '../helpers/wait.js';
import { applyTradingChange } from '../../src/core/views.js';
import type { TradingCommandInput } from '../../src/core/db/trading-state.js';
import { newTraceId } from '../../src/core/trace.js';
import { startRun } from '../../src/core/ingest.js';

const h = sdkHarness();
const BOT = randomUUID();
const cmd = (over: Partial<TradingCommandInput>): TradingCommandInput => ({
  command: 'halt',
  scope: 'global',
  target: '*',
  reason: 'sdk drill',
  actor: 'alice',
  twoPerson: false,
  requestTtlMs: 60_000,
  knownIntegrations: ['tradovate', 'ironbeam'],
  traceId: newTraceId(),
  ...over,
});
const order = { integration: 'tradovate', side: 'buy' as const, qty: 1, position: 0, symbol: 'ESZ5' };

describe('canPlace', () => {
  it('ACTIVE allows; HALTED refuses with a BLOCKED HALTED event naming the scope; cancels pass; resume allows again', async () => {
    await startRun(h.db.pool, { botId: BOT, mode: 'paper' });
    const usage = h.recorder({ botId: BOT, tradingState: { pollIntervalMs: 60_000, failClosedAfterMs: 120_000 } });
    try {
      expect(await usage.canPlace(order)).toMatchObject({ allowed: true, state: 'ACTIVE', event_id: null, confirmed: true });
      const halt = await applyTradingChange(h.db.pool, cmd({ scope: 'bot', target: BOT }));
      const refused = await waitFor(
        async () => {
          const r = await usage.canPlace(order);
          return r.allowed ? undefined : r;
        },
        5_000,
        'the halt to reach the recorder by NOTIFY',
      );
      expect(refused).toMatchObject({ state: 'HALTED', reason_code: 'HALTED', cause: { scope: 'bot', target: BOT, actor: 'alice' } });
      expect((await usage.canPlace({ ...order, action: 'cancel' })).allowed).toBe(true);
      await usage.flush();
      const { rows } = await h.db.pool.query('select status, reason_code, bot_id, trace_id, metadata from integration_usage_events where id = $1', [
        refused.event_id,
      ]);
      expect(rows[0]).toMatchObject({ status: 'BLOCKED', reason_code: 'HALTED', bot_id: BOT, trace_id: refused.trace_id });
      expect(rows[0].metadata).toMatchObject({ scope: 'bot', state_actor: 'alice', state_trace_id: halt.change.trace_id, side: 'buy', qty: 1 });

      await applyTradingChange(h.db.pool, cmd({ command: 'reduce', scope: 'bot', target: BOT }));
      const reducing = await waitFor(
        async () => {
          const r = await usage.canPlace(order);
          return r.state === 'REDUCING' ? r : undefined;
        },
        5_000,
        'REDUCING to reach the recorder',
      );
      expect(reducing).toMatchObject({ allowed: false, reason_code: 'REDUCING' });
      expect(await usage.canPlace({ ...order, side: 'sell', position: 1 })).toMatchObject({ allowed: true, state: 'REDUCING' });

      await applyTradingChange(h.db.pool, cmd({ command: 'resume', scope: 'bot', target: BOT }));
      await waitFor(async () => (await usage.canPlace(order)).allowed, 5_000, 'the resume to reach the recorder');
    } finally {
      await usage.close();
    }
  });

  it('fail-closed: a recorder that cannot read the state past the bound treats itself as HALTED, and recovers with the store', async () => {
    const { relay, pool } = await h.relayPool();
    const usage = h.recorder({ pool, tradingState: { failClosedAfterMs: 600, pollIntervalMs: 100 } });
    try {
      expect((await usage.canPlace(order)).allowed).toBe(true);
      await relay.stop();
      const t0 = Date.now();
      const r = await waitFor(
        async () => {
          const d = await usage.canPlace(order);
          return d.allowed ? undefined : d;
        },
        5_000,
        'fail-closed HALTED',
      );
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(r).toMatchObject({ state: 'HALTED', reason_code: 'HALTED', confirmed: false, cause: null });
      expect(r.message).toMatch(/unconfirmed/);
      expect((await usage.canPlace({ ...order, action: 'cancel' })).allowed).toBe(true);
      await relay.start();
      await waitFor(async () => (await usage.canPlace(order)).allowed, 10_000, 'recovery once the store is back');
    } finally {
      await usage.close();
      await relay.stop();
      await pool.end();
    }
  });

  it('a watch that never reached the store refuses from the first call', async () => {
    const { relay, pool } = await h.relayPool();
    await relay.stop();
    const usage = h.recorder({ pool, tradingState: { failClosedAfterMs: 300, pollIntervalMs: 100 } });
    try {
      expect(await usage.canPlace(order)).toMatchObject({ allowed: false, reason_code: 'HALTED', confirmed: false });
    } finally {
      await usage.close();
      await pool.end();
    }
  });
});
