/**
 * Tradovate. `POST {base}/auth/accesstokenrequest` with {name, password, appId, appVersion,
 * cid, sec} → {accessToken, expirationTime, …}; a 200 can also carry {errorText} (rejected)
 * or a time penalty {"p-ticket", "p-time", "p-captcha"} (rate limited). The token is cached
 * until shortly before expirationTime; while cached, `GET {base}/auth/me` with the bearer
 * token is the probe. Base URL includes the version: https://demo.tradovateapi.com/v1 or
 * https://live.tradovateapi.com/v1 (TRADOVATE_BASE_URL overrides).
 */
import { classifyStatus, envValue, isObject, isVerdict, joinUrl, send, badBody, type RunContext, type Verdict } from './http.js';
import { TokenCache } from './context.js';
import { sessionProbe, type Login } from './session.js';

export const TRADOVATE_ENV = ['TRADOVATE_USERNAME', 'TRADOVATE_PASSWORD', 'TRADOVATE_CID', 'TRADOVATE_SECRET'] as const;
export const TRADOVATE_APP_ID = 'Observatory';
export const TRADOVATE_APP_VERSION = '1.0';
/** used only when a login reply has no parseable expirationTime (the documented lifetime is 80–90 min) */
export const TRADOVATE_DEFAULT_TTL_MS = 60 * 60_000;

async function login(def: { baseUrl: string }, rc: RunContext): Promise<Login | Verdict> {
  const reply = await send(rc, {
    method: 'POST',
    url: joinUrl(def.baseUrl, '/auth/accesstokenrequest'),
    json: () => {
      const cid = envValue(rc.env, 'TRADOVATE_CID') ?? '';
      return {
        name: envValue(rc.env, 'TRADOVATE_USERNAME'),
        password: envValue(rc.env, 'TRADOVATE_PASSWORD'),
        appId: TRADOVATE_APP_ID,
        appVersion: TRADOVATE_APP_VERSION,
        cid: /^\d{1,15}$/.test(cid.trim()) ? Number(cid.trim()) : cid,
        sec: envValue(rc.env, 'TRADOVATE_SECRET'),
      };
    },
  });
  if (isVerdict(reply)) return reply;
  const byStatus = classifyStatus(reply.status, reply.host);
  if (byStatus) return byStatus;
  const b = reply.body;
  if (reply.bodyKind !== 'json' || !isObject(b)) return badBody(reply, 'an access token reply');
  if (b['p-ticket'] !== undefined) {
    const wait = typeof b['p-time'] === 'number' && Number.isFinite(b['p-time']) ? `; retry after ${Math.round(b['p-time'])} s` : '';
    const captcha = b['p-captcha'] === true ? '; captcha required (log in once in the Tradovate app)' : '';
    return { outcome: 'RATE_LIMITED', httpStatus: reply.status, message: `login time penalty from ${reply.host}${wait}${captcha}` };
  }
  if (typeof b.errorText === 'string' && b.errorText !== '')
    return { outcome: 'AUTH_REJECTED', httpStatus: reply.status, message: `login rejected by ${reply.host} (errorText set)` };
  if (typeof b.accessToken !== 'string' || b.accessToken === '') return badBody(reply, 'an access token reply');
  const exp = typeof b.expirationTime === 'string' ? Date.parse(b.expirationTime) : NaN;
  return { token: b.accessToken, expiresAt: Number.isNaN(exp) ? undefined : exp, httpStatus: reply.status };
}

async function me(def: { baseUrl: string }, rc: RunContext, token: string): Promise<Verdict | 'REAUTH'> {
  const reply = await send(rc, { method: 'GET', url: joinUrl(def.baseUrl, '/auth/me'), auth: () => ({ authorization: `Bearer ${token}` }) });
  if (isVerdict(reply)) return reply;
  if (reply.status === 401) return 'REAUTH';
  const byStatus = classifyStatus(reply.status, reply.host);
  if (byStatus) return byStatus;
  const b = reply.body;
  if (reply.bodyKind !== 'json' || !isObject(b)) return badBody(reply, 'a user object');
  if (typeof b.errorText === 'string' && b.errorText !== '') return 'REAUTH';
  if (typeof b.userId !== 'number' && typeof b.name !== 'string') return badBody(reply, 'a user object');
  return { outcome: 'OK', httpStatus: reply.status };
}

export function tradovateProbe(def: { baseUrl: string }, rc: RunContext): Promise<Verdict> {
  return sessionProbe(rc, {
    cacheKey: TokenCache.key('tradovate', def.baseUrl, TRADOVATE_ENV.map((n) => envValue(rc.env, n))),
    defaultTtlMs: TRADOVATE_DEFAULT_TTL_MS,
    login: (r) => login(def, r),
    check: (r, token) => me(def, r, token),
  });
}
