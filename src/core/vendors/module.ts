/**
 * What one integration module (src/core/vendors/<name>.ts) declares, and the contexts its
 * probe and clients run in. Everything per-vendor lives in the module; the registry, the probe
 * dispatch, the sanitizer's built-in secret names, the catalog's producers and the runner all
 * read the list in ./index.ts. Adding a vendor = one module file + one line in that list.
 */
import type pg from 'pg';
import type { VariableGroup } from '../catalog.js';
import type { IntegrationKind, Mode, ProbeOutcome, ReasonCode } from '../types.js';
import type { TokenCache } from './session.js';

export interface VendorModule {
  /** the integration's name: registry key, `integration` of probes and usage events */
  name: string;
  /** how people write it: "Databento" */
  label: string;
  /** marketdata and broker modules are members of the any-of requirement group of that name (index.ts) */
  kind: Exclude<IntegrationKind, 'custom'>;
  description: string;
  /** env vars that must all be present and non-empty for "connected" and before the probe may run */
  envVars: readonly string[];
  /** env vars whose values are secrets (registered with the sanitizer); default: all of envVars */
  secretEnvVars?: readonly string[];
  /** user/password env pairs sent base64-encoded (basic auth): the sanitizer also knows the pair; null = empty password */
  credentialPairs?: ReadonlyArray<readonly [user: string, password: string | null]>;
  /** how the vendor is reached; absent for in-process checks (they take no base_url) */
  http?: VendorHttp;
  /** modes that require this integration on its own (group members leave it empty) */
  requiredFor?: readonly Mode[];
  /** departures from the default probe timing */
  timing?: { intervalMs?: number; failuresBeforeBlocked?: number };
  /** where to look when it fails, for modules without `http` ("DATABASE_URL") */
  configHint?: string;
  /** fixes that replace the shared ones (fixes.ts) for these reason codes */
  fixes?: Partial<Record<ReasonCode, string>>;
  /** catalog variable groups computed from this integration's data (catalog.ts "sources") */
  produces: readonly VariableGroup[];
  /**
   * One probe attempt. `baseUrl` is the validated http(s) base ('' for modules without `http`).
   * runProbe enforces the deadline and turns a throw into CHECK_FAILED.
   */
  probe(rc: RunContext, baseUrl: string): Promise<Verdict>;
  /** what the reference runner calls: the vendor's protocol only (bot logic stays in src/runner) */
  client?: VendorClients;
  /** this file (import.meta.url): its declarations judge config files, so it feeds the trust digest */
  source: string;
}

export interface VendorHttp {
  /** `<PREFIX>_BASE_URL` overrides the base URL; `<PREFIX>_ENV` = demo | live picks between hosts */
  envPrefix: string;
  /** one URL, or the documented demo and live hosts (demo unless `<PREFIX>_ENV=live`) */
  baseUrl: string | { demo: string; live: string };
  statusPage?: string;
}

export interface VendorClients {
  marketdata?: MarketDataClient;
  broker?: BrokerFactory;
  chat?: ChatClient;
}

// ───────────────────────────────────────────── probes

/** What a probe needs from its caller. */
export interface ProbeContext {
  /** environment holding the vendor credentials (read at request time, never copied) */
  env: NodeJS.ProcessEnv;
  /** W3C trace-id (32 hex) sent as `traceparent` and returned in the result */
  traceId: string;
  /** cancels the probe (daemon shutdown); the result is then UPSTREAM_TIMEOUT "aborted" */
  signal?: AbortSignal;
  /** Observatory's own store, for the `postgres` probe */
  pool?: pg.Pool;
  /** the `risk_limits` object of the config file, for the `risk_engine` probe */
  riskLimits?: Record<string, unknown>;
  /** one per process (daemon), shared by every probe round */
  tokenCache: TokenCache;
  /** wall clock (ms since epoch) used for token expiry; defaults to Date.now */
  now?: () => number;
}

/** ProbeContext plus what runProbe derives for this one attempt. */
export interface RunContext extends ProbeContext {
  /** aborts at the probe's deadline or when the caller's signal aborts */
  signal: AbortSignal;
  timeoutMs: number;
  now: () => number;
  integration: string;
}

/** What one probe concluded, before latency and trace-id are attached. */
export interface Verdict {
  outcome: ProbeOutcome;
  httpStatus?: number;
  /** fixed wording; sanitized again (redactString + one line) before it is returned */
  message?: string;
  /** what the vendor said about the account (Tradovate `hasLive`, Ironbeam `isLive`) */
  accountLive?: boolean;
  /** the vendor asked not to be called again for this long (ProbeResult.retryAfterMs) */
  retryAfterMs?: number;
}

// ───────────────────────────────────────────── runner clients

export interface CallCtx {
  traceId: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** One OHLCV bar, time = bar start (ms since epoch, UTC). */
export interface OhlcvBar {
  t: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface BarsRequest extends CallCtx {
  symbol: string;
  /** how many of the latest bars are wanted */
  bars: number;
  now?: () => number;
  /** Databento dataset */
  dataset?: string;
}

export interface BarsResult {
  /** as the vendor sent them (any order, possibly invalid): the runner normalizes and keeps the latest */
  bars: OhlcvBar[];
  /** the vendor's own instrument symbol when it names one (Databento map_symbols: "ESZ5") */
  instrument: string | null;
  /** the vendor endpoint, for the event metadata */
  endpoint: string;
  /** the vendor said the data is delayed (Polygon status DELAYED): still data, but not real-time */
  delayed?: boolean;
}

export interface MarketDataClient {
  /** the symbol asked for when the operator names none */
  defaultSymbol: string;
  /** usage-event metadata known before the call (endpoint, dataset…) */
  eventMetadata(opts: { dataset: string }): Record<string, unknown>;
  bars(baseUrl: string, env: NodeJS.ProcessEnv, req: BarsRequest): Promise<BarsResult>;
}

export type Side = 'buy' | 'sell';

export interface PaperOrder {
  symbol: string;
  side: Side;
  qty: number;
}

export interface BrokerFill {
  qty: number;
  price: number | null;
}

export interface BrokerClient {
  readonly name: string;
  placeOrder(order: PaperOrder, call: CallCtx): Promise<{ orderId: string }>;
  /** fills the broker reports for the order (possibly none yet) */
  fills(orderId: string, call: CallCtx): Promise<BrokerFill[]>;
  /** cancels a working order (the kill switch); absent when this client cannot cancel */
  cancelOrder?(orderId: string, call: CallCtx): Promise<void>;
}

export interface BrokerFactory {
  /** a session against `baseUrl` (tokens and account ids live in it, for the run only) */
  open(baseUrl: string, env: NodeJS.ProcessEnv): BrokerClient;
  /**
   * The symbol in the form this broker's order API takes, or null when it cannot trade it (an
   * equity such as Polygon's SPY at a futures broker, a continuous symbol, an unknown root): the
   * runner refuses such an order before sending anything.
   */
  symbol(symbol: string, now?: number): string | null;
}

export interface ChatRequest {
  model: string;
  messages: Array<{ role: 'system' | 'user'; content: string }>;
  maxCompletionTokens: number;
}

export interface ChatReply {
  /** the first choice's text ('' when there is none); stays in memory */
  content: string;
  promptTokens: number | null;
  completionTokens: number | null;
}

export interface ChatClient {
  chat(baseUrl: string, env: NodeJS.ProcessEnv, req: ChatRequest, call: CallCtx): Promise<ChatReply>;
}
