/**
 * Per-vendor stand-ins speaking each documented wire format, failure shapes included. Each
 * names the document or official client it follows; the vendor's own documentation is the
 * truth, never this file.
 *  - Databento historical (docs "api-reference-historical"; databento-python
 *    `historical/api/metadata.py`, databento-rs `historical/metadata.rs` and `client.rs`):
 *    basic auth (key as user, empty password); GET /v0/metadata.list_datasets → ["GLBX.MDP3", …];
 *    GET /v0/metadata.get_dataset_range?dataset → {dataset, start, end, schema: {"ohlcv-1m":
 *    {start, end}, …}} within the key's entitlements. Errors `{"detail": "…"}` or `{"detail":
 *    {case, message, status_code, docs, payload}}`; per docs "api-historical/basics/errors": 401 bad
 *    key, 402 account payment information, 403 the key's permissions/licence, 422 unknown dataset.
 *  - Polygon (REST docs; polygon-io/client-python `rest/base.py`, `rest/aggs.py`): Bearer key;
 *    GET /v2/aggs/ticker/{T}/prev → {ticker, status: "OK" | "DELAYED", resultsCount, results:
 *    [{T, o, h, l, c, v, vw, t, n}], request_id}; 401 {status: "ERROR", error: "Unknown API Key"};
 *    403 {status: "NOT_AUTHORIZED", message} when the plan does not cover the data; also
 *    GET /v1/marketstatus/now.
 *  - OpenAI (API reference; openai/openai-node `src/client.ts`, `src/core/error.ts`): Bearer key;
 *    GET /v1/models → {object: "list", data}; errors {error: {message, type, param, code}}: 401
 *    invalid_api_key, 429 rate_limit_exceeded (with retry-after-ms / retry-after) or
 *    insufficient_quota (out of credit); POST /v1/chat/completions → {id, object:
 *    "chat.completion", model, choices: [{index, message, finish_reason}], usage}. An account out
 *    of credit still lists models (the list is free) and answers a billed call 429 insufficient_quota.
 *  - Tradovate (/v1; partner API docs "Access Token Request", "Renew Access Token";
 *    tradovate/example-api-js `tutorial/Access/EX-3-Time-Penalty`): POST /auth/accesstokenrequest
 *    {name, password, appId, appVersion, cid, sec, deviceId} → {accessToken, mdAccessToken,
 *    expirationTime, userStatus, userId, name, hasLive}, or 200 {errorText}, or 200 {"p-ticket",
 *    "p-time", "p-captcha"}: resent with "p-ticket" after p-time it succeeds, before it the
 *    penalty starts over; GET /auth/renewaccesstoken (Bearer) → the same reply with a new token;
 *    GET /auth/me (Bearer) → {userId, name, …}; 429 lockouts (empty body), 423 locked.
 *  - Ironbeam (/v2; the IronbeamAPI 2.1 OpenAPI document as copied in wboayue/ironbeam-rs
 *    `specs/openapi.json`): POST /auth {username, password?, apikey?} (only username required,
 *    no other field allowed) → {token, status: "OK", message}; 400/401 {status: "ERROR", error};
 *    GET /info/trader (Bearer) → {status: "OK", accounts, isLive, traderId}.
 *  - a generic JSON service (risk engine endpoint, custom HTTP probes)
 */
import { randomBytes } from 'node:crypto';
import { bearerOf, jsonBody, Standin, type Recorded, type Reply, type VendorHandler } from './server.js';

const token = (): string => `tok_${randomBytes(18).toString('base64url')}`;

function unauthorized(s: Standin, r: Recorded, body?: unknown): Reply {
  return {
    status: 401,
    body: body ?? s.echoBody(r, 'unauthorized'),
    headers: { 'www-authenticate': 'Bearer', 'x-echo-authorization': String(r.headers.authorization ?? '') },
  };
}

const notFound = (r: Recorded): Reply => ({ status: 404, body: { error: `no route ${r.method} ${r.path}` } });

