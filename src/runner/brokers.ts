/**
 * Paper orders at a broker's DEMO host, through each broker's documented REST API. Paper
 * mode refuses a live host outright (TRADOVATE_ENV / IRONBEAM_ENV = live, or a host named
 * live.*): paper trading must never reach a live account.
 *
 *  - Tradovate (/v1): POST /auth/accesstokenrequest {name, password, appId, appVersion, cid, sec}
 *    → {accessToken} (or 200 {errorText} / {"p-ticket"}); GET /account/list → [{id, name}];
 *    POST /order/placeorder {accountSpec, accountId, action: Buy|Sell, symbol, orderQty,
 *    orderType: Market, isAutomated: true} → {orderId} or {failureReason, failureText};
 *    GET /fill/deps?masterid={orderId} → [{orderId, action, qty, price}].
 *  - Ironbeam (/v2): POST /auth {username, password, apiKey} → {token, status}; GET
 *    /account/getAllAccounts → {accounts: [id]}; POST /order/{accountId}/place {accountId,
 *    exchSym, side: BUY|SELL, quantity, orderType: "1" (market), duration: "0" (day),
 *    waitForOrderId: true} → {orderId, status}; GET /order/{accountId}/fills → {fills: [{orderId,
 *    fillQuantity, fillPrice}]}.
 *
 * Tokens and account ids live in this object for the run only, never in an event or a line.
 * A fill is reported only when the broker lists one for the order: nothing is ever inferred.
 */
import { envValue } from '../core/vendors/probes/http.js';
import { TRADOVATE_APP_ID, TRADOVATE_APP_VERSION } from '../core/vendors/probes/index.js';
import type { Side } from './features.js';
import { badShape, finite, isObject, joinUrl, parseJson, vendorRequest, VendorError, type VendorCall } from './http.js';

export type BrokerName = 'tradovate' | 'ironbeam';

export interface CallCtx {
  traceId: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface PaperOrder {
  symbol: string;
  side: Side;
  qty: number;
}

export interface BrokerFill {
  qty: number;
  price: number | null;
}

export interface BrokerClient {
  readonly name: BrokerName;
  placeOrder(order: PaperOrder, call: CallCtx): Promise<{ orderId: string }>;
  /** fills the broker reports for the order (possibly none yet) */
  fills(orderId: string, call: CallCtx): Promise<BrokerFill[]>;
}

const ENV_SWITCH: Record<BrokerName, string> = { tradovate: 'TRADOVATE_ENV', ironbeam: 'IRONBEAM_ENV' };

/** Null when the base URL is a demo (or local) host; otherwise why paper mode must not use it. */
export function liveHostReason(name: BrokerName, baseUrl: string, env: NodeJS.ProcessEnv): string | null {
  if (env[ENV_SWITCH[name]]?.trim().toLowerCase() === 'live') return `${ENV_SWITCH[name]}=live selects the live host`;
  let host = '';
  try {
    host = new URL(baseUrl).hostname.toLowerCase();
  } catch {
    return 'the base URL is not a URL';
  }
  if (host.startsWith('live.') || host.includes('.live.')) return `${host} is a live host`;
  return null;
}

type Req = Omit<VendorCall, 'traceId' | 'timeoutMs' | 'signal'>;

abstract class Session implements BrokerClient {
  abstract readonly name: BrokerName;
  protected token: string | null = null;
  constructor(
    protected readonly baseUrl: string,
    protected readonly env: NodeJS.ProcessEnv,
  ) {}

  protected abstract login(call: CallCtx): Promise<string>;
  abstract placeOrder(order: PaperOrder, call: CallCtx): Promise<{ orderId: string }>;
  abstract fills(orderId: string, call: CallCtx): Promise<BrokerFill[]>;

  /** An authenticated call; a 401 drops the token and logs in once more. */
  protected async authed(call: CallCtx, req: Req): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      if (!this.token) this.token = await this.login(call);
      const token = this.token;
      try {
        const reply = await vendorRequest({ ...req, auth: () => ({ authorization: `Bearer ${token}` }), ...call });
        return parseJson(reply, req.what);
      } catch (err) {
        if (attempt === 0 && err instanceof VendorError && err.status === 401) {
          this.token = null;
          continue;
        }
        throw err;
      }
    }
  }
}

const ACTION: Record<Side, string> = { buy: 'Buy', sell: 'Sell' };

export class TradovatePaper extends Session {
  readonly name = 'tradovate' as const;
  private account: { id: number; spec: string } | null = null;

