/**
 * Ironbeam API v2 (base URL includes the version: https://demo.ironbeamapi.com/v2, or
 * https://live.ironbeamapi.com/v2 with IRONBEAM_ENV=live; IRONBEAM_BASE_URL overrides).
 *
 * Login: `POST /auth` {username, password?, apikey?} → {token, status: "OK"}; only `username`
 * is required by the schema: an API-key user sends the user name and the key, an enterprise user
 * also a password. So IRONBEAM_USERNAME and IRONBEAM_API_KEY are required, IRONBEAM_PASSWORD is
 * optional, and only what is set is sent. The token is then sent as
 * `Authorization: Bearer`. The reply carries no expiry: the probe logs in afresh at least every
 * IRONBEAM_REPROVE_MS, so a revoked key is seen within that bound. Sessions: ./session.ts.
 * Probe: the token proven by `GET /info/trader` → {accounts, isLive, traderId}; `isLive` is the
 * account's word.
 * Paper orders (runner): `GET /account/getAllAccounts` → {accounts: [id]}; `POST
 * /order/{accountId}/place` {accountId, exchSym: "XCME:ES.Z25", side: BUY|SELL, quantity,
 * orderType: "1" (market), duration: "0" (day), waitForOrderId: true} → {strategyId, orderId?}:
 * the broker waits at most IRONBEAM_ORDER_WAIT_MS for the exchange's order id, so the call's own
 * timeout is longer; an id that did not arrive is recovered with `GET
 * /order/{accountId}/toorderid/{strategyId}`, and fills (`GET /order/{accountId}/fills` →
 * {fills: [{orderId, strategyId, fillQuantity, fillPrice}]}) are matched by strategy id until
 * it does. An order is never reported failed while it may be live: a reply that never came is
 * ORDER_STATE_UNKNOWN.
 * Cancel (the kill switch): `DELETE /order/{accountId}/cancel/{orderId}` (operationId
 * cancelOrder; no body) → OrdersResponse {status, message, orders: [Order]}, each Order with
 * its OrderStatusType (CANCELLED, PENDING_CANCEL, CANCEL_REJECTED, ORDER_NOT_FOUND, …) and an
 * optional orderError {errorCode, errorText}; errors 400/401/403/406/429 as {status: "ERROR",
 * message, error}. Source: the IronbeamAPI 2.1 OpenAPI document (as copied in wboayue/ironbeam-rs
 * `specs/openapi.json`; the same call in its `client/rest/orders.rs` and in ENHarry/IronBeam_api
 * `ironbeam/client.py`). Only an order the reply names as cancelled (or cancel pending/queued) is
 * a cancel; a refusal is CANCEL_REJECTED, a reply that does not name the order CANCEL_UNCONFIRMED.
 */
import { envValue } from './env.js';
import { finite, isObject, joinUrl, VendorError } from './http.js';
import type { BrokerFill, CallCtx, PaperOrder, VendorModule } from './module.js';
import { PaperSession, sessionProbe, type BrokerProtocol } from './session.js';

const CREDENTIALS = ['IRONBEAM_USERNAME', 'IRONBEAM_PASSWORD', 'IRONBEAM_API_KEY'] as const;
/** assumed token lifetime (no expiry in the auth reply) */
export const IRONBEAM_DEFAULT_TTL_MS = 2 * 60 * 60_000;
/** the probe proves the credentials with a fresh login at least this often */
export const IRONBEAM_REPROVE_MS = 15 * 60_000;
/** the broker's own wait for the exchange's order id (waitForOrderId, documented maximum) */
export const IRONBEAM_ORDER_WAIT_MS = 10_000;
/** the place call's timeout: longer than the broker's wait, so a slow id never looks like a failure */
export const IRONBEAM_PLACE_TIMEOUT_MS = IRONBEAM_ORDER_WAIT_MS + 5_000;
/** tries of toorderid after a reply without an order id */
const RECOVERY_TRIES = 3;
const RECOVERY_PAUSE_MS = 500;

