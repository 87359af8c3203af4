/**
 * The kill switch's rules, pure: scopes, states, what an order may do in each state, and the
 * state an order is under. The rows come from db/trading-state.ts (append-only audit); nothing
 * here reads the store.
 *
 *  - ACTIVE: anything goes. REDUCING: only orders that reduce exposure; cancels always.
 *    HALTED: no new orders and no modifications; cancels always (a kill switch that blocked
 *    cancels would trap working orders in the market).
 *  - Scopes nest global ⊃ account (user_id) ⊃ bot ⊃ integration; an order is under every scope
 *    that names it, and the most restrictive state among them wins.
 */
import { UsageError } from './errors.js';
import { isUuid } from './trace.js';

export const TRADING_STATES = ['ACTIVE', 'REDUCING', 'HALTED'] as const;
export type TradingState = (typeof TRADING_STATES)[number];

export const TRADING_SCOPES = ['global', 'account', 'bot', 'integration'] as const;
export type TradingScope = (typeof TRADING_SCOPES)[number];

/** The target of the global scope. */
export const GLOBAL_TARGET = '*';

const RANK: Record<TradingState, number> = { ACTIVE: 0, REDUCING: 1, HALTED: 2 };

/** The more restrictive of two states. */
export function stricter(a: TradingState, b: TradingState): TradingState {
  return RANK[a] >= RANK[b] ? a : b;
}

/** One scope whose state is not ACTIVE, with who put it there and why (the newest row in force). */
export interface ScopeInForce {
  scope: TradingScope;
  target: string;
  state: Exclude<TradingState, 'ACTIVE'>;
  actor: string;
  reason: string;
  /** when the row that set this state was written (ISO) */
  since: string;
  expires_at: string | null;
  trace_id: string;
  change_id: string;
}

/** The scopes an order (or a bot, or a mode) falls under. */
export interface ScopeKey {
  botId?: string | null;
  userId?: string | null;
  integration?: string | null;
}

/** Whether a scope in force covers the key. */
export function covers(s: Pick<ScopeInForce, 'scope' | 'target'>, key: ScopeKey): boolean {
  switch (s.scope) {
    case 'global':
      return true;
    case 'account':
      return !!key.userId && key.userId.toLowerCase() === s.target;
    case 'bot':
      return !!key.botId && key.botId.toLowerCase() === s.target;
    case 'integration':
      return !!key.integration && key.integration === s.target;
  }
}

export interface Effective {
  state: TradingState;
  /** the scope that made it so (the broadest one among equals), null when ACTIVE */
  cause: ScopeInForce | null;
  /** every covering scope not ACTIVE */
  covering: ScopeInForce[];
}

const SCOPE_ORDER: Record<TradingScope, number> = { global: 0, account: 1, bot: 2, integration: 3 };

/** The most restrictive state over the key's scopes. */
export function effectiveState(inForce: ScopeInForce[], key: ScopeKey): Effective {
  const covering = inForce.filter((s) => covers(s, key)).sort((a, b) => RANK[b.state] - RANK[a.state] || SCOPE_ORDER[a.scope] - SCOPE_ORDER[b.scope]);
  return { state: covering[0]?.state ?? 'ACTIVE', cause: covering[0] ?? null, covering };
}

export type OrderSide = 'buy' | 'sell';
export type OrderAction = 'new' | 'modify' | 'cancel';

/** What a bot is about to do (the inputs of canPlace). */
export interface OrderIntent extends ScopeKey {
  integration: string;
  side: OrderSide;
  qty: number;
  /** the bot's current signed position in the instrument (long > 0, short < 0) */
  position: number;
  /** default 'new' */
  action?: OrderAction;
  symbol?: string | null;
}

/** An order reduces exposure when it trades against the position and does not go past flat. */
export function reducesExposure(side: OrderSide, qty: number, position: number): boolean {
  if (!(qty > 0) || position === 0) return false;
  return side === 'buy' ? position < 0 && qty <= -position : position > 0 && qty <= position;
}

export interface PlaceDecision {
  allowed: boolean;
  state: TradingState;
  /** HALTED / REDUCING when refused (the usage event's reason_code), null when allowed */
  reason_code: 'HALTED' | 'REDUCING' | null;
  message: string;
  /** the scope that decided (null when ACTIVE) */
  cause: ScopeInForce | null;
}

