/**
 * The wire shapes of core/views.ts as zod schemas: the source of the OpenAPI document
 * (daemon/openapi.ts) and of the contract test. A separate module so that views.ts — on the
 * `gate check` path — does not load zod; the compile-time checks at the end keep each schema
 * and its view type the same shape (a field added to one and not the other fails `tsc`).
 */
import { z } from 'zod';
import { MODES, REASON_CODES, STATUSES, type Blocker } from './types.js';
import { EVENT_STATUSES } from './event-rules.js';
import { VARIABLE_GROUPS } from './catalog.js';
import { TERMINAL_STATES } from './db/runs.js';
import type {
  AutonomyView,
  BotProofView,
  BotsView,
  DaemonInfo,
  EventsView,
  HistoryView,
  TraceView,
  IntegrationEventsView,
  IntegrationRow,
  SystemStatusView,
  SessionApiView,
  TradingStateView,
  TradingChangeView,
  TradingCheckView,
  VariablesView,
} from './views.js';
import type { RunView } from './db/runs.js';

const traceId = z.string().regex(/^[0-9a-f]{32}$/);
const isoTime = z.string().describe('ISO 8601 timestamp');
const mode = z.enum(MODES);
const status = z.enum(STATUSES);
const gateStatus = z.enum([...STATUSES, 'UNKNOWN']);
const readFrom = z
  .object({ standby: z.literal(true), data_age_seconds: z.number().nullable() })
  .describe('present only when the read came from a standby (a host list that asks for one)');
const sessionReason = z.object({
  kind: z.enum(['session', 'maintenance', 'pause', 'weekend', 'holiday', 'early_close', 'override']),
  name: z.string().nullable(),
});
const marketSessionSchema = z
  .object({
    group: z.string(),
    at: isoTime,
    time_zone: z.string(),
    state: z.enum(['open', 'closed', 'break']),
    reason: sessionReason,
    trade_date: z.string().nullable(),
    session_open: isoTime.nullable(),
    session_close: isoTime.nullable(),
    early_close: sessionReason.nullable(),
    next_open: isoTime.nullable(),
    next_close: isoTime.nullable(),
    seconds_to_next_change: z.number().nullable(),
    summary: z.string(),
    session_open_local: z.string().nullable(),
    session_close_local: z.string().nullable(),
    next_open_local: z.string().nullable(),
  })
  .meta({ id: 'MarketSession' });
const scopeInForce = z
  .object({
    scope: z.enum(['global', 'account', 'bot', 'integration']),
    target: z.string(),
    state: z.enum(['REDUCING', 'HALTED']),
    actor: z.string(),
    reason: z.string(),
    since: isoTime,
    expires_at: isoTime.nullable(),
    trace_id: traceId,
    change_id: z.string(),
  })
  .meta({ id: 'TradingScopeInForce' });

export const blockerSchema = z
  .object({
    code: z.enum(REASON_CODES),
    message: z.string(),
    fix: z.string(),
    integration: z.string().nullable(),
    trace_id: traceId.nullable(),
    trading_state: z
      .object({
        scope: z.string(),
        target: z.string(),
        state: z.string(),
        actor: z.string(),
        reason: z.string(),
        since: isoTime,
        expires_at: isoTime.nullable(),
      })
      .optional(),
    blocks_bots: z.number().int().optional(),
  })
  .meta({ id: 'Blocker' });

export const daemonInfoSchema = z
  .object({
    fresh: z.boolean(),
    heartbeat_age_ms: z.number().nullable(),
    daemons: z.number().int(),
    leader: z.string().nullable(),
    live_trading_enabled: z.boolean(),
    last_stopped_age_ms: z.number().nullable(),
  })
  .meta({ id: 'DaemonInfo' });

export const integrationRowSchema = z
  .object({
    name: z.string(),
    kind: z.string(),
    connected: z.boolean(),
    status,
    display_status: z.enum([...STATUSES, 'MAINTENANCE']),
    maintenance: z.object({ window: z.string(), since: isoTime, until: isoTime }).nullable(),
    required_for_autonomy: z.boolean(),
    required_for: z.array(mode),
    required_groups: z.array(z.string()),
    last_probe_at: isoTime.nullable(),
    last_ok_at: isoTime.nullable(),
    latency_ms: z.number().nullable(),
    reason_code: z.string().nullable(),
    reason_human: z.string().nullable(),
    trace_id: traceId.nullable(),
    injected: z.boolean(),
    endpoint: z.enum(['default', 'custom']),
    environment: z.enum(['demo', 'live']).nullable(),
    account_live: z.boolean().nullable(),
    blocks_bots: z.number().int().nullable(),
  })
  .meta({ id: 'IntegrationRow' });