const protocol: BrokerProtocol = {
  integration: 'ironbeam',
  credentialEnv: CREDENTIALS,
  defaultTtlMs: IRONBEAM_DEFAULT_TTL_MS,
  reproveAfterMs: IRONBEAM_REPROVE_MS,
  login: {
    request: (baseUrl, env) => ({
      method: 'POST',
      url: joinUrl(baseUrl, '/auth'),
      json: () => {
        const password = envValue(env, 'IRONBEAM_PASSWORD');
        const apikey = envValue(env, 'IRONBEAM_API_KEY');
        return { username: envValue(env, 'IRONBEAM_USERNAME'), ...(password ? { password } : {}), ...(apikey ? { apikey } : {}) };
      },
    }),
    what: 'Ironbeam auth',
    expected: 'a token reply',
    read: (b, host) => {
      if (b.status === 'ERROR' || b.status === 'FATAL') return { outcome: 'AUTH_REJECTED', message: `login rejected by ${host} (status ${b.status})` };
      return typeof b.token === 'string' && b.token !== '' ? { token: b.token } : null;
    },
  },
  check: {
    path: '/info/trader',
    expected: 'a trader info object',
    read: (b) => {
      if (!isObject(b) || b.status === 'ERROR' || !(typeof b.traderId === 'string' || Array.isArray(b.accounts))) return 'BAD';
      return typeof b.isLive === 'boolean' ? { accountLive: b.isLive } : {};
    },
  },
};

// ───────────────────────────────────────────── symbols

export const MONTH_CODES = 'FGHJKMNQUVXZ';
/** the exchange (MIC) of common CME Group futures roots, as Ironbeam writes them (XCME:ES.Z25, XCEC:GC.Q22) */
const EXCHANGE_OF: Record<string, string> = {
  ES: 'XCME',
  MES: 'XCME',
  NQ: 'XCME',
  MNQ: 'XCME',
  RTY: 'XCME',
  M2K: 'XCME',
  '6E': 'XCME',
  '6J': 'XCME',
  '6B': 'XCME',
  '6A': 'XCME',
  '6C': 'XCME',
  '6S': 'XCME',
  LE: 'XCME',
  HE: 'XCME',
  YM: 'XCBT',
  MYM: 'XCBT',
  ZN: 'XCBT',
  ZB: 'XCBT',
  ZF: 'XCBT',
  ZT: 'XCBT',
  ZC: 'XCBT',
  ZS: 'XCBT',
  ZW: 'XCBT',
  CL: 'XNYM',
  MCL: 'XNYM',
  NG: 'XNYM',
  RB: 'XNYM',
  HO: 'XNYM',
  GC: 'XCEC',
  MGC: 'XCEC',
  SI: 'XCEC',
  HG: 'XCEC',
};

/** Ironbeam's symbol pattern (exchange prefix optional in the schema, always sent by us) */
const EXCH_SYM = /^[A-Z]{1,10}:[A-Z0-9 _.]{1,120}$/;

/**
 * A futures symbol in the form Ironbeam's order API expects: "XCME:ES.Z25". Accepts that form
 * as is, or an exchange contract code ("ESZ5", "ESZ25", as Databento and Tradovate write it);
 * null when the symbol cannot be written that way (a continuous or parent symbol, an unknown root).
 */
export function ironbeamSymbol(symbol: string, now: number = Date.now()): string | null {
  const s = symbol.trim().toUpperCase();
  if (EXCH_SYM.test(s)) return s;
  const m = /^([A-Z0-9]{1,3}?)([FGHJKMNQUVXZ])(\d{1,2})$/.exec(s);
  if (!m || !MONTH_CODES.includes(m[2])) return null;
  const exchange = EXCHANGE_OF[m[1]];
  if (!exchange) return null;
  let yy = m[3];
  if (yy.length === 1) {
    // one digit: the first year ending in it from last year on (contracts listed up to ~10 years out)
    const thisYear = new Date(now).getUTCFullYear();
    let y = thisYear - 1;
    while (y % 10 !== Number(yy)) y++;
    yy = String(y % 100).padStart(2, '0');
  }
  return `${exchange}:${m[1]}.${m[2]}${yy}`;
}

// ───────────────────────────────────────────── paper orders

const STRATEGY = 'strategy:';
/** OrderStatusType values that mean the cancel took (or is on its way at the exchange) */
const CANCEL_TAKEN: ReadonlySet<string> = new Set(['CANCELLED', 'PENDING_CANCEL', 'QUEUED_CANCEL']);

class IronbeamPaper extends PaperSession {
  private accountId: string | null = null;

  private async account(call: CallCtx): Promise<string> {
    if (this.accountId) return this.accountId;
    const what = 'Ironbeam getAllAccounts';
    const b = await this.authed(call, { method: 'GET', url: joinUrl(this.baseUrl, '/account/getAllAccounts'), what });
    const accounts = isObject(b) && Array.isArray(b.accounts) ? b.accounts.filter((a): a is string => typeof a === 'string' && a !== '') : [];
    if (!accounts.length) throw new VendorError('BROKER_NO_ACCOUNT', `${what}: no account for these credentials`);
    this.accountId = accounts[0];
    return this.accountId;
  }

