/**
 * OpenAI (https://api.openai.com, OPENAI_BASE_URL overrides; a base ending in /v1, as the
 * OpenAI SDKs write it, is accepted too). Bearer key.
 *
 * Probe: `GET /v1/models` returns `{object: "list", data: [...]}`.
 * Errors are `{error: {message, type, code}}`: a 429 whose code (or type) is
 * `insufficient_quota` — or `billing_hard_limit_reached` — means the account is out of credit,
 * not a transient limit: QUOTA_EXHAUSTED (BLOCKED), not RATE_LIMITED. Only the code is read.
 * `retry-after-ms` / `retry-after` are honoured (http.ts).
 * Chat (runner): `POST /v1/chat/completions` → {choices: [{message: {content}}], usage}; the
 * prompt and the reply stay in memory, only token counts leave.
 */
import { envValue } from './env.js';
import { finite, httpProbe, isObject, joinUrl, parseJson, vendorRequest, VendorError, type Refiner } from './http.js';
import type { ChatClient, VendorModule } from './module.js';

const bearerKey = (env: NodeJS.ProcessEnv) => () => ({ authorization: `Bearer ${envValue(env, 'OPENAI_API_KEY') ?? ''}` });
// tolerate the OpenAI SDK convention of a base that already ends in /v1
const apiUrl = (baseUrl: string, path: string) => joinUrl(baseUrl.replace(/\/v1\/*$/, ''), path);

/** error codes that say the account is out of quota/credit (a 429 that waiting does not cure) */
const QUOTA_CODES = new Set(['insufficient_quota', 'billing_hard_limit_reached']);

export const openaiRefine: Refiner = (status, body, host) => {
  const e = isObject(body) && isObject(body.error) ? body.error : undefined;
  const code = [e?.code, e?.type].find((c): c is string => typeof c === 'string' && QUOTA_CODES.has(c));
  if ((status === 429 || status === 400 || status === 403) && code)
    return { outcome: 'QUOTA_EXHAUSTED', message: `HTTP ${status} from ${host}: ${code} (the account is out of quota or credit)` };
  return null;
};

const count = (v: unknown): number | null => {
  const n = finite(v);
  return n !== undefined && Number.isInteger(n) && n >= 0 ? n : null;
};

const chat: ChatClient['chat'] = async (baseUrl, env, req, call) => {
  const what = 'OpenAI chat completion';
  const reply = await vendorRequest({
    method: 'POST',
    url: apiUrl(baseUrl, '/v1/chat/completions'),
    auth: bearerKey(env),
    refine: openaiRefine,
    json: () => ({ model: req.model, messages: req.messages, max_completion_tokens: req.maxCompletionTokens }),
    what,
    ...call,
  });
  const b = parseJson(reply, what);
  if (!isObject(b) || !Array.isArray(b.choices) || b.choices.length === 0 || !isObject(b.choices[0]) || !isObject(b.choices[0].message))
    throw new VendorError('UPSTREAM_BAD_RESPONSE', `${what}: HTTP ${reply.status} from ${reply.host}: body is not a chat completion`);
  const first = b.choices[0];
  const content = isObject(first) && isObject(first.message) && typeof first.message.content === 'string' ? first.message.content : '';
  const usage = isObject(b.usage) ? b.usage : {};
  return { content, promptTokens: count(usage.prompt_tokens), completionTokens: count(usage.completion_tokens) };
};

export const openai: VendorModule = {
  name: 'openai',
  label: 'OpenAI',
  kind: 'ai',
  description: 'OpenAI API (GET /v1/models, bearer auth)',
  envVars: ['OPENAI_API_KEY'],
  http: { envPrefix: 'OPENAI', baseUrl: 'https://api.openai.com', statusPage: 'https://status.openai.com' },
  fixes: {
    AUTH_REJECTED: 'Check the OpenAI API key is valid and not revoked (OPENAI_API_KEY)',
    QUOTA_EXHAUSTED: "The OpenAI account is out of quota or credit: add credit or raise the limit in the organization's billing settings",
  },
  produces: ['ai'],
  probe: (rc, baseUrl) =>
    httpProbe(
      rc,
      { method: 'GET', url: apiUrl(baseUrl, '/v1/models'), auth: bearerKey(rc.env), refine: openaiRefine },
      'a model list',
      (body) => isObject(body) && body.object === 'list' && Array.isArray(body.data),
    ),
  client: { chat: { chat } },
  source: import.meta.url,
};