export const systemStatusSchema = z
  .object({
    success: z.boolean(),
    trace_id: traceId,
    ts: isoTime,
    mode,
    integrations: z.array(integrationRowSchema),
    autonomy: z.object({ global_status: gateStatus, blockers: z.array(blockerSchema), warnings: z.array(blockerSchema) }),
    daemon: daemonInfoSchema.nullable(),
    read_from: readFrom.optional(),
    market: marketSessionSchema.nullable().optional(),
    trading_state: z.array(scopeInForce),
  })
  .meta({ id: 'SystemStatus' });

export const autonomySchema = z
  .object({
    success: z.boolean(),
    trace_id: traceId,
    ts: isoTime,
    mode,
    bot_id: z.string().nullable(),
    bot_ref: z.string().nullable(),
    global_status: gateStatus,
    blockers: z.array(blockerSchema),
    warnings: z.array(blockerSchema),
    daemon: daemonInfoSchema.nullable(),
    read_from: readFrom.optional(),
    at: isoTime.nullable().optional(),
    market: marketSessionSchema.nullable().optional(),
  })
  .meta({ id: 'Autonomy' });

const envelope = { success: z.literal(true), trace_id: traceId, ts: isoTime, read_from: readFrom.optional() };

export const topBotSchema = z
  .object({
    bot_id: z.string(),
    name: z.string().nullable(),
    calls: z.number(),
    ok: z.number(),
    error: z.number(),
    blocked: z.number(),
    records: z.number(),
    integrations: z.array(z.string()),
    last_at: isoTime,
  })
  .meta({ id: 'TopBot' });

export const botsSchema = z.object({ ...envelope, window_hours: z.number().int(), bots: z.array(topBotSchema) }).meta({ id: 'Bots' });

const reasonCount = z.object({ reason_code: z.string(), count: z.number(), last_at: isoTime, last_trace_id: traceId });
const counts = { calls: z.number(), ok: z.number(), error: z.number(), blocked: z.number(), records: z.number() };

export const runSchema = z
  .object({
    id: z.string(),
    bot_id: z.string(),
    user_id: z.string().nullable(),
    mode,
    job_kind: z.string(),
    status: z.enum(['RUNNING', ...TERMINAL_STATES]),
    started_at: isoTime,
    heartbeat_at: isoTime,
    heartbeat_age_s: z.number(),
    ended_at: isoTime.nullable(),
    terminal_state: z.enum(TERMINAL_STATES).nullable(),
    reason_code: z.string().nullable(),
    trace_id: traceId,
  })
  .meta({ id: 'Run' });

const integrationProof = z.object({
  integration: z.string(),
  simulated: z.boolean(),
  used: z.boolean(),
  ...counts,
  last_at: isoTime,
  last_trace_id: traceId,
  last_ok_at: isoTime.nullable(),
  last_ok_trace_id: traceId.nullable(),
  operations: z.array(z.object({ operation: z.string(), ...counts })),
  market_data: z.object({ calls: z.number(), bars: z.number() }).nullable(),
  broker: z
    .object({
      order_intents: z.object({
        total: z.number(),
        ok: z.number(),
        error: z.number(),
        blocked: z.number(),
        place: z.number(),
        modify: z.number(),
        cancel: z.number(),
      }),
      fills: z.object({ LIVE: z.number(), PAPER: z.number(), SIM: z.number() }),
      used_live_or_paper: z.boolean(),
    })
    .nullable(),
  ai: z.object({ calls: z.number(), models: z.array(z.object({ model: z.string(), calls: z.number() })) }).nullable(),
  risk: z.object({ checks: z.number(), violations: z.number() }).nullable(),
  errors: z.array(reasonCount),
  blocked_attempts: z.array(reasonCount),
});

