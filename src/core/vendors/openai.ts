/**
 * OpenAI (https://api.openai.com, OPENAI_BASE_URL overrides; a base ending in /v1, as the
 * OpenAI SDKs write it, is accepted too). Bearer key.
 *
 * Probe: `GET /v1/models` returns `{object: "list", data: [...]}`. It is free, so it proves the key
 * but may pass for an account that is out of credit. With OPENAI_QUOTA_CHECK_MODEL set (e.g.
 * gpt-4o-mini) the probe also sends a one-token chat completion with that model — a billed call,
 * hence opt-in and at most every QUOTA_CHECK_EVERY_MS (5 min while exhausted) — whose
 * insufficient_quota answer makes the status BLOCKED QUOTA_EXHAUSTED; between checks the last
 * answer stands. Without it, the OK says the quota was not checked.
 * Errors are `{error: {message, type, code}}`: a 429 whose code (or type) is
 * `insufficient_quota` — or `billing_hard_limit_reached` — means the account is out of credit,
 * not a transient limit: QUOTA_EXHAUSTED (BLOCKED), not RATE_LIMITED. Only the code is read.
 * `retry-after-ms` / `retry-after` are honoured (http.ts).
 * Chat (runner): `POST /v1/chat/completions` → {choices: [{message: {content}}], usage}; the
 * prompt and the reply stay in memory, only token counts leave.
 */
import { envValue } from './env.js';
import { finite, httpProbe, isObject, isVerdict, joinUrl, parseJson, send, vendorRequest, VendorError, verdictOfStatus, type Refiner } from './http.js';
import type { ChatClient, RunContext, Verdict, VendorModule } from './module.js';
import { credentialFingerprint, type TokenCache } from './session.js';

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

/** the billed quota check runs at most this often (OPENAI_QUOTA_CHECK_MODEL set)… */
export const QUOTA_CHECK_EVERY_MS = 15 * 60_000;
/** …and this often while the account is out of quota, so added credit is seen soon */
export const QUOTA_RECHECK_EXHAUSTED_MS = 5 * 60_000;
const MODEL_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

/** the last quota answer per process (keyed by the probes' token cache), host and key */
const quotaMemo = new WeakMap<TokenCache, Map<string, { at: number; verdict: Verdict }>>();

async function quotaCheck(rc: RunContext, baseUrl: string, model: string): Promise<Verdict> {
  const memo = quotaMemo.get(rc.tokenCache) ?? new Map<string, { at: number; verdict: Verdict }>();
  quotaMemo.set(rc.tokenCache, memo);
  const key = `${baseUrl}|${model}|${credentialFingerprint([envValue(rc.env, 'OPENAI_API_KEY')])}`;
  const last = memo.get(key);
  const now = rc.now();
  if (last && now - last.at < (last.verdict.outcome === 'QUOTA_EXHAUSTED' ? QUOTA_RECHECK_EXHAUSTED_MS : QUOTA_CHECK_EVERY_MS)) return last.verdict;
  const reply = await send(rc, {
    method: 'POST',
    url: apiUrl(baseUrl, '/v1/chat/completions'),
    auth: bearerKey(rc.env),
    refine: openaiRefine,
    json: () => ({ model, messages: [{ role: 'user', content: 'ping' }], max_completion_tokens: 1 }),
  });
  let verdict: Verdict;
  if (isVerdict(reply)) verdict = reply;
  else {
    const byStatus = verdictOfStatus(reply);
    const b = reply.bodyKind === 'json' ? reply.body : undefined;
    verdict =
      byStatus ??
      (isObject(b) && Array.isArray(b.choices)
        ? { outcome: 'OK', httpStatus: reply.status, message: `key valid; quota checked with a one-token ${model} completion` }
        : {
            outcome: 'UPSTREAM_BAD_RESPONSE',
            httpStatus: reply.status,
            message: `HTTP ${reply.status} from ${reply.host}: the quota check's body is not a chat completion`,
          });
  }
  // only the two answers about the quota are kept; anything else (a rate limit, a timeout) is asked again next round
  if (verdict.outcome === 'OK' || verdict.outcome === 'QUOTA_EXHAUSTED') memo.set(key, { at: now, verdict });
  return verdict;
}

async function probe(rc: RunContext, baseUrl: string): Promise<Verdict> {
  const models = await httpProbe(
    rc,
    { method: 'GET', url: apiUrl(baseUrl, '/v1/models'), auth: bearerKey(rc.env), refine: openaiRefine },
    'a model list',
    (body) => isObject(body) && body.object === 'list' && Array.isArray(body.data),
  );
  if (models.outcome !== 'OK') return models;
  const model = envValue(rc.env, 'OPENAI_QUOTA_CHECK_MODEL')?.trim();
  if (!model) return { ...models, message: 'key valid; quota not checked (GET /v1/models is free: set OPENAI_QUOTA_CHECK_MODEL to check it)' };
  if (!MODEL_RE.test(model)) return { outcome: 'CHECK_FAILED', message: 'OPENAI_QUOTA_CHECK_MODEL is not a model name' };
  return quotaCheck(rc, baseUrl, model);
}

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
  probe,
  client: { chat: { chat } },
  source: import.meta.url,
};
