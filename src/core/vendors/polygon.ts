/**
 * Polygon.io (https://api.polygon.io, POLYGON_BASE_URL overrides). The key travels as
 * `Authorization: Bearer KEY` (the header, never the `apiKey` query parameter, so it never sits
 * in a URL).
 *
 * Probe: `GET /v1/marketstatus/now` returns an object with a `market` field.
 *
 * Bars (runner): `GET /v2/aggs/ticker/{ticker}/range/1/minute/{from}/{to}?adjusted=true
 * &sort=desc&limit=N` → {status, results: [{t, o, h, l, c, v, vw, n}]}, newest first.
 */
import { envValue } from './env.js';
import { badShape, finite, httpProbe, isObject, joinUrl, parseJson, vendorRequest } from './http.js';
import type { BarsRequest, BarsResult, OhlcvBar, VendorModule } from './module.js';

/** a window this long reaches back over a weekend or a holiday */
const WIDE_WINDOW_MS = 4 * 86_400_000;

const bearerKey = (env: NodeJS.ProcessEnv) => () => ({ authorization: `Bearer ${envValue(env, 'POLYGON_API_KEY') ?? ''}` });

async function polygonBars(baseUrl: string, env: NodeJS.ProcessEnv, req: BarsRequest): Promise<BarsResult> {
  const what = 'Polygon aggregates';
  const now = (req.now ?? Date.now)();
  const url = joinUrl(baseUrl, `/v2/aggs/ticker/${encodeURIComponent(req.symbol)}/range/1/minute/${now - WIDE_WINDOW_MS}/${now}`);
  url.searchParams.set('adjusted', 'true');
  url.searchParams.set('sort', 'desc');
  url.searchParams.set('limit', String(req.bars));
  const reply = await vendorRequest({ method: 'GET', url, auth: bearerKey(env), what, traceId: req.traceId, timeoutMs: req.timeoutMs, signal: req.signal });
  const body = parseJson(reply, what);
  if (!isObject(body) || body.status === 'ERROR' || (body.results !== undefined && !Array.isArray(body.results)))
    throw badShape(reply, what, 'an aggregates reply');
  const raw = (body.results as unknown[] | undefined) ?? [];
  const bars: OhlcvBar[] = [];
  for (const r of raw) {
    if (!isObject(r)) throw badShape(reply, what, 'a list of bars');
    const [t, o, h, l, c, v] = [r.t, r.o, r.h, r.l, r.c, r.v].map(finite);
    if (t === undefined || o === undefined || h === undefined || l === undefined || c === undefined || v === undefined) continue;
    bars.push({ t, open: o, high: h, low: l, close: c, volume: v });
  }
  return { bars, instrument: null, endpoint: 'v2/aggs' };
}

export const polygon: VendorModule = {
  name: 'polygon',
  label: 'Polygon',
  kind: 'marketdata',
  description: 'Polygon market data (REST API)',
  envVars: ['POLYGON_API_KEY'],
  http: { envPrefix: 'POLYGON', baseUrl: 'https://api.polygon.io' },
  fixes: { AUTH_REJECTED: 'Check the Polygon API key is valid and its plan covers the endpoints used (POLYGON_API_KEY)' },
  produces: ['market_data'],
  probe: (rc, baseUrl) =>
    httpProbe(
      rc,
      { method: 'GET', url: joinUrl(baseUrl, '/v1/marketstatus/now'), auth: bearerKey(rc.env) },
      'a market status object',
      (body) => isObject(body) && typeof body.market === 'string',
    ),
  client: {
    marketdata: { defaultSymbol: 'SPY', eventMetadata: () => ({ endpoint: 'v2/aggs' }), bars: polygonBars },
  },
  source: import.meta.url,
};