export interface DatabentoOptions {
  /** datasets the key is licensed for (others: 403) */
  licensed?: string[];
  /** end of the ohlcv-1m schema's range (default: now); the dataset's own end is later */
  schemaEnd?: () => number;
  /** the dataset's end (default: now) */
  datasetEnd?: () => number;
  /** leave ohlcv-1m out of the key's schemas */
  noBarSchema?: boolean;
  /** the account's payment information has a problem: every authenticated call is 402 */
  paymentIssue?: boolean;
}

const nanoIso = (t: number) => new Date(t).toISOString().replace('Z', '000000Z');

export function databento(key: string, opts: DatabentoOptions = {}): Standin {
  const licensed = opts.licensed ?? ['GLBX.MDP3', 'XNAS.ITCH'];
  const h: VendorHandler = {
    basePath: '',
    isLogin: () => false,
    echoed: (r) => {
      const m = /^Basic (.+)$/.exec(String(r.headers.authorization ?? ''));
      return m ? Buffer.from(m[1], 'base64').toString('utf8').replace(/:$/, '') : '';
    },
    handle(r, s) {
      const authed = r.headers.authorization === `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
      if (r.method === 'GET' && r.path === '/v0/metadata.list_datasets') {
        if (!authed) return unauthorized(s, r, { detail: `Authentication failed for key ${h.echoed(r)}` });
        return { status: 200, body: ['GLBX.MDP3', 'XNAS.ITCH', 'OPRA.PILLAR'] };
      }
      if (r.method === 'GET' && r.path === '/v0/metadata.get_dataset_range') {
        if (!authed) return unauthorized(s, r, { detail: `Authentication failed for key ${h.echoed(r)}` });
        const dataset = new URLSearchParams(r.query).get('dataset') ?? '';
        if (opts.paymentIssue) return { status: 402, body: { detail: 'Payment required: update the payment information of this account' } };
        if (!['GLBX.MDP3', 'XNAS.ITCH', 'OPRA.PILLAR', 'DBEQ.BASIC'].includes(dataset)) return { status: 422, body: { detail: `Invalid dataset ${dataset}` } };
        if (!licensed.includes(dataset)) return { status: 403, body: { detail: `No active license for dataset ${dataset} (key ${h.echoed(r)})` } };
        const now = Date.now();
        const schemaEnd = opts.schemaEnd?.() ?? now;
        const schema: Record<string, { start: string; end: string }> = {
          mbo: { start: '2017-05-21T00:00:00.000000000Z', end: nanoIso(opts.datasetEnd?.() ?? now) },
          trades: { start: '2017-05-21T00:00:00.000000000Z', end: nanoIso(opts.datasetEnd?.() ?? now) },
        };
        if (!opts.noBarSchema) schema['ohlcv-1m'] = { start: '2010-06-06T00:00:00.000000000Z', end: nanoIso(schemaEnd) };
        return { status: 200, body: { dataset, start: '2010-06-06T00:00:00.000000000Z', end: nanoIso(opts.datasetEnd?.() ?? now), schema } };
      }
      return notFound(r);
    },
    wrongShape: () => ({ dataset: 'GLBX.MDP3', start: '2010-06-06T00:00:00.000000000Z' }),
  };
  return new Standin(h);
}

export function polygon(key: string): Standin {
  const h: VendorHandler = {
    basePath: '',
    isLogin: () => false,
    echoed: (r) => bearerOf(r) ?? new URLSearchParams(r.query).get('apiKey') ?? '',
    handle(r, s) {
      const prev = /^\/v2\/aggs\/ticker\/([^/]+)\/prev$/.exec(r.path);
      if (r.method !== 'GET' || (r.path !== '/v1/marketstatus/now' && !prev)) return notFound(r);
      if (h.echoed(r) !== key) return unauthorized(s, r, { status: 'ERROR', request_id: 'x', error: `Unknown API Key ${h.echoed(r)}` });
      if (prev) return { status: 200, body: prevBar(decodeURIComponent(prev[1]), 'OK') };
      return {
        status: 200,
        body: { market: 'open', serverTime: new Date().toISOString(), earlyHours: false, afterHours: false, exchanges: { nasdaq: 'open', nyse: 'open' } },
      };
    },
    // an echoed error object or a proxy's JSON: no status, no results
    wrongShape: () => ({ error: 'upstream said no', request_id: 'x' }),
    special(name, r) {
      if (name === 'not_authorized')
        return {
          status: 403,
          body: {
            status: 'NOT_AUTHORIZED',
            request_id: 'x',
            message: 'You are not entitled to this data. Please upgrade your plan at https://polygon.io/pricing',
          },
        };
      if (name === 'delayed') return { status: 200, body: prevBar(/ticker\/([^/]+)/.exec(r.path)?.[1] ?? 'SPY', 'DELAYED') };
      return { status: 500, body: {} };
    },
  };
  return new Standin(h);
}

function prevBar(ticker: string, status: 'OK' | 'DELAYED') {
  const t = Date.UTC(2025, 0, 2, 21);
  return {
    ticker,
    queryCount: 1,
    resultsCount: 1,
    adjusted: true,
    results: [{ T: ticker, v: 70790813, vw: 590.1, o: 589.5, c: 591.2, h: 592.0, l: 588.1, t, n: 612345 }],
    status,
    request_id: 'req-prev',
    count: 1,
  };
}

const OUT_OF_QUOTA = {
  error: {
    message: 'You exceeded your current quota, please check your plan and billing details.',
    type: 'insufficient_quota',
    param: null,
    code: 'insufficient_quota',
  },
};

export interface OpenAIOptions {
  /** the account is out of credit: the free GET /v1/models still answers 200, a billed call 429 insufficient_quota */
  outOfCredit?: boolean;
}

export function openai(key: string, opts: OpenAIOptions = {}): Standin {
  const h: VendorHandler = {
    basePath: '',
    isLogin: () => false,
    echoed: (r) => bearerOf(r) ?? '',
    handle(r, s) {
      const chat = r.method === 'POST' && r.path === '/v1/chat/completions';
      if (!chat && (r.method !== 'GET' || r.path !== '/v1/models')) return notFound(r);
      if (bearerOf(r) !== key)
        return unauthorized(s, r, {
          error: { message: `Incorrect API key provided: ${h.echoed(r)}.`, type: 'invalid_request_error', code: 'invalid_api_key' },
        });
      if (!chat) return { status: 200, body: { object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: 1721172741, owned_by: 'system' }] } };
      if (opts.outOfCredit) return { status: 429, body: OUT_OF_QUOTA };
      const req = JSON.parse(r.body || '{}') as { model?: string };
      return {
        status: 200,
        body: {
          id: 'chatcmpl-standin',
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: req.model ?? 'gpt-4o-mini',
          choices: [{ index: 0, message: { role: 'assistant', content: 'p', refusal: null }, logprobs: null, finish_reason: 'length' }],
          usage: { prompt_tokens: 8, completion_tokens: 1, total_tokens: 9 },
        },
      };
    },
    wrongShape: () => ({ object: 'error', data: null }),
    special(name, r) {
      if (name === 'insufficient_quota') return { status: 429, body: OUT_OF_QUOTA };
      if (name === 'rate_limit')
        return {
          status: 429,
          headers: { 'retry-after-ms': '20000', 'retry-after': '20' },
          body: { error: { message: `Rate limit reached for ${bearerOf(r) ?? ''}`, type: 'requests', param: null, code: 'rate_limit_exceeded' } },
        };
      return { status: 500, body: {} };
    },
  };
  return new Standin(h);
}

export interface TradovateCreds {
  name: string;
  password: string;
  cid: string;
  sec: string;
}

export interface TradovateOptions {
  tokenTtlMs?: number;
  /** what the token reply says of the account */
  hasLive?: boolean;
  /** the next login(s) get a time penalty: resent with its ticket after pTime seconds they succeed */
  penalty?: { pTime: number; captcha?: boolean };
}

/** The Tradovate stand-in, with what it saw: device ids, tickets resent, renewals. */
export interface TradovateStandin extends Standin {
  deviceIds: unknown[];
  ticketsResent: number;
  renewals: number;
  /** the stand-in's penalty state, changeable by a test */
  penalty: TradovateOptions['penalty'];
}

export function tradovate(creds: TradovateCreds, opts: TradovateOptions = {}): TradovateStandin {
  const ttl = opts.tokenTtlMs ?? 80 * 60_000;
  let ticket: { id: string; after: number } | null = null;
  const issue = (s: Standin) => {
    const t = token();
    s.validTokens.add(t);
    return {
      status: 200,
      body: {
        accessToken: t,
        mdAccessToken: token(),
        expirationTime: new Date(Date.now() + ttl).toISOString(),
        userStatus: 'Active',
        userId: 4242,
        name: creds.name,
        hasLive: opts.hasLive ?? false,
      },
    };
  };
  const h: VendorHandler = {
    basePath: '/v1',
    isLogin: (r) => r.method === 'POST' && r.path.toLowerCase() === '/v1/auth/accesstokenrequest',
    echoed: (r) => (h.isLogin(r) ? String(jsonBody(r).password ?? '') : (bearerOf(r) ?? '')),
    handle(r, s) {
      if (h.isLogin(r)) {
        const b = jsonBody(r);
        st.deviceIds.push(b.deviceId);
        const pen = st.penalty;
        if (pen) {
          const resent = typeof b['p-ticket'] === 'string' && ticket !== null && b['p-ticket'] === ticket.id;
          if (resent) st.ticketsResent++;
          // resent after p-time with the ticket: the penalty is over; otherwise it starts over
          if (resent && ticket !== null && Date.now() >= ticket.after && !pen.captcha) {
            st.penalty = undefined;
            ticket = null;
          } else {
            ticket = { id: `ticket-${randomBytes(6).toString('hex')}`, after: Date.now() + pen.pTime * 1000 };
            return { status: 200, body: { 'p-ticket': ticket.id, 'p-time': pen.pTime, ...(pen.captcha ? { 'p-captcha': true } : {}) } };
          }
        }
        const cidOk = String(b.cid) === creds.cid;
        if (b.name !== creds.name || b.password !== creds.password || b.sec !== creds.sec || !cidOk || b.appId !== 'Observatory' || b.appVersion !== '1.0')
          // Tradovate answers bad credentials with HTTP 200 and errorText
          return { status: 200, body: { errorText: `Incorrect username or password for ${String(b.name)} (${String(b.password)})` } };
        return issue(s);
      }
      if (r.method === 'GET' && r.path.toLowerCase() === '/v1/auth/renewaccesstoken') {
        const t = bearerOf(r);
        if (!t || !s.validTokens.has(t)) return unauthorized(s, r);
        st.renewals++;
        return issue(s);
      }
      if (r.method === 'GET' && r.path === '/v1/auth/me') {
        const t = bearerOf(r);
        if (!t || !s.validTokens.has(t)) return unauthorized(s, r);
        return {
          status: 200,
          body: { errorText: '', userId: 4242, name: creds.name, fullName: 'Demo User', email: 'demo@example.invalid', emailVerified: true, isTrial: false },
        };
      }
      return notFound(r);
    },
    wrongShape: (r) => (h.isLogin(r) ? { userStatus: 'Active' } : { hello: 'world' }),
    special(name, r) {
      if (name === 'penalty') return { status: 200, body: { 'p-ticket': `ticket-${String(jsonBody(r).password ?? '')}`, 'p-time': 15, 'p-captcha': false } };
      if (name === 'captcha') return { status: 200, body: { 'p-ticket': 'ticket', 'p-time': 60, 'p-captcha': true } };
      if (name === 'error_text') return { status: 200, body: { errorText: `Access is denied for ${String(jsonBody(r).sec ?? '')}` } };
      // the lockout: an empty body, as Tradovate sends it
      if (name === 'lockout_429') return { status: 429, raw: '' };
      if (name === 'locked_423') return { status: 423, raw: '' };
      return { status: 500, body: {} };
    },
  };
  const st = Object.assign(new Standin(h), { deviceIds: [] as unknown[], ticketsResent: 0, renewals: 0, penalty: opts.penalty });
  return st;
}

export interface IronbeamCreds {
  username: string;
  /** the enterprise user's password (optional) */
  password?: string;
  /** the API key */
  apiKey?: string;
}

const IRONBEAM_AUTH_FIELDS = new Set(['username', 'password', 'apikey']);

export function ironbeam(creds: IronbeamCreds, opts: { isLive?: boolean } = {}): Standin {
  const h: VendorHandler = {
    basePath: '/v2',
    isLogin: (r) => r.method === 'POST' && r.path === '/v2/auth',
    echoed: (r) => (h.isLogin(r) ? String(jsonBody(r).apikey ?? jsonBody(r).password ?? '') : (bearerOf(r) ?? '')),
    handle(r, s) {
      if (h.isLogin(r)) {
        const b = jsonBody(r);
        // the schema: username required, nothing but username/password/apikey allowed
        if (typeof b.username !== 'string' || Object.keys(b).some((k) => !IRONBEAM_AUTH_FIELDS.has(k)))
          return { status: 400, body: { status: 'ERROR', message: 'Bad Request', error: `invalid request ${JSON.stringify(b)}` } };
        const ok =
          b.username === creds.username &&
          (creds.apiKey === undefined || b.apikey === creds.apiKey) &&
          (creds.password === undefined || b.password === creds.password) &&
          (b.apikey !== undefined || b.password !== undefined);
        if (!ok) return unauthorized(s, r, { status: 'ERROR', message: `Unauthorized ${String(b.apikey)}`, error: 'invalid username or password or apikey' });
        const t = token();
        s.validTokens.add(t);
        return { status: 200, body: { token: t, status: 'OK', message: 'OK' } };
      }
      if (r.method === 'GET' && r.path === '/v2/info/trader') {
        const t = bearerOf(r);
        if (!t || !s.validTokens.has(t)) return unauthorized(s, r);
        return { status: 200, body: { status: 'OK', message: 'OK', accounts: ['5123345'], isLive: opts.isLive ?? false, traderId: '5123345' } };
      }
      return notFound(r);
    },
    wrongShape: (r) => (h.isLogin(r) ? { status: 'OK', message: 'OK' } : [1, 2, 3]),
    special(name, r) {
      if (name === 'status_error') return { status: 200, body: { status: 'ERROR', message: `rejected ${String(jsonBody(r).password ?? '')}` } };
      return { status: 500, body: {} };
    },
  };
  return new Standin(h);
}

/** A plain JSON service: GET {path} → `body` (risk engine endpoint, custom HTTP probes). */
export function jsonService(path: string, body: unknown, opts: { requireHeader?: [string, string] } = {}): Standin {
  const h: VendorHandler = {
    basePath: '',
    isLogin: () => false,
    echoed: (r) => String(r.headers.authorization ?? (opts.requireHeader ? (r.headers[opts.requireHeader[0].toLowerCase()] ?? '') : '')),
    handle(r, s) {
      if (r.path !== path || (r.method !== 'GET' && r.method !== 'HEAD')) return notFound(r);
      if (opts.requireHeader && r.headers[opts.requireHeader[0].toLowerCase()] !== opts.requireHeader[1]) return unauthorized(s, r);
      return { status: 200, body };
    },
    wrongShape: () => 'not what you asked for',
  };
  return new Standin(h);
}
