/**
 * The reference bot obeying the kill switch, through the SDK only (usage.tradingState,
 * usage.canPlace). The bot asks `tripped()` between steps and sleeps on `signal`, so a halt wakes
 * it within the SDK's propagation time:
 *  - HALTED (or a state the SDK cannot confirm): cancel every working order, then stop;
 *  - REDUCING: only flatten (an order back to flat, which canPlace allows), then stop — a new run
 *    may not start while REDUCING (the gate's TRADING_REDUCING).
 * Working orders are the bot's accepted paper orders with no fill reported yet.
 */
import type { BrokerClient } from '../core/vendors/module.js';
import { newTraceId } from '../core/trace.js';
import { effectiveState, type TradingState } from '../core/trading-state.js';
import type { EventRow, UsageRecorder } from '../sdk/index.js';

export interface WorkingOrder {
  integration: string;
  orderId: string;
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  client: BrokerClient;
}

export interface CancelOutcome {
  order: WorkingOrder;
  ok: boolean;
  reason_code: string | null;
  trace_id: string;
  event: EventRow | null;
}

export class KillSwitch {
  readonly working = new Map<string, WorkingOrder>();
  private readonly ac = new AbortController();
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly usage: UsageRecorder,
    private readonly who: { botId: string; runId: string; userId?: string | null },
  ) {}

  /** Aborts when the bot's state leaves ACTIVE (or cannot be confirmed): sleep on it. */
  get signal(): AbortSignal {
    return this.ac.signal;
  }

  async start(): Promise<void> {
    await this.usage.tradingState.start();
    this.unsubscribe = this.usage.tradingState.onChange(() => {
      if (this.state() !== 'ACTIVE') this.ac.abort();
    });
    if (this.state() !== 'ACTIVE') this.ac.abort();
  }

  /** The bot's state: its global / account / bot scopes, and any integration it has an order working at. */
  state(): TradingState {
    const snap = this.usage.tradingState.snapshot();
    if (!snap.confirmed) return 'HALTED';
    const key = { botId: this.who.botId, userId: this.who.userId ?? null };
    let s = effectiveState(snap.inForce, key).state;
    for (const w of this.working.values()) {
      const e = effectiveState(snap.inForce, { ...key, integration: w.integration }).state;
      if (e === 'HALTED' || (e === 'REDUCING' && s === 'ACTIVE')) s = e;
    }
    return s;
  }

  /** Why the bot stops now, or null to go on. */
  tripped(): 'TRADING_HALTED' | 'TRADING_REDUCING' | null {
    const s = this.state();
    return s === 'HALTED' ? 'TRADING_HALTED' : s === 'REDUCING' ? 'TRADING_REDUCING' : null;
  }

  /** Cancels every working order (cancels are always allowed), each a `broker.cancel_order` usage event. */
  async cancelWorking(call: { timeoutMs: number }): Promise<CancelOutcome[]> {
    const out: CancelOutcome[] = [];
    for (const [id, w] of [...this.working]) {
      const traceId = newTraceId();
      const ctx = { integration: w.integration, operation: 'broker.cancel_order', botId: this.who.botId, runId: this.who.runId, symbol: w.symbol, traceId };
      if (!w.client.cancelOrder) {
        const event = this.usage.recordBlocked(
          { ...ctx, metadata: { action: 'cancel' } },
          'CANCEL_UNSUPPORTED',
          `${w.integration}: this client cannot cancel orders`,
        );
        out.push({ order: w, ok: false, reason_code: 'CANCEL_UNSUPPORTED', trace_id: traceId, event });
        continue;
      }
      let event: EventRow | null = null;
      try {
        await this.usage.track({ ...ctx, metadata: { action: 'cancel', side: w.side, qty: w.qty }, onEvent: (e) => (event = e) }, () =>
          w.client.cancelOrder!(w.orderId, { traceId, timeoutMs: call.timeoutMs }),
        );
        this.working.delete(id);
        out.push({ order: w, ok: true, reason_code: null, trace_id: traceId, event });
      } catch {
        const e = event as EventRow | null;
        out.push({ order: w, ok: false, reason_code: e?.reason_code ?? 'ERROR', trace_id: traceId, event: e });
      }
    }
    return out;
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}

/** A signal that aborts when any of `signals` does. */
export function anySignal(...signals: Array<AbortSignal | undefined>): AbortSignal {
  const list = signals.filter((s): s is AbortSignal => !!s);
  return list.length === 1 ? list[0] : AbortSignal.any(list);
}