  /** The order id of a strategy, when the exchange has assigned one (null: not yet). */
  private async orderIdOf(accountId: string, strategyId: number, call: CallCtx): Promise<string | null> {
    const what = 'Ironbeam toorderid';
    const b = await this.authed(call, {
      method: 'GET',
      url: joinUrl(this.baseUrl, `/order/${encodeURIComponent(accountId)}/toorderid/${strategyId}`),
      what,
    });
    if (!isObject(b)) throw new VendorError('UPSTREAM_BAD_RESPONSE', `${what}: body is not an order id reply`);
    return typeof b.orderId === 'string' && b.orderId !== '' ? b.orderId : null;
  }

  async placeOrder(order: PaperOrder, call: CallCtx): Promise<{ orderId: string }> {
    const what = 'Ironbeam order place';
    const exchSym = ironbeamSymbol(order.symbol);
    if (!exchSym)
      throw new VendorError(
        'SYMBOL_UNSUPPORTED',
        `${what}: ${/^[A-Za-z0-9._: -]{1,40}$/.test(order.symbol) ? order.symbol : 'the symbol'} cannot be written in Ironbeam's exchange form (e.g. XCME:ES.Z25); name the contract with --broker-symbol`,
      );
    const accountId = await this.account(call);
    let b: unknown;
    const timeoutMs = Math.max(call.timeoutMs, IRONBEAM_PLACE_TIMEOUT_MS);
    try {
      b = await this.authed(
        { ...call, timeoutMs },
        {
          method: 'POST',
          url: joinUrl(this.baseUrl, `/order/${encodeURIComponent(accountId)}/place`),
          json: () => ({
            accountId,
            exchSym,
            side: order.side === 'buy' ? 'BUY' : 'SELL',
            quantity: order.qty,
            orderType: '1',
            duration: '0',
            waitForOrderId: true,
          }),
          what,
        },
      );
    } catch (err) {
      if (err instanceof VendorError && (err.code === 'UPSTREAM_TIMEOUT' || (err.code === 'UPSTREAM_NETWORK' && /reset/.test(err.message))))
        throw new VendorError(
          'ORDER_STATE_UNKNOWN',
          `${what}: no reply within ${timeoutMs} ms; the order may be live at the broker: check the Ironbeam account before trading again`,
        );
      throw err;
    }
    if (!isObject(b)) throw new VendorError('ORDER_STATE_UNKNOWN', `${what}: the reply is not an order reply; the order may be live at the broker`);
    if (b.status === 'ERROR' || b.status === 'FATAL' || b.status === 'REJECTED')
      throw new VendorError('ORDER_REJECTED', `${what}: order rejected by the broker`);
    if (typeof b.orderId === 'string' && b.orderId !== '') return { orderId: b.orderId };
    const strategyId = finite(b.strategyId);
    if (strategyId === undefined || !Number.isInteger(strategyId))
      throw new VendorError('ORDER_STATE_UNKNOWN', `${what}: the reply has neither orderId nor strategyId; the order may be live at the broker`);
    // the exchange's id did not arrive within the broker's wait: recover it from the strategy
    for (let i = 0; i < RECOVERY_TRIES; i++) {
      const id = await this.orderIdOf(accountId, strategyId, call).catch(() => null);
      if (id) return { orderId: id };
      if (i < RECOVERY_TRIES - 1) await new Promise((r) => setTimeout(r, RECOVERY_PAUSE_MS));
    }
    // accepted, id still pending: the strategy id names it (fills match on it) — never a failure
    return { orderId: `${STRATEGY}${strategyId}` };
  }

