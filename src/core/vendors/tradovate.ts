/**
 * Tradovate (base URL includes the version: https://demo.tradovateapi.com/v1, or
 * https://live.tradovateapi.com/v1 with TRADOVATE_ENV=live; TRADOVATE_BASE_URL overrides).
 *
 * Login: `POST /auth/accesstokenrequest` {name, password, appId, appVersion, cid, sec, deviceId}
 * → {accessToken, expirationTime, userId, name, hasLive, …}; a 200 can also carry {errorText}
 * (rejected) or a time penalty {"p-ticket", "p-time" (seconds), "p-captcha"}: the request is
 * resent with "p-ticket" only after p-time; with p-captcha only a person can log in (~1 h).
 * Any reply may carry the penalty, not only the login: every reply is checked.
 * 429 starts a rolling lockout that each further request extends, 423 warns of one (counted per
 * client network, so a probing daemon could lock the production bot out): both pause every call
 * to the host for at least LOCKOUT_PAUSE_MS (VENDOR_PENALTY).
 * Tokens live ~90 min; `GET /auth/renewaccesstoken` (bearer) extends the session without a new
 * login (a new login starts a session, and the oldest of more than two is ended), so the probe
 * renews RENEW_WINDOW_MS before expiry. deviceId: stable per machine and account.
 * Sessions: ./session.ts.
 * Probe: the token, proven by `GET /auth/me` on every round; `hasLive` is the account's word.
 * Paper orders (runner): `GET /account/list` → [{id, name}]; `POST /order/placeorder`
 * {accountSpec, accountId, action: Buy|Sell, symbol, orderQty, orderType: Market,
 * isAutomated: true} → {orderId} or {failureReason, failureText}; `GET /fill/deps?masterid=`
 * → [{orderId, action, qty, price}]; `POST /order/cancelorder` {orderId, isAutomated: true} →
 * {commandId} or {failureReason, failureText} (the kill switch cancels working orders with it).
 */
import { envValue } from './env.js';
import { finite, isObject, joinUrl, VendorError, type Refiner } from './http.js';
import type { BrokerFill, CallCtx, PaperOrder, VendorModule } from './module.js';
import { PaperSession, sessionProbe, stableDeviceId, type BrokerProtocol, type Refusal } from './session.js';

const ENV = ['TRADOVATE_USERNAME', 'TRADOVATE_PASSWORD', 'TRADOVATE_CID', 'TRADOVATE_SECRET'] as const;
export const TRADOVATE_APP_ID = 'Observatory';
export const TRADOVATE_APP_VERSION = '1.0';
/** used only when a login reply has no parseable expirationTime (the documented lifetime is 80–90 min) */
export const TRADOVATE_DEFAULT_TTL_MS = 60 * 60_000;
/** renew this long before the token's expiry (the vendor's advice) */
export const TRADOVATE_RENEW_WINDOW_MS = 15 * 60_000;
/** captcha, 429 or 423: no call to the host for at least this long */
export const TRADOVATE_LOCKOUT_PAUSE_MS = 60 * 60_000;

/** the device id Tradovate sees: stable for this machine and account (never random per run) */
export const tradovateDeviceId = (env: NodeJS.ProcessEnv) => stableDeviceId('tradovate', [envValue(env, 'TRADOVATE_USERNAME'), envValue(env, 'TRADOVATE_CID')]);

/** A penalty in any 2xx body: a ticket to resend after p-time, or a captcha only a person can solve. */
export function tradovatePenalty(b: unknown, host: string): Refusal | null {
  if (!isObject(b) || b['p-ticket'] === undefined || b['p-ticket'] === null) return null;
  const pTime = finite(b['p-time']);
  const seconds = pTime !== undefined && pTime > 0 ? Math.ceil(pTime) : 0;
  if (b['p-captcha'] === true)
    return {
      outcome: 'VENDOR_PENALTY',
      message: `${host} asks for a captcha: only a person can log in now (log in once in the Tradovate app); calls paused`,
      retryAfterMs: Math.max(TRADOVATE_LOCKOUT_PAUSE_MS, seconds * 1000),
    };
  return {
    outcome: 'RATE_LIMITED',
    message: `time penalty from ${host}: resending with its ticket after ${seconds} s`,
    retryAfterMs: Math.max(1000, seconds * 1000),
    ticket: String(b['p-ticket']),
  };
}

/** 429 (lockout, extended by every further request) and 423 (locked): pause the host. */
export const tradovateRefine: Refiner = (status, _body, host) =>
  status === 429 || status === 423
    ? {
        outcome: 'VENDOR_PENALTY',
        message: `HTTP ${status} from ${host}: a lockout that every further request extends; calls paused for at least ${TRADOVATE_LOCKOUT_PAUSE_MS / 60_000} min`,
        holdMs: TRADOVATE_LOCKOUT_PAUSE_MS,
      }
    : null;

