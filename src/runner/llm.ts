/**
 * Optional AI step: one OpenAI chat completion (`POST /v1/chat/completions`, bearer key)
 * that labels the market regime from the bot's features. The prompt and the reply stay in
 * memory; what leaves is the model name, the token counts and the label when it is one of the
 * four fixed regime tags.
 */
import { envValue } from '../core/vendors/probes/http.js';
import type { Features } from './features.js';
import { finite, isObject, joinUrl, parseJson, vendorRequest, VendorError } from './http.js';
import type { CallCtx } from './brokers.js';

export const REGIMES = ['trending', 'ranging', 'volatile', 'quiet'] as const;
export type Regime = (typeof REGIMES)[number];

export interface RegimeResult {
  regime: Regime | null;
  promptTokens: number | null;
  completionTokens: number | null;
}

const round = (x: number | undefined, digits = 6) => (x === undefined ? 'n/a' : Number(x.toPrecision(digits)).toString());

export async function classifyRegime(baseUrl: string, env: NodeJS.ProcessEnv, model: string, f: Features, call: CallCtx): Promise<RegimeResult> {
  const what = 'OpenAI chat completion';
  const reply = await vendorRequest({
    method: 'POST',
    // tolerate the OpenAI SDK convention of a base that already ends in /v1
    url: joinUrl(baseUrl.replace(/\/v1\/*$/, ''), '/v1/chat/completions'),
    auth: () => ({ authorization: `Bearer ${envValue(env, 'OPENAI_API_KEY') ?? ''}` }),
    json: () => ({
      model,
      messages: [
        { role: 'system', content: `Classify the intraday market regime. Answer with exactly one word: ${REGIMES.join(', ')}.` },
        {
          role: 'user',
          content:
            `1-minute bars, latest: close/vwap-1=${round(f.close / f.vwap - 1)}, return=${round(f.returns)}, ` +
            `volatility=${round(f.volatility)}, atr/close=${round(f.atr === undefined ? undefined : f.atr / f.close)}, range=${round(f.range_pct)}`,
        },
      ],
      max_completion_tokens: 16,
    }),
    what,
    ...call,
  });
  const b = parseJson(reply, what);
  if (!isObject(b) || !Array.isArray(b.choices)) throw new VendorError('UPSTREAM_BAD_RESPONSE', `${what}: HTTP ${reply.status} from ${reply.host}: body is not a chat completion`);
  const first = b.choices[0];
  const content = isObject(first) && isObject(first.message) && typeof first.message.content === 'string' ? first.message.content.toLowerCase() : '';
  const regime = REGIMES.find((r) => new RegExp(`\\b${r}\\b`).test(content)) ?? null;
  const usage = isObject(b.usage) ? b.usage : {};
  const tokens = (v: unknown) => {
    const n = finite(v);
    return n !== undefined && Number.isInteger(n) && n >= 0 ? n : null;
  };
  return { regime, promptTokens: tokens(usage.prompt_tokens), completionTokens: tokens(usage.completion_tokens) };
}
