/**
 * The reference bot's options: `observatory bot run` flags, validated into one normalized
 * shape. Every problem is a usage error (exit 64), raised before the store is touched.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../core/errors.js';
import { isUuid } from '../core/trace.js';
import type { Mode } from '../sdk/index.js';
import { MODES } from '../core/types.js';
import { referenceBotModes } from './mode.js';
import { DEFAULT_DATASET } from './marketdata.js';

export type RunnerMode = Extract<Mode, 'paper' | 'shadow'>;

/** `observatory bot run` options (CLI flags in comments). */
export interface BotRunOptions {
  /** --mode paper|shadow (required; live is refused) */
  mode: string;
  /** --bot UUID; default: derived from the bot name, so reruns accumulate under one bot */
  bot?: string;
  /** --bot-name NAME; default "reference-bot" */
  botName?: string;
  /** --iterations N; default 3 */
  iterations?: number | string;
  /** --interval-ms MS between iterations; default 1000 */
  intervalMs?: number | string;
  /** --symbol; default ES.c.0 (Databento) or SPY (Polygon) */
  symbol?: string;
  /** --broker-symbol: the broker's contract symbol (paper); default the vendor's instrument or --symbol */
  brokerSymbol?: string;
  /** --qty contracts of the target position; default 1 */
  qty?: number | string;
  /** --bars how many recent 1-minute bars; default 120 */
  bars?: number | string;
  /** --dataset Databento dataset; default GLBX.MDP3 */
  dataset?: string;
  /** --model for the optional AI step; default gpt-4o-mini */
  model?: string;
  /** --strict: DEGRADED blocks too */
  strict?: boolean;
  /** --timeout-ms per vendor request; default 10000 */
  timeoutMs?: number | string;
  /** --fill-wait-ms how long to poll the broker for a paper fill; default 3000 */
  fillWaitMs?: number | string;
  /** --json (command only) */
  json?: boolean;
}

export interface NormalizedOptions {
  mode: RunnerMode;
  botId: string;
  botName: string | undefined;
  iterations: number;
  intervalMs: number;
  symbol: string | undefined;
  brokerSymbol: string | undefined;
  qty: number;
  bars: number;
  dataset: string;
  model: string;
  strict: boolean;
  timeoutMs: number;
  fillWaitMs: number;
}

export const DEFAULTS = {
  botName: 'reference-bot',
  iterations: 3,
  intervalMs: 1_000,
  qty: 1,
  bars: 120,
  model: 'gpt-4o-mini',
  timeoutMs: 10_000,
  fillWaitMs: 3_000,
  databentoSymbol: 'ES.c.0',
  polygonSymbol: 'SPY',
} as const;

const BOT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,127}$/;
const SYMBOL_RE = /^[A-Za-z0-9._:/^=$-]{1,64}$/;

/** A stable UUID (v5 layout) for a bot name: the same name is the same bot across runs. */
export function botIdForName(name: string): string {
  const h = createHash('sha1').update(`observatory/reference-bot/${name}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

function int(v: number | string | undefined, flag: string, def: number, min: number, max: number): number {
  if (v === undefined || v === '') return def;
  const n = typeof v === 'number' ? v : /^\d+$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag}: expected an integer ${min}–${max}`);
  return n;
}

/** Validates the options; every problem is a usage error (exit 64). */
export function normalizeOptions(o: BotRunOptions): NormalizedOptions {
  const mode = String(o.mode ?? '')
    .trim()
    .toLowerCase();
  // which modes the bot runs comes from the one mode definition (core/modes.ts)
  const runs = referenceBotModes();
  if ((MODES as readonly string[]).includes(mode) && !runs.includes(mode as Mode))
    throw new UsageError(
      `--mode ${mode} is refused: the reference bot trades paper (broker demo host) or shadow (simulated) only`,
      `use --mode ${runs.join(' or --mode ')}`,
    );
  if (mode !== 'paper' && mode !== 'shadow') throw new UsageError(`--mode: expected ${runs.join(' or ')}`);
  if (o.bot !== undefined && !isUuid(o.bot)) throw new UsageError('--bot: expected a bot UUID');
  if (o.botName !== undefined && !BOT_NAME_RE.test(o.botName)) throw new UsageError('--bot-name: expected 1–128 letters, digits, space, _ . : -');
  for (const [flag, v] of [
    ['--symbol', o.symbol],
    ['--broker-symbol', o.brokerSymbol],
  ] as const)
    if (v !== undefined && !SYMBOL_RE.test(v)) throw new UsageError(`${flag}: expected a symbol: letters, digits, . _ : / ^ = $ - (max 64)`);
  if (o.dataset !== undefined && !/^[A-Z0-9]{2,16}\.[A-Z0-9]{2,16}$/.test(o.dataset))
    throw new UsageError('--dataset: expected a Databento dataset id like GLBX.MDP3');
  if (o.model !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(o.model)) throw new UsageError('--model: expected a model name like gpt-4o-mini');
  const botName = o.botName ?? (o.bot ? undefined : DEFAULTS.botName);
  return {
    mode,
    botId: (o.bot ?? botIdForName(botName ?? DEFAULTS.botName)).toLowerCase(),
    botName,
    iterations: int(o.iterations, '--iterations', DEFAULTS.iterations, 1, 10_000),
    intervalMs: int(o.intervalMs, '--interval-ms', DEFAULTS.intervalMs, 0, 3_600_000),
    symbol: o.symbol,
    brokerSymbol: o.brokerSymbol,
    qty: int(o.qty, '--qty', DEFAULTS.qty, 1, 10_000),
    bars: int(o.bars, '--bars', DEFAULTS.bars, 2, 5_000),
    dataset: o.dataset ?? DEFAULT_DATASET,
    model: o.model ?? DEFAULTS.model,
    strict: Boolean(o.strict),
    timeoutMs: int(o.timeoutMs, '--timeout-ms', DEFAULTS.timeoutMs, 100, 600_000),
    fillWaitMs: int(o.fillWaitMs, '--fill-wait-ms', DEFAULTS.fillWaitMs, 0, 600_000),
  };
}
