/**
 * Optional AI step: one chat completion (the chat client of the integration's own module,
 * src/core/vendors/<name>.ts `client.chat`; today OpenAI) that labels the market regime from
 * the bot's features. The prompt and the reply stay in memory; what leaves is the model name,
 * the token counts and the label when it is one of the four fixed regime tags.
 */
import type { IntegrationSpec } from '../core/types.js';
import { moduleOf } from '../core/vendors/index.js';
import type { CallCtx, ChatReply, ChatRequest } from '../core/vendors/module.js';
import type { Features } from './features.js';

export const REGIMES = ['trending', 'ranging', 'volatile', 'quiet'] as const;
export type Regime = (typeof REGIMES)[number];

export interface RegimeResult {
  regime: Regime | null;
  promptTokens: number | null;
  completionTokens: number | null;
}

export interface ChatSource {
  chat(env: NodeJS.ProcessEnv, req: ChatRequest, call: CallCtx): Promise<ChatReply>;
}

/** The chat client for `spec`, or undefined when its module has none (or it is probed by a custom http check). */
export function chatOf(spec: IntegrationSpec): ChatSource | undefined {
  const client = moduleOf(spec)?.client?.chat;
  const baseUrl = spec.probe.type === 'vendor' ? spec.probe.baseUrl : undefined;
  if (!client || baseUrl === undefined) return undefined;
  return { chat: (env, req, call) => client.chat(baseUrl, env, req, call) };
}

const round = (x: number | undefined, digits = 6) => (x === undefined ? 'n/a' : Number(x.toPrecision(digits)).toString());

export async function classifyRegime(source: ChatSource, env: NodeJS.ProcessEnv, model: string, f: Features, call: CallCtx): Promise<RegimeResult> {
  const reply = await source.chat(
    env,
    {
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
      maxCompletionTokens: 16,
    },
    call,
  );
  const content = reply.content.toLowerCase();
  const regime = REGIMES.find((r) => new RegExp(`\\b${r}\\b`).test(content)) ?? null;
  return { regime, promptTokens: reply.promptTokens, completionTokens: reply.completionTokens };
}
