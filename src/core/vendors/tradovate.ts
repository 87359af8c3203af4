/**
 * Tradovate (base URL includes the version: https://demo.tradovateapi.com/v1, or
 * https://live.tradovateapi.com/v1 with TRADOVATE_ENV=live; TRADOVATE_BASE_URL overrides).
 *
 * Login: `POST /auth/accesstokenrequest` {name, password, appId, appVersion, cid, sec} →
 * {accessToken, expirationTime, …}; a 200 can also carry {errorText} (rejected) or a time
 * penalty {"p-ticket", "p-time", "p-captcha"} (rate limited). Sessions: ./session.ts.
 * Probe: the token, cached until shortly before expirationTime, proven by `GET /auth/me`.
 * Paper orders (runner): `GET /account/list` → [{id, name}]; `POST /order/placeorder`
 * {accountSpec, accountId, action: Buy|Sell, symbol, orderQty, orderType: Market,
 * isAutomated: true} → {orderId} or {failureReason, failureText}; `GET /fill/deps?masterid=`
 * → [{orderId, action, qty, price}]; `POST /order/cancelorder` {orderId, isAutomated: true} →
 * {commandId} or {failureReason, failureText} (the kill switch cancels working orders with it).
 */
import { envValue } from './env.js';
import { finite, isObject, joinUrl, VendorError } from './http.js';
import type { BrokerFill, CallCtx, PaperOrder, VendorModule } from './module.js';
import { PaperSession, sessionProbe, type BrokerProtocol } from './session.js';

const ENV = ['TRADOVATE_USERNAME', 'TRADOVATE_PASSWORD', 'TRADOVATE_CID', 'TRADOVATE_SECRET'] as const;
export const TRADOVATE_APP_ID = 'Observatory';
export const TRADOVATE_APP_VERSION = '1.0';
/** used only when a login reply has no parseable expirationTime (the documented lifetime is 80–90 min) */
export const TRADOVATE_DEFAULT_TTL_MS = 60 * 60_000;

const protocol: BrokerProtocol = {
  integration: 'tradovate',
  credentialEnv: ENV,
  defaultTtlMs: TRADOVATE_DEFAULT_TTL_MS,
  login: {
    request: (baseUrl, env) => ({
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
        };
      },
    }),
    what: 'Tradovate access token',
    expected: 'an access token reply',
    read: (b, host) => {
      if (b['p-ticket'] !== undefined) {
        const wait = typeof b['p-time'] === 'number' && Number.isFinite(b['p-time']) ? `; retry after ${Math.round(b['p-time'])} s` : '';
        const captcha = b['p-captcha'] === true ? '; captcha required (log in once in the Tradovate app)' : '';
        return { outcome: 'RATE_LIMITED', message: `login time penalty from ${host}${wait}${captcha}` };
      }
      if (typeof b.errorText === 'string' && b.errorText !== '') return { outcome: 'AUTH_REJECTED', message: `login rejected by ${host} (errorText set)` };
      if (typeof b.accessToken !== 'string' || b.accessToken === '') return null;
      const exp = typeof b.expirationTime === 'string' ? Date.parse(b.expirationTime) : NaN;
      return { token: b.accessToken, expiresAt: Number.isNaN(exp) ? undefined : exp };
    },
  },
  check: {
    path: '/auth/me',
    expected: 'a user object',
    read: (b) => {
      if (!isObject(b)) return 'BAD';
      if (typeof b.errorText === 'string' && b.errorText !== '') return 'REAUTH';
      return typeof b.userId === 'number' || typeof b.name === 'string' ? 'OK' : 'BAD';
    },
  },
};

const ACTION = { buy: 'Buy', sell: 'Sell' } as const;

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
    const acct = await this.accountOf(call);
    const what = 'Tradovate placeorder';
    const b = await this.authed(call, {
      method: 'POST',
      url: joinUrl(this.baseUrl, '/order/placeorder'),
      json: () => ({
        accountSpec: acct.spec,
        accountId: acct.id,
        action: ACTION[order.side],
        symbol: order.symbol,
        orderQty: order.qty,
        orderType: 'Market',
        isAutomated: true,
      }),
      what,
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
      'Check the Tradovate credentials and API key are valid for this host (TRADOVATE_USERNAME, TRADOVATE_PASSWORD, TRADOVATE_CID, TRADOVATE_SECRET; TRADOVATE_ENV picks demo or live)',
  },
  produces: ['order_execution'],
  probe: (rc, baseUrl) => sessionProbe(rc, baseUrl, protocol),
  client: { broker: { open: (baseUrl, env) => new TradovatePaper(protocol, baseUrl, env) } },
  source: import.meta.url,
};
