/**
 * Ironbeam API v2 (base URL includes the version: https://demo.ironbeamapi.com/v2, or
 * https://live.ironbeamapi.com/v2 with IRONBEAM_ENV=live; IRONBEAM_BASE_URL overrides).
 *
 * Login: `POST /auth` {username, password, apiKey} → {token, status: "OK"}; the token is then
 * sent as `Authorization: Bearer`. The reply carries no expiry, so it is cached for
 * IRONBEAM_DEFAULT_TTL_MS; a 401 drops it and logs in once more, so a shorter real lifetime
 * heals itself. Sessions: ./session.ts.
 * Probe: the token proven by `GET /info/trader` (documented: trader id + accounts).
 * Paper orders (runner): `GET /account/getAllAccounts` → {accounts: [id]}; `POST
 * /order/{accountId}/place` {accountId, exchSym, side: BUY|SELL, quantity, orderType: "1"
 * (market), duration: "0" (day), waitForOrderId: true} → {orderId, status}; `GET
 * /order/{accountId}/fills` → {fills: [{orderId, fillQuantity, fillPrice}]}.
 */
import { envValue } from './env.js';
import { finite, isObject, joinUrl, VendorError } from './http.js';
import type { BrokerFill, CallCtx, PaperOrder, VendorModule } from './module.js';
import { PaperSession, sessionProbe, type BrokerProtocol } from './session.js';

const ENV = ['IRONBEAM_USERNAME', 'IRONBEAM_PASSWORD', 'IRONBEAM_API_KEY'] as const;
/** assumed token lifetime (no expiry in the auth reply) */
export const IRONBEAM_DEFAULT_TTL_MS = 2 * 60 * 60_000;

const protocol: BrokerProtocol = {
  integration: 'ironbeam',
  credentialEnv: ENV,
  defaultTtlMs: IRONBEAM_DEFAULT_TTL_MS,
  login: {
    request: (baseUrl, env) => ({
      method: 'POST',
      url: joinUrl(baseUrl, '/auth'),
      json: () => ({
        username: envValue(env, 'IRONBEAM_USERNAME'),
        password: envValue(env, 'IRONBEAM_PASSWORD'),
        apiKey: envValue(env, 'IRONBEAM_API_KEY'),
      }),
    }),
    what: 'Ironbeam auth',
    expected: 'a token reply',
    read: (b, host) => {
      if (b.status === 'ERROR') return { outcome: 'AUTH_REJECTED', message: `login rejected by ${host} (status ERROR)` };
      return typeof b.token === 'string' && b.token !== '' ? { token: b.token } : null;
    },
  },
  check: {
    path: '/info/trader',
    expected: 'a trader info object',
    read: (b) => (isObject(b) && b.status !== 'ERROR' && (b.status === 'OK' || 'traderId' in b || 'accounts' in b) ? 'OK' : 'BAD'),
  },
};

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

  async placeOrder(order: PaperOrder, call: CallCtx): Promise<{ orderId: string }> {
    const accountId = await this.account(call);
    const what = 'Ironbeam order place';
    const b = await this.authed(call, {
      method: 'POST',
      url: joinUrl(this.baseUrl, `/order/${encodeURIComponent(accountId)}/place`),
      json: () => ({
        accountId,
        exchSym: order.symbol,
        side: order.side === 'buy' ? 'BUY' : 'SELL',
        quantity: order.qty,
        orderType: '1',
        duration: '0',
        waitForOrderId: true,
      }),
      what,
    });
    if (!isObject(b)) throw new VendorError('UPSTREAM_BAD_RESPONSE', `${what}: body is not an order reply`);
    if (b.status === 'ERROR' || b.status === 'REJECTED') throw new VendorError('ORDER_REJECTED', `${what}: order rejected by the broker`);
    if (typeof b.orderId !== 'string' || b.orderId === '') throw new VendorError('UPSTREAM_BAD_RESPONSE', `${what}: body has no orderId`);
    return { orderId: b.orderId };
  }

  async fills(orderId: string, call: CallCtx): Promise<BrokerFill[]> {
    const accountId = await this.account(call);
    const what = 'Ironbeam order fills';
    const b = await this.authed(call, { method: 'GET', url: joinUrl(this.baseUrl, `/order/${encodeURIComponent(accountId)}/fills`), what });
    if (!isObject(b) || (b.fills !== undefined && !Array.isArray(b.fills)))
      throw new VendorError('UPSTREAM_BAD_RESPONSE', `${what}: body is not a fills reply`);
    return ((b.fills as unknown[] | undefined) ?? [])
      .filter((f): f is Record<string, unknown> => isObject(f) && f.orderId === orderId)
      .map((f) => ({ qty: finite(f.fillQuantity) ?? finite(f.quantity) ?? 0, price: finite(f.fillPrice) ?? finite(f.price) ?? null }))
      .filter((f) => f.qty > 0);
  }
}

export const ironbeam: VendorModule = {
  name: 'ironbeam',
  label: 'Ironbeam',
  kind: 'broker',
  description: 'Ironbeam broker API (token auth; demo host unless IRONBEAM_ENV=live)',
  envVars: ENV,
  credentialPairs: [['IRONBEAM_USERNAME', 'IRONBEAM_PASSWORD']],
  http: { envPrefix: 'IRONBEAM', baseUrl: { demo: 'https://demo.ironbeamapi.com/v2', live: 'https://live.ironbeamapi.com/v2' } },
  fixes: {
    AUTH_REJECTED:
      'Check the Ironbeam credentials are valid for this host (IRONBEAM_USERNAME, IRONBEAM_PASSWORD, IRONBEAM_API_KEY; IRONBEAM_ENV picks demo or live)',
  },
  produces: ['order_execution'],
  probe: (rc, baseUrl) => sessionProbe(rc, baseUrl, protocol),
  client: { broker: { open: (baseUrl, env) => new IronbeamPaper(protocol, baseUrl, env) } },
  source: import.meta.url,
};