/** What the state allows for this order; pure. */
export function decideOrder(inForce: ScopeInForce[], order: OrderIntent): PlaceDecision {
  const eff = effectiveState(inForce, order);
  const action = order.action ?? 'new';
  const by = eff.cause ? ` by ${eff.cause.actor} (${describeScope(eff.cause)}): ${eff.cause.reason}` : '';
  if (action === 'cancel') return { allowed: true, state: eff.state, reason_code: null, message: 'cancels are always allowed', cause: eff.cause };
  if (eff.state === 'HALTED')
    return { allowed: false, state: 'HALTED', reason_code: 'HALTED', message: `trading HALTED${by}; only cancels are allowed`, cause: eff.cause };
  if (eff.state === 'REDUCING') {
    if (reducesExposure(order.side, order.qty, order.position))
      return { allowed: true, state: 'REDUCING', reason_code: null, message: 'reduces exposure (allowed while REDUCING)', cause: eff.cause };
    return {
      allowed: false,
      state: 'REDUCING',
      reason_code: 'REDUCING',
      message: `trading REDUCING${by}; only orders that reduce the position (${order.position}) are allowed`,
      cause: eff.cause,
    };
  }
  return { allowed: true, state: 'ACTIVE', reason_code: null, message: 'trading ACTIVE', cause: null };
}

export function describeScope(s: Pick<ScopeInForce, 'scope' | 'target'>): string {
  return s.scope === 'global' ? 'global' : `${s.scope} ${s.target}`;
}

/** The command that lifts a scope (the gate's fix). */
export function resumeCommand(s: Pick<ScopeInForce, 'scope' | 'target'>): string {
  return `observatory resume ${s.scope === 'global' ? '--global' : `--${s.scope} ${s.target}`} --reason "<why it is safe again>"`;
}

// ─── Input rules (CLI, HTTP, TUI share them) ─────────────────────────────────────────

const INTEGRATION_RE = /^[a-z][a-z0-9_]{0,62}$/;

/** A scope and its target, normalized; bad input is a UsageError (exit 64). Existence is checked by the writer. */
export function normalizeTarget(scope: string, target: string | null | undefined): { scope: TradingScope; target: string } {
  if (!(TRADING_SCOPES as readonly string[]).includes(scope)) throw new UsageError(`unknown scope '${scope}'`, `one of: ${TRADING_SCOPES.join(', ')}`);
  const s = scope as TradingScope;
  const t = (target ?? '').trim();
  if (s === 'global') {
    if (t && t !== GLOBAL_TARGET) throw new UsageError('the global scope takes no target');
    return { scope: s, target: GLOBAL_TARGET };
  }
  if (!t) throw new UsageError(`--${s}: a target is required`);
  if ((s === 'account' || s === 'bot') && !isUuid(t)) throw new UsageError(`--${s}: expected a UUID (the events' ${s === 'account' ? 'user_id' : 'bot_id'})`);
  if (s === 'integration' && !INTEGRATION_RE.test(t)) throw new UsageError('--integration: expected an integration name like tradovate');
  return { scope: s, target: s === 'integration' ? t : t.toLowerCase() };
}

/** A reason: required, one line, at most 500 characters. */
export function normalizeReason(raw: string | null | undefined): string {
  const r = (raw ?? '').replace(/\s+/g, ' ').trim();
  if (!r) throw new UsageError('--reason: a reason is required and must not be empty', 'say why, e.g. --reason "runaway orders on ES"');
  if (r.length > 500) throw new UsageError('--reason: at most 500 characters');
  return r;
}

/** An actor name: who did it (OS user, API token name); bounded. */
export function normalizeActor(raw: string): string {
  const a = raw.replace(/\s+/g, ' ').trim().slice(0, 128);
  if (!a) throw new UsageError('actor: could not tell who is acting');
  return a;
}

export type TradingCommand = 'halt' | 'reduce' | 'resume';
export const STATE_OF: Record<TradingCommand, TradingState> = { halt: 'HALTED', reduce: 'REDUCING', resume: 'ACTIVE' };

/** The BLOCKED usage event of a refused order (SDK canPlace and the HTTP check write the same one). */
export function refusalEvent(
  order: OrderIntent,
  d: PlaceDecision,
  traceId: string,
  ids: { run_id?: unknown; operation?: unknown } = {},
): {
  integration: string;
  operation: string;
  status: 'BLOCKED';
  bot_id: string | null;
  user_id: string | null;
  run_id: string | null;
  symbol: string | null;
  reason_code: string;
  trace_id: string;
  metadata: Record<string, unknown>;
} {
  const c = d.cause;
  return {
    integration: order.integration,
    operation: typeof ids.operation === 'string' && ids.operation ? ids.operation : order.action === 'modify' ? 'broker.modify_order' : 'broker.place_order',
    status: 'BLOCKED',
    bot_id: order.botId ?? null,
    user_id: order.userId ?? null,
    run_id: typeof ids.run_id === 'string' ? ids.run_id : null,
    symbol: order.symbol ?? null,
    reason_code: d.reason_code ?? 'HALTED',
    trace_id: traceId,
    metadata: {
      action: order.action ?? 'new',
      side: order.side,
      qty: order.qty,
      position: order.position,
      trading_state: d.state,
      ...(c ? { scope: c.scope, scope_target: c.target, state_actor: c.actor, state_since: c.since, state_trace_id: c.trace_id } : { state_unconfirmed: true }),
      reason_message: d.message.slice(0, 200),
    },
  };
}