const protocol: BrokerProtocol = {
  integration: 'tradovate',
  credentialEnv: ENV,
  defaultTtlMs: TRADOVATE_DEFAULT_TTL_MS,
  login: {
    request: (baseUrl, env, ticket) => ({
      method: 'POST',
      url: joinUrl(baseUrl, '/auth/accesstokenrequest'),
      json: () => {
        const cid = envValue(env, 'TRADOVATE_CID') ?? '';
        return {
          name: envValue(env, 'TRADOVATE_USERNAME'),
          password: envValue(env, 'TRADOVATE_PASSWORD'),
          appId: TRADOVATE_APP_ID,
          appVersion: TRADOVATE_APP_VERSION,
          cid: /^\d{1,15}$/.test(cid.trim()) ? Number(cid.trim()) : cid,
          sec: envValue(env, 'TRADOVATE_SECRET'),
          deviceId: tradovateDeviceId(env),
          ...(ticket !== undefined ? { 'p-ticket': ticket } : {}),
        };
      },
    }),
    what: 'Tradovate access token',
    expected: 'an access token reply',
    read: (b, host) => {
      if (typeof b.errorText === 'string' && b.errorText !== '') return { outcome: 'AUTH_REJECTED', message: `login rejected by ${host} (errorText set)` };
      if (typeof b.accessToken !== 'string' || b.accessToken === '') return null;
      const exp = typeof b.expirationTime === 'string' ? Date.parse(b.expirationTime) : NaN;
      return {
        token: b.accessToken,
        expiresAt: Number.isNaN(exp) ? undefined : exp,
        ...(typeof b.hasLive === 'boolean' ? { accountLive: b.hasLive } : {}),
      };
    },
  },
  renew: { path: '/auth/renewaccesstoken', windowMs: TRADOVATE_RENEW_WINDOW_MS },
  check: {
    path: '/auth/me',
    expected: 'a user object',
    read: (b) => {
      if (!isObject(b)) return 'BAD';
      if (typeof b.errorText === 'string' && b.errorText !== '') return 'REAUTH';
      return typeof b.userId === 'number' || typeof b.name === 'string' ? {} : 'BAD';
    },
  },
  refine: tradovateRefine,
  penalty: tradovatePenalty,
};

const ACTION = { buy: 'Buy', sell: 'Sell' } as const;

/**
 * A futures contract as Tradovate names it: root, month code, one-digit year ("ESZ5", "MNQH6").
 * Accepts that form, a two-digit year ("ESZ25") or Ironbeam's exchange form ("XCME:ES.Z25");
 * null for anything else (an equity such as SPY, a continuous ES.c.0, a parent ES.FUT).
 */
export function tradovateSymbol(symbol: string): string | null {
  const s = symbol.trim().toUpperCase();
  const m = /^(?:[A-Z]{1,10}:)?([A-Z0-9]{1,5}?)\.?([FGHJKMNQUVXZ])(\d{1,2})$/.exec(s);
  if (!m || !/[A-Z]/.test(m[1])) return null;
  return `${m[1]}${m[2]}${m[3].slice(-1)}`;
}

class TradovatePaper extends PaperSession {
  private account: { id: number; spec: string } | null = null;

  private async accountOf(call: CallCtx): Promise<{ id: number; spec: string }> {
    if (this.account) return this.account;
    const what = 'Tradovate account list';
    const list = await this.authed(call, { method: 'GET', url: joinUrl(this.baseUrl, '/account/list'), what });
    if (!Array.isArray(list)) throw new VendorError('UPSTREAM_BAD_RESPONSE', `${what}: body is not a list of accounts`);
    const acct = list.find((a) => isObject(a) && typeof a.id === 'number' && typeof a.name === 'string' && a.active !== false) as
      { id: number; name: string } | undefined;
    if (!acct) throw new VendorError('BROKER_NO_ACCOUNT', `${what}: no active account for these credentials`);
    this.account = { id: acct.id, spec: acct.name };
    return this.account;
  }