export const botProofSchema = z
  .object({
    ...envelope,
    proof: z.object({
      bot: z.object({ id: z.string(), name: z.string().nullable(), last_seen_at: isoTime.nullable() }),
      window: z.object({ hours: z.number(), since: isoTime, until: isoTime }),
      last_run: runSchema
        .pick({
          id: true,
          mode: true,
          job_kind: true,
          status: true,
          started_at: true,
          heartbeat_at: true,
          heartbeat_age_s: true,
          ended_at: true,
          terminal_state: true,
          reason_code: true,
          trace_id: true,
        })
        .nullable(),
      integrations: z.array(integrationProof),
      blocked_attempts: z.array(reasonCount.extend({ integration: z.string() })),
    }),
    market_time: z
      .object({
        group: z.string(),
        state: z.enum(['open', 'closed', 'break']),
        reason: sessionReason,
        next_open: isoTime.nullable(),
        next_close: isoTime.nullable(),
        running: z.boolean(),
        last_market_data_at: isoTime.nullable(),
        last_market_data_trace_id: traceId.nullable(),
        open_seconds_since_last: z.number().nullable(),
        bound_s: z.number(),
        stale: z.boolean(),
        blocker: blockerSchema.nullable(),
        note: z.string(),
      })
      .nullable()
      .optional(),
    custom_endpoints: z.array(z.string()).optional(),
  })
  .meta({ id: 'BotProof' });

