/**
 * OpenAI. `GET {base}/v1/models` with `Authorization: Bearer KEY` returns
 * `{object: "list", data: [...]}`. Base URL: https://api.openai.com (OPENAI_BASE_URL
 * overrides; a base ending in /v1, as the OpenAI SDKs write it, is accepted too).
 */
import { envValue, httpProbe, isObject, joinUrl, type RunContext, type Verdict } from './http.js';

export const OPENAI_ENV = ['OPENAI_API_KEY'] as const;

export function openaiProbe(def: { baseUrl: string }, rc: RunContext): Promise<Verdict> {
  return httpProbe(
    rc,
    {
      method: 'GET',
      // tolerate the OpenAI SDK convention of a base that already ends in /v1
      url: joinUrl(def.baseUrl.replace(/\/v1\/*$/, ''), '/v1/models'),
      auth: () => ({ authorization: `Bearer ${envValue(rc.env, 'OPENAI_API_KEY') ?? ''}` }),
    },
    'a model list',
    (body) => isObject(body) && body.object === 'list' && Array.isArray(body.data),
  );
}
