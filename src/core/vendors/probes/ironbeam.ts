/**
 * Ironbeam (API v2). `POST {base}/auth` with {username, password, apiKey} → {token,
 * status: "OK"}; the token is then sent as `Authorization: Bearer`. The reply carries no
 * expiry, so the token is cached for IRONBEAM_DEFAULT_TTL_MS; while cached, the probe is
 * `GET {base}/info/trader` (documented: trader id + accounts). A 401 there drops the token
 * and logs in once more, so a shorter real lifetime heals itself. Base URL includes the
 * version: https://demo.ironbeamapi.com/v2 or https://live.ironbeamapi.com/v2.
 */
import { classifyStatus, envValue, isObject, isVerdict, joinUrl, send, badBody, type RunContext, type Verdict } from './http.js';
import { TokenCache } from './context.js';
import { sessionProbe, type Login } from './session.js';

export const IRONBEAM_ENV = ['IRONBEAM_USERNAME', 'IRONBEAM_PASSWORD', 'IRONBEAM_API_KEY'] as const;
/** assumed token lifetime (no expiry in the auth reply) */
export const IRONBEAM_DEFAULT_TTL_MS = 2 * 60 * 60_000;

async function login(def: { baseUrl: string }, rc: RunContext): Promise<Login | Verdict> {
  const reply = await send(rc, {
    method: 'POST',
    url: joinUrl(def.baseUrl, '/auth'),
    json: () => ({
      username: envValue(rc.env, 'IRONBEAM_USERNAME'),
      password: envValue(rc.env, 'IRONBEAM_PASSWORD'),
      apiKey: envValue(rc.env, 'IRONBEAM_API_KEY'),
    }),
  });
  if (isVerdict(reply)) return reply;
  const byStatus = classifyStatus(reply.status, reply.host);
  if (byStatus) return byStatus;
  const b = reply.body;
  if (reply.bodyKind !== 'json' || !isObject(b)) return badBody(reply, 'a token reply');
  if (b.status === 'ERROR') return { outcome: 'AUTH_REJECTED', httpStatus: reply.status, message: `login rejected by ${reply.host} (status ERROR)` };
  if (typeof b.token !== 'string' || b.token === '') return badBody(reply, 'a token reply');
  return { token: b.token, httpStatus: reply.status };
}

async function traderInfo(def: { baseUrl: string }, rc: RunContext, token: string): Promise<Verdict | 'REAUTH'> {
  const reply = await send(rc, { method: 'GET', url: joinUrl(def.baseUrl, '/info/trader'), auth: () => ({ authorization: `Bearer ${token}` }) });
  if (isVerdict(reply)) return reply;
  if (reply.status === 401) return 'REAUTH';
  const byStatus = classifyStatus(reply.status, reply.host);
  if (byStatus) return byStatus;
  const b = reply.body;
  const ok = reply.bodyKind === 'json' && isObject(b) && b.status !== 'ERROR' && (b.status === 'OK' || 'traderId' in b || 'accounts' in b);
  return ok ? { outcome: 'OK', httpStatus: reply.status } : badBody(reply, 'a trader info object');
}

export function ironbeamProbe(def: { baseUrl: string }, rc: RunContext): Promise<Verdict> {
  return sessionProbe(rc, {
    cacheKey: TokenCache.key('ironbeam', def.baseUrl, IRONBEAM_ENV.map((n) => envValue(rc.env, n))),
    defaultTtlMs: IRONBEAM_DEFAULT_TTL_MS,
    login: (r) => login(def, r),
    check: (r, token) => traderInfo(def, r, token),
  });
}