export const variablesSchema = z
  .object({
    ...envelope,
    variables: z.array(
      z.object({
        name: z.string(),
        type: z.enum(['number', 'bool', 'string']),
        group: z.enum(VARIABLE_GROUPS),
        sources: z.array(z.string()),
        definition: z.string(),
        availability: status,
        availability_reason: z.enum(['NO_PRODUCER', 'SOURCE_DEGRADED', 'SOURCE_BLOCKED']).nullable(),
        produced_by: z.array(z.string()),
        source_status: z.record(z.string(), status.nullable()),
        last_seen_at: isoTime.nullable(),
        last_bot_id: z.string().nullable(),
        last_trace_id: traceId.nullable(),
        sightings: z.number(),
        last_seen_simulated: z.boolean(),
      }),
    ),
    uncatalogued: z.array(
      z.object({
        name: z.string(),
        last_seen_at: isoTime,
        last_bot_id: z.string().nullable(),
        last_trace_id: traceId,
        sightings: z.number(),
        last_simulated: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'Variables' });

export const eventViewSchema = z
  .object({
    id: z.string(),
    created_at: isoTime,
    user_id: z.string().nullable(),
    bot_id: z.string().nullable(),
    run_id: z.string().nullable(),
    integration: z.string(),
    operation: z.string(),
    status: z.enum(EVENT_STATUSES),
    latency_ms: z.number().nullable(),
    symbol: z.string().nullable(),
    timeframe: z.string().nullable(),
    records: z.number().nullable(),
    reason_code: z.string().nullable(),
    trace_id: traceId,
    metadata: z.record(z.string(), z.unknown()),
    simulated: z.boolean(),
  })
  .meta({ id: 'UsageEvent' });

export const probeRowSchema = z
  .object({
    integration: z.string(),
    probed_at: isoTime,
    status,
    outcome: z.string(),
    http_status: z.number().nullable(),
    latency_ms: z.number().nullable(),
    reason_code: z.string().nullable(),
    reason_message: z.string().nullable(),
    trace_id: traceId,
    injected: z.boolean(),
    daemon_id: z.string().nullable(),
  })
  .meta({ id: 'Probe' });

export const eventsSchema = z.object({ ...envelope, events: z.array(eventViewSchema) }).meta({ id: 'Events' });

export const integrationEventsSchema = z
  .object({ ...envelope, integration: z.string(), events: z.array(eventViewSchema), probes: z.array(probeRowSchema) })
  .meta({ id: 'IntegrationEvents' });

const historyKey = z.enum(['OK', 'DEGRADED', 'BLOCKED', 'MAINTENANCE']);

const faultSchema = z.object({
  id: z.string(),
  integration: z.string(),
  http_status: z.number().nullable(),
  latency_ms: z.number().nullable(),
  created_at: isoTime,
  expires_at: isoTime,
  cleared_at: isoTime.nullable(),
  created_by: z.string().nullable(),
  trace_id: traceId,
});

const tradingStateEnum = z.enum(['ACTIVE', 'REDUCING', 'HALTED']);
export const tradingChangeSchema = z
  .object({
    id: z.string(),
    scope: z.enum(['global', 'account', 'bot', 'integration']),
    target: z.string(),
    state: tradingStateEnum,
    previous_state: tradingStateEnum,
    kind: z.enum(['change', 'request', 'confirm']),
    confirms: z.string().nullable(),
    actor: z.string(),
    reason: z.string(),
    created_at: isoTime,
    expires_at: isoTime.nullable(),
    trace_id: traceId,
  })
  .meta({ id: 'TradingStateChange' });

export const traceHitSchema = z
  .discriminatedUnion('source', [
    z.object({ source: z.literal('probe'), at: isoTime, row: probeRowSchema }),
    z.object({ source: z.literal('usage_event'), at: isoTime, row: eventViewSchema }),
    z.object({ source: z.literal('run'), at: isoTime, row: runSchema }),
    z.object({
      source: z.literal('blocker_source'),
      at: isoTime.nullable(),
      row: z.object({
        integration: z.string(),
        status,
        reason_code: z.string().nullable(),
        reason_message: z.string().nullable(),
        last_probe_at: isoTime.nullable(),
      }),
    }),
    z.object({ source: z.literal('fault_drill'), at: isoTime, row: faultSchema }),
    z.object({
      source: z.literal('variable_sighting'),
      at: isoTime,
      row: z.object({ variable: z.string(), last_seen_at: isoTime, last_bot_id: z.string().nullable() }),
    }),
    z.object({
      source: z.literal('trading_state_change'),
      at: isoTime,
      row: tradingChangeSchema,
    }),
  ])
  .meta({ id: 'TraceHit' });

const traceSource = z.enum(['probe', 'usage_event', 'run', 'blocker_source', 'fault_drill', 'variable_sighting', 'trading_state_change']);

export const traceViewSchema = z
  .object({
    ...envelope,
    id: z.string(),
    found: z.number().int(),
    hits: z.array(traceHitSchema),
    searched: z.array(traceSource),
    truncated: z.array(traceSource),
  })
  .meta({ id: 'Trace' });

export const historyViewSchema = z
  .object({
    ...envelope,
    integration: z.string(),
    stale_after_s: z.number(),
    since: isoTime,
    until: isoTime,
    current: historyKey,
    transitions: z.array(z.object({ at: isoTime, from: historyKey, to: historyKey, reason_code: z.string().nullable(), trace_id: traceId.nullable() })),
    time_in_status_s: z.object({ OK: z.number(), DEGRADED: z.number(), BLOCKED: z.number(), MAINTENANCE: z.number() }),
    uptime_pct: z.number().nullable(),
    flaps: z.number().int(),
    flap_window_s: z.number(),
    outages: z.number().int(),
  })
  .meta({ id: 'History' });

// ─── market session and the kill switch ─────────────────────────────────────────────

export const sessionApiSchema = z.object({ ...envelope, ...marketSessionSchema.shape }).meta({ id: 'Session' });

export const tradingStateViewSchema = z
  .object({
    ...envelope,
    global: tradingStateEnum,
    in_force: z.array(scopeInForce),
    pending: z.array(tradingChangeSchema),
    recent: z.array(tradingChangeSchema),
  })
  .meta({ id: 'TradingState' });

export const tradingChangeViewSchema = z
  .object({ ...envelope, change: tradingChangeSchema, pending: z.boolean(), in_force: z.array(scopeInForce) })
  .meta({ id: 'TradingChange' });

export const tradingCheckViewSchema = z
  .object({
    ...envelope,
    decision: z.object({
      allowed: z.boolean(),
      state: tradingStateEnum,
      reason_code: z.enum(['HALTED', 'REDUCING']).nullable(),
      message: z.string(),
      cause: scopeInForce.nullable(),
    }),
    event_id: z.string().nullable(),
  })
  .meta({ id: 'TradingCheck' });

// ─── one source: each schema's shape is its view type's shape ─────────────────────────
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
function same<A, B>(ok: Same<A, B>): void {
  void ok;
}
same<z.infer<typeof blockerSchema>, Blocker>(true);
same<z.infer<typeof daemonInfoSchema>, DaemonInfo>(true);
same<z.infer<typeof integrationRowSchema>, IntegrationRow>(true);
same<z.infer<typeof systemStatusSchema>, SystemStatusView>(true);
same<z.infer<typeof autonomySchema>, AutonomyView>(true);
same<z.infer<typeof botsSchema>, BotsView>(true);
same<z.infer<typeof botProofSchema>, BotProofView>(true);
same<z.infer<typeof variablesSchema>, VariablesView>(true);
same<z.infer<typeof eventsSchema>, EventsView>(true);
same<z.infer<typeof integrationEventsSchema>, IntegrationEventsView>(true);
same<z.infer<typeof runSchema>, RunView>(true);
same<z.infer<typeof traceViewSchema>, TraceView>(true);
same<z.infer<typeof historyViewSchema>, HistoryView>(true);
same<z.infer<typeof sessionApiSchema>, SessionApiView>(true);
same<z.infer<typeof tradingStateViewSchema>, TradingStateView>(true);
same<z.infer<typeof tradingChangeViewSchema>, TradingChangeView>(true);
same<z.infer<typeof tradingCheckViewSchema>, TradingCheckView>(true);