  async cancelOrder(orderId: string, call: CallCtx): Promise<void> {
    const what = 'Ironbeam order cancel';
    const accountId = await this.account(call);
    let id = orderId;
    if (orderId.startsWith(STRATEGY)) {
      // the cancel takes the exchange's order id: an order known only by its strategy needs it first
      const strategyId = Number(orderId.slice(STRATEGY.length));
      const known = Number.isInteger(strategyId) ? await this.orderIdOf(accountId, strategyId, call).catch(() => null) : null;
      if (!known)
        throw new VendorError(
          'ORDER_STATE_UNKNOWN',
          `${what}: the exchange's order id for strategy ${Number.isInteger(strategyId) ? strategyId : '?'} has not arrived, so the order cannot be cancelled by id: check the Ironbeam account`,
        );
      id = known;
    }
    let b: unknown;
    try {
      b = await this.authed(call, {
        method: 'DELETE',
        url: joinUrl(this.baseUrl, `/order/${encodeURIComponent(accountId)}/cancel/${encodeURIComponent(id)}`),
        what,
      });
    } catch (err) {
      // 400 (ErrorResponse400): the broker refused this cancel; 401/403/429/5xx keep their own codes
      if (err instanceof VendorError && err.status === 400) throw new VendorError('CANCEL_REJECTED', `${what}: cancel refused by the broker (HTTP 400)`, 400);
      throw err;
    }
    if (!isObject(b)) throw new VendorError('UPSTREAM_BAD_RESPONSE', `${what}: body is not an orders reply`);
    const order = Array.isArray(b.orders) ? b.orders.find((o): o is Record<string, unknown> => isObject(o) && String(o.orderId) === id) : undefined;
    const state = order && typeof order.status === 'string' && /^[A-Z_]{1,40}$/.test(order.status) ? order.status : null;
    const errorCode = order && isObject(order.orderError) ? finite(order.orderError.errorCode) : undefined;
    if (b.status !== 'ERROR' && b.status !== 'FATAL' && state && CANCEL_TAKEN.has(state) && errorCode === undefined) return;
    if (b.status === 'ERROR' || b.status === 'FATAL' || (state && !CANCEL_TAKEN.has(state)) || errorCode !== undefined) {
      const why = [
        state ? `order ${state}` : `status ${typeof b.status === 'string' && /^[A-Z]{1,10}$/.test(b.status) ? b.status : 'unknown'}`,
        errorCode !== undefined && Number.isInteger(errorCode) ? `error ${errorCode}` : null,
      ];
      throw new VendorError('CANCEL_REJECTED', `${what}: cancel refused by the broker (${why.filter(Boolean).join(', ')})`);
    }
    // an OK reply that does not name the order (or gives it no status): the order may still be working
    throw new VendorError('CANCEL_UNCONFIRMED', `${what}: the reply does not say the order was cancelled; it may still be working: check the Ironbeam account`);
  }

  async fills(orderId: string, call: CallCtx): Promise<BrokerFill[]> {
    const accountId = await this.account(call);
    let id = orderId;
    const strategyId = orderId.startsWith(STRATEGY) ? Number(orderId.slice(STRATEGY.length)) : undefined;
    if (strategyId !== undefined) id = (await this.orderIdOf(accountId, strategyId, call).catch(() => null)) ?? orderId;
    const what = 'Ironbeam order fills';
    const b = await this.authed(call, { method: 'GET', url: joinUrl(this.baseUrl, `/order/${encodeURIComponent(accountId)}/fills`), what });
    if (!isObject(b) || !Array.isArray(b.fills)) throw new VendorError('UPSTREAM_BAD_RESPONSE', `${what}: body is not a fills reply`);
    return (b.fills as unknown[])
      .filter((f): f is Record<string, unknown> => isObject(f) && (f.orderId === id || (strategyId !== undefined && finite(f.strategyId) === strategyId)))
      .map((f) => ({ qty: finite(f.fillQuantity) ?? finite(f.quantity) ?? 0, price: finite(f.fillPrice) ?? finite(f.price) ?? null }))
      .filter((f) => f.qty > 0);
  }
}

export const ironbeam: VendorModule = {
  name: 'ironbeam',
  label: 'Ironbeam',
  kind: 'broker',
  description: 'Ironbeam broker API (token auth: username + API key or password; demo host unless IRONBEAM_ENV=live)',
  // the user name and the key; the password only for enterprise users (optional)
  envVars: ['IRONBEAM_USERNAME', 'IRONBEAM_API_KEY'],
  secretEnvVars: CREDENTIALS,
  credentialPairs: [['IRONBEAM_USERNAME', 'IRONBEAM_PASSWORD']],
  http: { envPrefix: 'IRONBEAM', baseUrl: { demo: 'https://demo.ironbeamapi.com/v2', live: 'https://live.ironbeamapi.com/v2' } },
  fixes: {
    AUTH_REJECTED:
      'Check the Ironbeam credentials are valid for this host (IRONBEAM_USERNAME, IRONBEAM_API_KEY, and IRONBEAM_PASSWORD for enterprise users; IRONBEAM_ENV picks demo or live); a refused login is retried only after the credentials change or an hour has passed',
  },
  produces: ['order_execution'],
  probe: (rc, baseUrl) => sessionProbe(rc, baseUrl, protocol),
  client: { broker: { open: (baseUrl, env) => new IronbeamPaper(protocol, baseUrl, env), symbol: ironbeamSymbol } },
  source: import.meta.url,
};
