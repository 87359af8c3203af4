/**
 * Per-vendor stand-ins speaking each documented wire format:
 *  - Databento historical: GET /v0/metadata.list_datasets, basic auth (key as user, empty password) → ["GLBX.MDP3", …]
 *  - Polygon: GET /v1/marketstatus/now, Bearer key (or apiKey query) → {market, serverTime, exchanges, …}
 *  - OpenAI: GET /v1/models, Bearer key → {object: "list", data: [{id, object: "model", …}]}
 *  - Tradovate (/v1): POST /auth/accesstokenrequest {name, password, appId, appVersion, cid, sec}
 *    → {accessToken, expirationTime, …} or 200 {errorText}; GET /auth/me (Bearer token) → {userId, name, …}
 *  - Ironbeam (/v2): POST /auth {username, password, apiKey} → {token, status: "OK"};
 *    GET /info/trader (Bearer token) → {status: "OK", accounts, isLive, traderId}
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

export function databento(key: string): Standin {
  const h: VendorHandler = {
    basePath: '',
    isLogin: () => false,
    echoed: (r) => {
      const m = /^Basic (.+)$/.exec(String(r.headers.authorization ?? ''));
      return m ? Buffer.from(m[1], 'base64').toString('utf8').replace(/:$/, '') : '';
    },
    handle(r, s) {
      if (r.method !== 'GET' || r.path !== '/v0/metadata.list_datasets') return notFound(r);
      if (r.headers.authorization !== `Basic ${Buffer.from(`${key}:`).toString('base64')}`)
        return unauthorized(s, r, { detail: `Authentication failed for key ${h.echoed(r)}` });
      return { status: 200, body: ['GLBX.MDP3', 'XNAS.ITCH', 'OPRA.PILLAR'] };
    },
    wrongShape: () => ({ datasets: ['GLBX.MDP3'] }),
  };
  return new Standin(h);
}

export function polygon(key: string): Standin {
  const h: VendorHandler = {
    basePath: '',
    isLogin: () => false,
    echoed: (r) => bearerOf(r) ?? new URLSearchParams(r.query).get('apiKey') ?? '',
    handle(r, s) {
      if (r.method !== 'GET' || r.path !== '/v1/marketstatus/now') return notFound(r);
      if (h.echoed(r) !== key) return unauthorized(s, r, { status: 'ERROR', request_id: 'x', error: `Unknown API Key ${h.echoed(r)}` });
      return {
        status: 200,
        body: { market: 'open', serverTime: new Date().toISOString(), earlyHours: false, afterHours: false, exchanges: { nasdaq: 'open', nyse: 'open' } },
      };
    },
    wrongShape: () => ({ status: 'OK', results: [] }),
  };
  return new Standin(h);
}

export function openai(key: string): Standin {
  const h: VendorHandler = {
    basePath: '',
    isLogin: () => false,
    echoed: (r) => bearerOf(r) ?? '',
    handle(r, s) {
      if (r.method !== 'GET' || r.path !== '/v1/models') return notFound(r);
      if (bearerOf(r) !== key)
        return unauthorized(s, r, {
          error: { message: `Incorrect API key provided: ${h.echoed(r)}.`, type: 'invalid_request_error', code: 'invalid_api_key' },
        });
      return { status: 200, body: { object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: 1721172741, owned_by: 'system' }] } };
    },
    wrongShape: () => ({ object: 'error', data: null }),
  };
  return new Standin(h);
}

export interface TradovateCreds {
  name: string;
  password: string;
  cid: string;
  sec: string;
}

export function tradovate(creds: TradovateCreds, opts: { tokenTtlMs?: number } = {}): Standin {
  const ttl = opts.tokenTtlMs ?? 80 * 60_000;
  const h: VendorHandler = {
    basePath: '/v1',
    isLogin: (r) => r.method === 'POST' && r.path.toLowerCase() === '/v1/auth/accesstokenrequest',
    echoed: (r) => (h.isLogin(r) ? String(jsonBody(r).password ?? '') : (bearerOf(r) ?? '')),
    handle(r, s) {
      if (h.isLogin(r)) {
        const b = jsonBody(r);
        const cidOk = String(b.cid) === creds.cid;
        if (b.name !== creds.name || b.password !== creds.password || b.sec !== creds.sec || !cidOk || b.appId !== 'Observatory' || b.appVersion !== '1.0')
          // Tradovate answers bad credentials with HTTP 200 and errorText
          return { status: 200, body: { errorText: `Incorrect username or password for ${String(b.name)} (${String(b.password)})` } };
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
            hasLive: false,
          },
        };
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
      return { status: 500, body: {} };
    },
  };
  return new Standin(h);
}

export interface IronbeamCreds {
  username: string;
  password: string;
  apiKey: string;
}

export function ironbeam(creds: IronbeamCreds): Standin {
  const h: VendorHandler = {
    basePath: '/v2',
    isLogin: (r) => r.method === 'POST' && r.path === '/v2/auth',
    echoed: (r) => (h.isLogin(r) ? String(jsonBody(r).apiKey ?? '') : (bearerOf(r) ?? '')),
    handle(r, s) {
      if (h.isLogin(r)) {
        const b = jsonBody(r);
        if (b.username !== creds.username || b.password !== creds.password || b.apiKey !== creds.apiKey)
          return unauthorized(s, r, { status: 'ERROR', message: `Unauthorized ${String(b.apiKey)}`, error: 'invalid username or password or apiKey' });
        const t = token();
        s.validTokens.add(t);
        return { status: 200, body: { token: t, status: 'OK', message: 'OK' } };
      }
      if (r.method === 'GET' && r.path === '/v2/info/trader') {
        const t = bearerOf(r);
        if (!t || !s.validTokens.has(t)) return unauthorized(s, r);
        return { status: 200, body: { status: 'OK', message: 'OK', accounts: ['5123345'], isLive: false, traderId: '5123345' } };
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
