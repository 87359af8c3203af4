/**
 * Databento historical API. HTTP basic auth with the API key as user name and an empty
 * password; `GET {base}/v0/metadata.list_datasets` returns a JSON array of dataset ids.
 * Base URL: https://hist.databento.com (DATABENTO_BASE_URL overrides).
 */
import { envValue, httpProbe, joinUrl, type RunContext, type Verdict } from './http.js';

export const DATABENTO_ENV = ['DATABENTO_API_KEY'] as const;

export function databentoProbe(def: { baseUrl: string }, rc: RunContext): Promise<Verdict> {
  return httpProbe(
    rc,
    {
      method: 'GET',
      url: joinUrl(def.baseUrl, '/v0/metadata.list_datasets'),
      auth: () => ({ authorization: `Basic ${Buffer.from(`${envValue(rc.env, 'DATABENTO_API_KEY') ?? ''}:`).toString('base64')}` }),
    },
    'a JSON array of dataset ids',
    (body) => Array.isArray(body) && body.every((d) => typeof d === 'string'),
  );
}