  protected async login(call: CallCtx): Promise<string> {
    const what = 'Tradovate access token';
    const reply = await vendorRequest({
      method: 'POST',
      url: joinUrl(this.baseUrl, '/auth/accesstokenrequest'),
      json: () => {
        const cid = envValue(this.env, 'TRADOVATE_CID') ?? '';
        return {
          name: envValue(this.env, 'TRADOVATE_USERNAME'),
          password: envValue(this.env, 'TRADOVATE_PASSWORD'),
          appId: TRADOVATE_APP_ID,
          appVersion: TRADOVATE_APP_VERSION,
          cid: /^\d{1,15}$/.test(cid.trim()) ? Number(cid.trim()) : cid,
          sec: envValue(this.env, 'TRADOVATE_SECRET'),
        };
      },
      what,
      ...call,
    });
    const b = parseJson(reply, what);
    if (!isObject(b)) throw badShape(reply, what, 'an access token reply');
    if (b['p-ticket'] !== undefined) throw new VendorError('RATE_LIMITED', `${what}: login time penalty from ${reply.host}`, reply.status);
    if (typeof b.errorText === 'string' && b.errorText !== '') throw new VendorError('AUTH_REJECTED', `${what}: login rejected by ${reply.host} (errorText set)`, reply.status);
    if (typeof b.accessToken !== 'string' || b.accessToken === '') throw badShape(reply, what, 'an access token reply');
    return b.accessToken;
  }

  private async accountOf(call: CallCtx): Promise<{ id: number; spec: string }> {
    if (this.account) return this.account;
    const what = 'Tradovate account list';
    const list = await this.authed(call, { method: 'GET', url: joinUrl(this.baseUrl, '/account/list'), what });
    if (!Array.isArray(list)) throw new VendorError('UPSTREAM_BAD_RESPONSE', `${what}: body is not a list of accounts`);
    const acct = list.find((a) => isObject(a) && typeof a.id === 'number' && typeof a.name === 'string' && a.active !== false) as
      | { id: number; name: string }
      | undefined;
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
      json: () => ({ accountSpec: acct.spec, accountId: acct.id, action: ACTION[order.side], symbol: order.symbol, orderQty: order.qty, orderType: 'Market', isAutomated: true }),
      what,
    });
    if (!isObject(b)) throw new VendorError('UPSTREAM_BAD_RESPONSE', `${what}: body is not an order reply`);
    if (typeof b.orderId === 'number' || (typeof b.orderId === 'string' && b.orderId !== '')) return { orderId: String(b.orderId) };
    const reason = typeof b.failureReason === 'string' && /^[A-Za-z]{1,40}$/.test(b.failureReason) ? ` (${b.failureReason})` : '';
    throw new VendorError('ORDER_REJECTED', `${what}: order rejected by the broker${reason}`);
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

export class IronbeamPaper extends Session {
  readonly name = 'ironbeam' as const;
  private accountId: string | null = null;

  protected async login(call: CallCtx): Promise<string> {
    const what = 'Ironbeam auth';
    const reply = await vendorRequest({
      method: 'POST',
      url: joinUrl(this.baseUrl, '/auth'),
      json: () => ({
        username: envValue(this.env, 'IRONBEAM_USERNAME'),
        password: envValue(this.env, 'IRONBEAM_PASSWORD'),
        apiKey: envValue(this.env, 'IRONBEAM_API_KEY'),
      }),
      what,
      ...call,
    });
    const b = parseJson(reply, what);
    if (!isObject(b)) throw badShape(reply, what, 'a token reply');
    if (b.status === 'ERROR') throw new VendorError('AUTH_REJECTED', `${what}: login rejected by ${reply.host} (status ERROR)`, reply.status);
    if (typeof b.token !== 'string' || b.token === '') throw badShape(reply, what, 'a token reply');
    return b.token;
  }

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
      json: () => ({ accountId, exchSym: order.symbol, side: order.side === 'buy' ? 'BUY' : 'SELL', quantity: order.qty, orderType: '1', duration: '0', waitForOrderId: true }),
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
    if (!isObject(b) || (b.fills !== undefined && !Array.isArray(b.fills))) throw new VendorError('UPSTREAM_BAD_RESPONSE', `${what}: body is not a fills reply`);
    return ((b.fills as unknown[] | undefined) ?? [])
      .filter((f): f is Record<string, unknown> => isObject(f) && f.orderId === orderId)
      .map((f) => ({ qty: finite(f.fillQuantity) ?? finite(f.quantity) ?? 0, price: finite(f.fillPrice) ?? finite(f.price) ?? null }))
      .filter((f) => f.qty > 0);
  }
}

export function paperBroker(name: BrokerName, baseUrl: string, env: NodeJS.ProcessEnv): BrokerClient {
  return name === 'tradovate' ? new TradovatePaper(baseUrl, env) : new IronbeamPaper(baseUrl, env);
}
