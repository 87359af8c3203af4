/**
 * Polygon.io (https://api.polygon.io, POLYGON_BASE_URL overrides). The key travels as
 * `Authorization: Bearer KEY` (the header, never the `apiKey` query parameter, so it never sits
 * in a URL).
 *
 * Probe: the previous day's bar of the configured symbol (POLYGON_SYMBOL, default SPY), `GET
 * /v2/aggs/ticker/{T}/prev` → {status: "OK" | "DELAYED", resultsCount, results: [{o,h,l,c,v,t}]}:
 * a cheap aggregates call that the plan must cover, so it proves the bot's own endpoint, not
 * just the key. Every 60 s by default (the free tier allows 5 requests a minute).
 * 401 {status: "ERROR"} = the key; 403 {status: "NOT_AUTHORIZED"} = the plan does not cover the
 * data (ENTITLEMENT_DENIED). status "DELAYED" is data (the plan's delayed feed), said so.
 *
 * Bars (runner): `GET /v2/aggs/ticker/{ticker}/range/1/minute/{from}/{to}?adjusted=true
 * &sort=desc&limit=N` → {status, results: [{t, o, h, l, c, v, vw, n}]}, newest first. A 200
 * without the documented `status` and `results` (an echoed error, a proxy's page) is not data.
 */
import { envValue } from './env.js';
import { badShape, finite, httpProbe, isObject, joinUrl, parseJson, vendorRequest, type Refiner } from './http.js';
import type { BarsRequest, BarsResult, OhlcvBar, VendorModule } from './module.js';

/** a window this long reaches back over a weekend or a holiday */
const WIDE_WINDOW_MS = 4 * 86_400_000;
export const DEFAULT_POLYGON_SYMBOL = 'SPY';
/** the free tier allows 5 requests a minute: one probe a minute leaves the bot the rest */
export const POLYGON_PROBE_INTERVAL_MS = 60_000;

const bearerKey = (env: NodeJS.ProcessEnv) => () => ({ authorization: `Bearer ${envValue(env, 'POLYGON_API_KEY') ?? ''}` });

/** The symbol the probe asks for: POLYGON_SYMBOL, else the bot's default. */
export const probeSymbol = (env: NodeJS.ProcessEnv) => envValue(env, 'POLYGON_SYMBOL')?.trim() ?? DEFAULT_POLYGON_SYMBOL;

/** 403 (NOT_AUTHORIZED): the plan, not the key. */
export const polygonRefine: Refiner = (status, body, host) =>
  status === 403
    ? {
        outcome: 'ENTITLEMENT_DENIED',
        message: `HTTP 403 from ${host}${isObject(body) && body.status === 'NOT_AUTHORIZED' ? ' (NOT_AUTHORIZED)' : ''}: the plan does not cover this data`,
      }
    : null;

/** The documented aggregates reply: status OK or DELAYED, and results (absent only when there are none). */
export function isAggregates(b: unknown): b is Record<string, unknown> & { status: 'OK' | 'DELAYED' } {
  if (!isObject(b) || (b.status !== 'OK' && b.status !== 'DELAYED')) return false;
  return Array.isArray(b.results) || (b.results === undefined && b.resultsCount === 0);
}

async function polygonBars(baseUrl: string, env: NodeJS.ProcessEnv, req: BarsRequest): Promise<BarsResult> {
  const what = 'Polygon aggregates';
  const now = (req.now ?? Date.now)();
  const url = joinUrl(baseUrl, `/v2/aggs/ticker/${encodeURIComponent(req.symbol)}/range/1/minute/${now - WIDE_WINDOW_MS}/${now}`);
  url.searchParams.set('adjusted', 'true');
  url.searchParams.set('sort', 'desc');
  url.searchParams.set('limit', String(req.bars));
  const reply = await vendorRequest({
    method: 'GET',
    url,
    auth: bearerKey(env),
    refine: polygonRefine,
    what,
    traceId: req.traceId,
    timeoutMs: req.timeoutMs,
    signal: req.signal,
  });
  const body = parseJson(reply, what);
  if (!isAggregates(body)) throw badShape(reply, what, 'an aggregates reply (status OK or DELAYED with results)');
  const raw = (body.results as unknown[] | undefined) ?? [];
  const bars: OhlcvBar[] = [];
  for (const r of raw) {
    if (!isObject(r)) throw badShape(reply, what, 'a list of bars');
    const [t, o, h, l, c, v] = [r.t, r.o, r.h, r.l, r.c, r.v].map(finite);
    if (t === undefined || o === undefined || h === undefined || l === undefined || c === undefined || v === undefined) continue;
    bars.push({ t, open: o, high: h, low: l, close: c, volume: v });
  }
  return { bars, instrument: null, endpoint: 'v2/aggs', ...(body.status === 'DELAYED' ? { delayed: true } : {}) };
}

export const polygon: VendorModule = {
  name: 'polygon',
  label: 'Polygon',
  kind: 'marketdata',
  description: 'Polygon market data (REST API; probe: previous-day aggregates of POLYGON_SYMBOL)',
  envVars: ['POLYGON_API_KEY'],
  http: { envPrefix: 'POLYGON', baseUrl: 'https://api.polygon.io' },
  timing: { intervalMs: POLYGON_PROBE_INTERVAL_MS },
  fixes: {
    AUTH_REJECTED: 'Check the Polygon API key is valid (POLYGON_API_KEY)',
    ENTITLEMENT_DENIED:
      'Check the Polygon subscription covers aggregates for the symbol (POLYGON_SYMBOL, default SPY): upgrade the plan or pick a symbol it covers',
  },
  produces: ['market_data'],
  probe: (rc, baseUrl) => {
    const url = joinUrl(baseUrl, `/v2/aggs/ticker/${encodeURIComponent(probeSymbol(rc.env))}/prev`);
    url.searchParams.set('adjusted', 'true');
    return httpProbe(
      rc,
      { method: 'GET', url, auth: bearerKey(rc.env), refine: polygonRefine },
      'an aggregates reply (status OK or DELAYED with results)',
      (body) =>
        !isAggregates(body)
          ? false
          : body.status === 'DELAYED'
            ? { message: 'data is delayed: Polygon answered status DELAYED (the plan serves delayed data)' }
            : true,
    );
  },
  client: {
    marketdata: { defaultSymbol: DEFAULT_POLYGON_SYMBOL, eventMetadata: () => ({ endpoint: 'v2/aggs' }), bars: polygonBars },
  },
  source: import.meta.url,
};