  async placeOrder(order: PaperOrder, call: CallCtx): Promise<{ orderId: string }> {
    const what = 'Tradovate placeorder';
    const symbol = tradovateSymbol(order.symbol);
    if (!symbol)
      throw new VendorError(
        'SYMBOL_UNSUPPORTED',
        `${what}: ${/^[A-Za-z0-9._: -]{1,40}$/.test(order.symbol) ? order.symbol : 'the symbol'} is not a futures contract Tradovate names (e.g. ESZ5); name the contract with --broker-symbol`,
      );
    const acct = await this.accountOf(call);
    const b = await this.authed(call, {
      method: 'POST',
      url: joinUrl(this.baseUrl, '/order/placeorder'),
      json: () => ({
        accountSpec: acct.spec,
        accountId: acct.id,
        action: ACTION[order.side],
        symbol,
        orderQty: order.qty,
        orderType: 'Market',
        isAutomated: true,
      }),
      what,
    }).catch((err: unknown) => {
      // the request may have reached the broker: never report it as a plain failure
      if (err instanceof VendorError && err.code === 'UPSTREAM_TIMEOUT')
        throw new VendorError(
          'ORDER_STATE_UNKNOWN',
          `${what}: no reply in time; the order may be live at the broker: check the Tradovate account before trading again`,
        );
      throw err;
    });
    if (!isObject(b)) throw new VendorError('UPSTREAM_BAD_RESPONSE', `${what}: body is not an order reply`);
    if (typeof b.orderId === 'number' || (typeof b.orderId === 'string' && b.orderId !== '')) return { orderId: String(b.orderId) };
    const reason = typeof b.failureReason === 'string' && /^[A-Za-z]{1,40}$/.test(b.failureReason) ? ` (${b.failureReason})` : '';
    throw new VendorError('ORDER_REJECTED', `${what}: order rejected by the broker${reason}`);
  }

  async cancelOrder(orderId: string, call: CallCtx): Promise<void> {
    const what = 'Tradovate cancelorder';
    const b = await this.authed(call, {
      method: 'POST',
      url: joinUrl(this.baseUrl, '/order/cancelorder'),
      json: () => ({ orderId: /^\d{1,15}$/.test(orderId) ? Number(orderId) : orderId, isAutomated: true }),
      what,
    });
    if (!isObject(b)) throw new VendorError('UPSTREAM_BAD_RESPONSE', `${what}: body is not a command reply`);
    if (typeof b.commandId === 'number' || typeof b.commandId === 'string') return;
    const reason = typeof b.failureReason === 'string' && /^[A-Za-z]{1,40}$/.test(b.failureReason) ? ` (${b.failureReason})` : '';
    throw new VendorError('CANCEL_REJECTED', `${what}: cancel refused by the broker${reason}`);
  }

  async fills(orderId: string, call: CallCtx): Promise<BrokerFill[]> {
    const what = 'Tradovate fill/deps';
    const url = joinUrl(this.baseUrl, '/fill/deps');
    url.searchParams.set('masterid', orderId);
    const list = await this.authed(call, { method: 'GET', url, what });
    if (!Array.isArray(list)) throw new VendorError('UPSTREAM_BAD_RESPONSE', `${what}: body is not a list of fills`);
    return list
      .filter((f): f is Record<string, unknown> => isObject(f) && String(f.orderId) === orderId && f.active !== false)
      .map((f) => ({ qty: finite(f.qty) ?? 0, price: finite(f.price) ?? null }))
      .filter((f) => f.qty > 0);
  }
}

export const tradovate: VendorModule = {
  name: 'tradovate',
  label: 'Tradovate',
  kind: 'broker',
  description: 'Tradovate broker API (access-token auth; demo host unless TRADOVATE_ENV=live)',
  envVars: ENV,
  credentialPairs: [['TRADOVATE_USERNAME', 'TRADOVATE_PASSWORD']],
  http: { envPrefix: 'TRADOVATE', baseUrl: { demo: 'https://demo.tradovateapi.com/v1', live: 'https://live.tradovateapi.com/v1' } },
  fixes: {
    AUTH_REJECTED:
      'Check the Tradovate credentials and API key are valid for this host (TRADOVATE_USERNAME, TRADOVATE_PASSWORD, TRADOVATE_CID, TRADOVATE_SECRET; TRADOVATE_ENV picks demo or live); a refused login is retried only after the credentials change or an hour has passed',
    VENDOR_PENALTY:
      'Tradovate paused this network (captcha or lockout): wait until the time shown, log in once by hand in the Tradovate app if it asked for a captcha, and stop any other process retrying logins from this network',
    RATE_LIMITED: 'Tradovate sent a time penalty: the next attempt waits the time it asked for; reduce login attempts from this network',
  },
  produces: ['order_execution'],
  probe: (rc, baseUrl) => sessionProbe(rc, baseUrl, protocol),
  client: { broker: { open: (baseUrl, env) => new TradovatePaper(protocol, baseUrl, env), symbol: (s) => tradovateSymbol(s) } },
  source: import.meta.url,
};
