/**
 * Polygon.io. `GET {base}/v1/marketstatus/now` with `Authorization: Bearer KEY` (the header,
 * not the `apiKey` query parameter, so the key never sits in a URL) returns an object with
 * a `market` field. Base URL: https://api.polygon.io (POLYGON_BASE_URL overrides).
 */
import { envValue, httpProbe, isObject, joinUrl, type RunContext, type Verdict } from './http.js';

export const POLYGON_ENV = ['POLYGON_API_KEY'] as const;

export function polygonProbe(def: { baseUrl: string }, rc: RunContext): Promise<Verdict> {
  return httpProbe(
    rc,
    {
      method: 'GET',
      url: joinUrl(def.baseUrl, '/v1/marketstatus/now'),
      auth: () => ({ authorization: `Bearer ${envValue(rc.env, 'POLYGON_API_KEY') ?? ''}` }),
    },
    'a market status object',
    (body) => isObject(body) && typeof body.market === 'string',
  );
}
