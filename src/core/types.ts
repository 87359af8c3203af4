/**
 * Shared vocabulary of integrations, probes, statuses and the gate. Pure types: the registry
 * (vendors/registry.ts), the probes (vendors/probe.ts and the modules), status rules
 * (status.ts) and gate rules (autonomy.ts) all speak these.
 */

export const MODES = ['live', 'paper', 'shadow'] as const;
export type Mode = (typeof MODES)[number];

export const STATUSES = ['OK', 'DEGRADED', 'BLOCKED'] as const;
export type Status = (typeof STATUSES)[number];
/** The gate adds UNKNOWN: no verdict could be reached (store unreachable, bad config…). */
export type GateStatus = Status | 'UNKNOWN';

export type IntegrationKind = 'marketdata' | 'broker' | 'ai' | 'store' | 'risk' | 'custom';

/** Every reason code the product can show, in one list (README documents each). */
export const REASON_CODES = [
  // integration status (core/status.ts)
  'MISSING_CREDENTIALS',
  'NEVER_PROBED',
  'PROBE_STALE',
  'AUTH_REJECTED',
  'RATE_LIMITED',
  'SLOW_RESPONSE',
  'UPSTREAM_5XX',
  'UPSTREAM_4XX',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_NETWORK',
  'UPSTREAM_BAD_RESPONSE',
  'CHECK_FAILED',
  'FAULT_INJECTED',
  'ENTITLEMENT_DENIED', // the key works but the plan/licence does not cover what the bot needs
  'QUOTA_EXHAUSTED', // the account is out of quota/credit (not a transient rate limit)
  'VENDOR_PENALTY', // the vendor asked us to stop (penalty ticket, lockout, captcha, long Retry-After)
  'MAINTENANCE', // inside a scheduled maintenance window (blocks like BLOCKED; no incident)
  // gate (core/autonomy.ts)
  'STATUS_UNAVAILABLE',
  'GATE_INPUT_INVALID',
  'DAEMON_STALE',
  'LIVE_TRADING_DISABLED',
  'REQUIREMENT_UNMET',
  'OPTIONAL_NOT_OK',
  'BROKER_NOT_LIVE', // live mode needs a broker proven against its live host and a live account
  'CUSTOM_ENDPOINT', // live mode on a non-default vendor endpoint the config does not allow
  'REQUIREMENT_DISABLED', // the config disabled an integration the mode requires
  'TRADING_HALTED', // kill switch: a HALTED scope covers the mode/bot
  'TRADING_REDUCING', // kill switch: a REDUCING scope forbids starting a new run
  // per bot
  'BOT_UNKNOWN',
  'BOT_RUN_BLOCKED',
  'BOT_RUN_FAILED',
  'BOT_HEARTBEAT_STALE',
  'BOT_BLOCKED_ATTEMPT',
  'BOT_DATA_STALE', // no OK market-data event for longer than the bound, counted in open-market seconds
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** What one probe attempt observed, before status rules apply. */
export type ProbeOutcome =
  | 'OK'
  | 'MISSING_CREDENTIALS'
  | 'AUTH_REJECTED' // 401 / 403
  | 'RATE_LIMITED' // 429
  | 'UPSTREAM_5XX'
  | 'UPSTREAM_4XX' // other 4xx (wrong URL, bad request)
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_NETWORK' // refused, reset, DNS
  | 'UPSTREAM_BAD_RESPONSE' // 2xx with a body that is not what the protocol promises
  | 'CHECK_FAILED' // a self-check (risk engine, custom conditions) failed
  | 'ENTITLEMENT_DENIED' // the key works but the plan/licence does not cover the data (Polygon NOT_AUTHORIZED, Databento 403)
  | 'QUOTA_EXHAUSTED' // the account is out of quota/credit (OpenAI insufficient_quota)
  | 'VENDOR_PENALTY'; // the vendor asked us to stop for a long time (Tradovate captcha, 429/423 lockout)

/** Which of a vendor's documented environments a probe ran against (brokers: the demo or the live host). */
export type VendorEnvironment = 'demo' | 'live';

export interface ProbeResult {
  outcome: ProbeOutcome;
  httpStatus?: number;
  latencyMs: number;
  /** sanitized one-line message (already through redact.sanitizeError / redactString) */
  message?: string;
  traceId: string;
  /** true when a fault injection produced or altered this result */
  injected?: boolean;
  /** the environment whose host the probe called (vendors with demo and live hosts) */
  environment?: VendorEnvironment;
  /** what the vendor reported about the account (Tradovate `hasLive`, Ironbeam `isLive`); absent when it said nothing */
  accountLive?: boolean;
  /** the probe called a base URL that is not the vendor's own (a stand-in, a proxy, a sidecar) */
  customEndpoint?: boolean;
  /**
   * The vendor asked not to be called again for this long (Retry-After, a penalty ticket's
   * p-time, a lockout): the next attempt must not start before probe time + retryAfterMs.
   * The probes hold themselves (vendors/probe.ts); a scheduler may also skip its ticks.
   */
  retryAfterMs?: number;
}

/**
 * How an integration is probed: by its own module under vendors/ (which speaks that vendor's
 * documented protocol; `baseUrl` for the ones reached over HTTP), or by a configured HTTP check.
 */
export type ProbeDef = VendorProbeDef | HttpProbeDef;

export interface VendorProbeDef {
  type: 'vendor';
  /** the module's name (vendors/index.ts) */
  vendor: string;
  baseUrl?: string;
}

export interface HttpProbeDef {
  type: 'http';
  url: string;
  method?: 'GET' | 'HEAD';
  expectStatus?: number[];
  /** header name → env var whose value is sent (e.g. Authorization: Bearer $X) */
  headersFromEnv?: Record<string, string>;
  /** JSON conditions: dotted path → expected value */
  expectJson?: Record<string, string | number | boolean | null>;
  maxLatencyMs?: number;
}

export interface IntegrationSpec {
  name: string;
  kind: IntegrationKind;
  description: string;
  /** env vars that must all be present and non-empty for "connected" */
  envVars: string[];
  /** subset of envVars (and any others) whose values are secrets */
  secretEnvVars: string[];
  probe: ProbeDef;
  intervalMs: number;
  timeoutMs: number;
  degradedLatencyMs: number;
  /** consecutive failures before DEGRADED (Consul-style hysteresis) */
  failuresBeforeDegraded: number;
  /** consecutive failures before BLOCKED */
  failuresBeforeBlocked: number;
  /** consecutive successes before OK again after a failure */
  successesBeforeOk: number;
  /** a probe older than this reads as PROBE_STALE (default 3 × interval) */
  staleAfterMs: number;
  /** modes that require this integration on its own */
  requiredFor: Mode[];
  /** actionable fix per reason code; names env vars, never values */
  fixes: Partial<Record<ReasonCode, string>>;
}

/** "Any one of" requirement: e.g. live needs a broker, ironbeam or tradovate. */
export interface RequirementGroup {
  name: string;
  anyOf: string[];
  modes: Mode[];
  fix: string;
}

/** A built-in requirement the config file dropped (enabled: false, or required_for without a mode it had). */
export interface DroppedRequirement {
  integration: string;
  /** the modes whose requirement was dropped */
  modes: Mode[];
  /** the config field that dropped it */
  field: 'enabled' | 'required_for';
}

export interface Registry {
  integrations: IntegrationSpec[];
  groups: RequirementGroup[];
  /** integrations the operator allows on a non-default endpoint in live mode (config `allow_custom_endpoints`) */
  allowCustomEndpoints?: string[];
  /** built-in requirements the config dropped: the gate blocks those modes (REQUIREMENT_DISABLED) */
  dropped?: DroppedRequirement[];
}

/** One row of integration_state, as the status rules read and write it. */
export interface IntegrationState {
  integration: string;
  connected: boolean;
  status: Status;
  reasonCode: ReasonCode | null;
  reasonMessage: string | null;
  lastProbeAt: Date | null;
  lastOkAt: Date | null;
  latencyMs: number | null;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  lastTraceId: string | null;
  injected: boolean;
  /** evidence of the last probe: the environment it ran against, what the vendor said of the account, a custom endpoint */
  environment: VendorEnvironment | null;
  accountLive: boolean | null;
  customEndpoint: boolean;
}

export interface Blocker {
  code: ReasonCode;
  message: string;
  fix: string;
  integration: string | null;
  trace_id: string | null;
  /** kill-switch blockers (TRADING_HALTED / TRADING_REDUCING): the scope, who set it, why and since when */
  trading_state?: { scope: string; target: string; state: string; actor: string; reason: string; since: string; expires_at: string | null };
  /** on an integration's outage: how many bots (that used it in the last 24 h) it stops */
  blocks_bots?: number;
}
