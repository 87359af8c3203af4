/**
 * The one definition of an incoming usage event, shared by the SDK (src/sdk/recorder.ts) and
 * the HTTP ingest endpoint. `validateBatch` either returns clean, sanitized rows ready for
 * storage, or one `{index, field, message}` per problem for EVERY bad event. Messages name
 * the field and what is expected, never the value (it could be a secret).
 */
import { z } from 'zod';
import { DEFAULT_METADATA_LIMITS, isSecretShaped, MetadataRejected, redactString, sanitizeMetadata, type MetadataLimits } from './redact.js';
import { isTraceId, newEventId, newTraceId, uuidv7Time } from './trace.js';
import { SIMULATOR } from './modes.js';

import {
  EVENT_STATUSES,
  PROVENANCES,
  INTEGRATION_RE,
  REASON_CODE_RE,
  OPERATION_RE,
  VARIABLE_NAME_RE,
  FILL_OPERATION,
  MAX_FEATURE_KEYS,
  MAX_AGE_MS,
  MAX_FUTURE_SKEW_MS,
  NIL_UUID,
  type EventStatus,
} from './event-rules.js';
export * from './event-rules.js';

const SYMBOL_RE = /^[A-Za-z0-9._:/^=$ -]{1,64}$/;
const TIMEFRAME_RE = /^[A-Za-z0-9_.:-]{1,32}$/;
const INT32_MAX = 2_147_483_647;

/** A stored event: the columns of integration_usage_events, snake_case. */
export interface EventRow {
  id: string;
  created_at: Date;
  user_id: string | null;
  bot_id: string | null;
  run_id: string | null;
  integration: string;
  operation: string;
  status: EventStatus;
  latency_ms: number | null;
  symbol: string | null;
  timeframe: string | null;
  records: number | null;
  reason_code: string | null;
  trace_id: string;
  metadata: Record<string, unknown>;
}

/** What a writer sends. Optional fields default: id and trace_id generated, created_at now. */
export interface EventInput {
  id?: string;
  created_at?: string | Date;
  user_id?: string | null;
  bot_id?: string | null;
  run_id?: string | null;
  integration: string;
  operation: string;
  status: EventStatus;
  latency_ms?: number | null;
  symbol?: string | null;
  timeframe?: string | null;
  records?: number | null;
  reason_code?: string | null;
  trace_id?: string | null;
  metadata?: Record<string, unknown> | null;
}

export interface EventIssue {
  index: number;
  field: string;
  message: string;
}

export type BatchResult = { ok: true; rows: EventRow[] } | { ok: false; errors: EventIssue[] };

export interface ValidateOptions {
  metadataLimits?: MetadataLimits;
  maxEvents?: number;
  /** injectable clock for tests */
  now?: () => number;
}

const uuidOrNull = z.uuid({ message: 'expected a UUID' }).nullish();
const intOrNull = (max: number) => z.number().int('expected an integer').min(0, 'expected ≥ 0').max(max, `expected ≤ ${max}`).nullish();

/** Plain-field shape; cross-field rules and metadata run after it (see validateOne). */
export const eventSchema = z
  .object({
    id: z.uuid({ message: 'expected a UUID' }).optional(),
    created_at: z.union([z.date(), z.iso.datetime({ offset: true, message: 'expected an ISO 8601 timestamp with zone' })]).optional(),
    user_id: uuidOrNull,
    bot_id: uuidOrNull.refine((v) => v !== NIL_UUID, 'the nil UUID is reserved (use null for no bot)'),
    run_id: uuidOrNull,
    integration: z.string().regex(INTEGRATION_RE, 'expected a lowercase name: a-z, 0-9, _ (max 63)'),
    operation: z.string().regex(OPERATION_RE, 'expected an identifier like "marketdata.bars" (max 128)'),
    status: z.enum(EVENT_STATUSES, { message: 'expected OK, ERROR or BLOCKED' }),
    latency_ms: intOrNull(INT32_MAX),
    symbol: z.string().regex(SYMBOL_RE, 'expected a symbol: letters, digits, ._:/^=$- (max 64)').nullish(),
    timeframe: z.string().regex(TIMEFRAME_RE, 'expected a timeframe like "1m" (max 32)').nullish(),
    records: intOrNull(INT32_MAX),
    reason_code: z.string().regex(REASON_CODE_RE, 'expected an upper-case code like UPSTREAM_5XX (max 64)').nullish(),
    trace_id: z
      .string()
      .refine((v) => isTraceId(v), 'expected 32 lowercase hex digits, not all zero')
      .nullish(),
    metadata: z.record(z.string(), z.unknown(), { message: 'expected a JSON object' }).nullish(),
  })
  .strict();

/**
 * Fast path for well-formed events: hand checks of exactly the rules of `eventSchema` (same
 * regexes — zod's own for UUIDs and timestamps). It only ever ACCEPTS; anything it is not sure
 * of (a bad field, an unusual shape) returns undefined and the event goes through zod, which
 * produces the error messages. tests/events-schema.test.ts runs every case through both.
 */
const UUID_RE = z.regexes.uuid();
const DATETIME_RE = z.regexes.datetime({ offset: true, local: false, precision: undefined } as Parameters<typeof z.regexes.datetime>[0]);
const EVENT_KEYS = new Set(Object.keys(eventSchema.shape));
const STATUS_SET = new Set<unknown>(EVENT_STATUSES);

const nullishMatch = (v: unknown, re: RegExp): boolean => v === undefined || v === null || (typeof v === 'string' && re.test(v));
const nullishInt = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= INT32_MAX);

type ParsedEvent = z.infer<typeof eventSchema>;

/** @internal exported for tests: the fast path's verdict (undefined = "ask zod") */
export function fastParse(raw: Record<string, unknown>): ParsedEvent | undefined {
  for (const k in raw) if (!EVENT_KEYS.has(k) || !Object.prototype.hasOwnProperty.call(raw, k)) return undefined;
  const { id, created_at, bot_id, metadata } = raw;
  if (id !== undefined && !(typeof id === 'string' && UUID_RE.test(id))) return undefined;
  if (
    created_at !== undefined &&
    !(created_at instanceof Date ? !Number.isNaN(created_at.getTime()) : typeof created_at === 'string' && DATETIME_RE.test(created_at))
  )
    return undefined;
  if (!nullishMatch(raw.user_id, UUID_RE) || !nullishMatch(raw.run_id, UUID_RE) || !nullishMatch(bot_id, UUID_RE) || bot_id === NIL_UUID) return undefined;
  if (typeof raw.integration !== 'string' || !INTEGRATION_RE.test(raw.integration)) return undefined;
  if (typeof raw.operation !== 'string' || !OPERATION_RE.test(raw.operation)) return undefined;
  if (!STATUS_SET.has(raw.status)) return undefined;
  if (!nullishInt(raw.latency_ms) || !nullishInt(raw.records)) return undefined;
  if (!nullishMatch(raw.symbol, SYMBOL_RE) || !nullishMatch(raw.timeframe, TIMEFRAME_RE) || !nullishMatch(raw.reason_code, REASON_CODE_RE)) return undefined;
  if (raw.trace_id !== undefined && raw.trace_id !== null && !isTraceId(raw.trace_id)) return undefined;
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object' || Array.isArray(metadata)) return undefined;
    const proto = Object.getPrototypeOf(metadata);
    if (proto !== Object.prototype && proto !== null) return undefined;
  }
  return raw as ParsedEvent;
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path.length ? path.map((p) => String(p)).join('.') : '(event)';
}

function validateOne(input: unknown, index: number, now: number, limits: MetadataLimits): EventRow | EventIssue[] {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return [{ index, field: '(event)', message: 'expected a JSON object' }];
  const fast = fastParse(input as Record<string, unknown>);
  const parsed = fast ? ({ success: true, data: fast } as const) : eventSchema.safeParse(input);
  const issues: EventIssue[] = [];
  if (!parsed.success) {
    for (const iss of parsed.error.issues) {
      if (iss.code === 'unrecognized_keys') {
        // the key names come from the writer: bound and redact them before echoing
        for (const k of iss.keys) issues.push({ index, field: redactString(k).slice(0, 64), message: 'unknown field' });
      } else {
        issues.push({ index, field: fieldOf(iss.path), message: iss.message });
      }
    }
  }
  const raw = input as Record<string, unknown>;
  // metadata is checked even when other fields failed, so one answer lists every problem
  let metadata: Record<string, unknown> = {};
  if (raw.metadata !== undefined && raw.metadata !== null && typeof raw.metadata === 'object' && !Array.isArray(raw.metadata)) {
    try {
      metadata = sanitizeMetadata(raw.metadata, limits);
      issues.push(...checkMetadata(metadata, String(raw.operation ?? ''), index));
    } catch (err) {
      if (!(err instanceof MetadataRejected)) throw err;
      issues.push({ index, field: 'metadata', message: err.message });
    }
  } else if (raw.operation === FILL_OPERATION && raw.metadata == null) {
    issues.push({ index, field: 'metadata.provenance', message: 'required for broker.fill: LIVE, PAPER or SIM' });
  }
  if (!parsed.success) return issues;
  const e = parsed.data;

  // simulated activity has its own integration, so no broker ever shows a simulated OK row (modes.ts)
  if (e.integration === SIMULATOR && metadata.provenance !== 'SIM')
    issues.push({ index, field: 'metadata.provenance', message: `expected SIM: integration ${SIMULATOR} records simulated orders and fills only` });
  else if (e.integration !== SIMULATOR && metadata.provenance === 'SIM')
    issues.push({
      index,
      field: 'integration',
      message: `simulated (provenance SIM) orders and fills are recorded under integration ${SIMULATOR}, never a broker's`,
    });
  if ((e.status === 'ERROR' || e.status === 'BLOCKED') && !e.reason_code)
    issues.push({ index, field: 'reason_code', message: `required when status is ${e.status}` });
  for (const f of ['symbol', 'timeframe', 'operation', 'reason_code'] as const)
    if (isSecretShaped(e[f])) issues.push({ index, field: f, message: 'looks like a credential; refused' });

  // An event is (id, created_at): a writer that gives the id must give its time too, or a retry
  // stamped "now" again would be stored twice. A UUIDv7 id carries its own time.
  let createdAt: Date;
  if (e.created_at !== undefined) createdAt = e.created_at instanceof Date ? e.created_at : new Date(e.created_at);
  else if (e.id !== undefined) {
    const t = uuidv7Time(e.id);
    if (t === undefined)
      issues.push({ index, field: 'created_at', message: 'required when the writer gives the id (a retry must repeat both), unless the id is a UUIDv7' });
    createdAt = new Date(t ?? now);
  } else createdAt = new Date(now);
  if (Number.isNaN(createdAt.getTime())) issues.push({ index, field: 'created_at', message: 'expected a valid timestamp' });
  else if (createdAt.getTime() > now + MAX_FUTURE_SKEW_MS) issues.push({ index, field: 'created_at', message: 'more than 5 minutes in the future' });
  else if (createdAt.getTime() < now - MAX_AGE_MS) issues.push({ index, field: 'created_at', message: 'more than 400 days in the past' });
  if (issues.length) return issues;
  // a name used twice in one event is one sighting
  if (Array.isArray(metadata.feature_keys_used)) metadata.feature_keys_used = [...new Set(metadata.feature_keys_used as string[])];

  return {
    // an id this side assigns carries the event's own time (UUIDv7): a replay of it alone is the same event
    id: e.id ?? newEventId(createdAt.getTime()),
    created_at: createdAt,
    user_id: e.user_id ?? null,
    bot_id: e.bot_id ?? null,
    run_id: e.run_id ?? null,
    integration: e.integration,
    operation: e.operation,
    status: e.status,
    latency_ms: e.latency_ms ?? null,
    symbol: e.symbol ?? null,
    timeframe: e.timeframe ?? null,
    records: e.records ?? null,
    reason_code: e.reason_code ?? null,
    trace_id: e.trace_id ?? newTraceId(),
    metadata,
  };
}

/** Rules on the sanitized metadata: the keys the rollups and the catalog read. */
function checkMetadata(m: Record<string, unknown>, operation: string, index: number): EventIssue[] {
  const out: EventIssue[] = [];
  const prov = m.provenance;
  if (prov !== undefined && !(PROVENANCES as readonly unknown[]).includes(prov))
    out.push({ index, field: 'metadata.provenance', message: 'expected LIVE, PAPER or SIM' });
  else if (prov === undefined && operation === FILL_OPERATION)
    out.push({ index, field: 'metadata.provenance', message: 'required for broker.fill: LIVE, PAPER or SIM' });
  const model = m.model;
  if (model !== undefined && (typeof model !== 'string' || model.length < 1 || model.length > 128 || /[\r\n]/.test(model) || model.includes('[REDACTED]')))
    out.push({ index, field: 'metadata.model', message: 'expected a model name (1–128 characters)' });
  const keys = m.feature_keys_used;
  if (keys !== undefined) {
    if (!Array.isArray(keys)) out.push({ index, field: 'metadata.feature_keys_used', message: 'expected an array of variable names' });
    else if (keys.length > MAX_FEATURE_KEYS) out.push({ index, field: 'metadata.feature_keys_used', message: `more than ${MAX_FEATURE_KEYS} names` });
    else
      keys.forEach((k, i) => {
        if (typeof k !== 'string' || k.length > 128 || !VARIABLE_NAME_RE.test(k))
          out.push({ index, field: `metadata.feature_keys_used.${i}`, message: 'expected a variable name like "md.vwap" (names only, never values)' });
      });
  }
  return out;
}

/**
 * Validates a whole batch. All-or-nothing: any bad event ⇒ `{ok: false}` listing every issue
 * of every bad event; otherwise clean rows (ids, trace ids and created_at filled in).
 */
export function validateBatch(input: unknown, opts: ValidateOptions = {}): BatchResult {
  if (!Array.isArray(input)) return { ok: false, errors: [{ index: -1, field: '(batch)', message: 'expected a JSON array of events' }] };
  if (opts.maxEvents !== undefined && input.length > opts.maxEvents)
    return { ok: false, errors: [{ index: -1, field: '(batch)', message: `more than ${opts.maxEvents} events in one batch` }] };
  const now = (opts.now ?? Date.now)();
  const limits = opts.metadataLimits ?? DEFAULT_METADATA_LIMITS;
  const rows: EventRow[] = [];
  const errors: EventIssue[] = [];
  const seen = new Map<string, number>();
  input.forEach((ev, index) => {
    const r = validateOne(ev, index, now, limits);
    if (Array.isArray(r)) {
      errors.push(...r);
      return;
    }
    const first = seen.get(r.id);
    if (first !== undefined) errors.push({ index, field: 'id', message: `duplicates the id of event ${first} in this batch` });
    else seen.set(r.id, index);
    rows.push(r);
  });
  return errors.length ? { ok: false, errors } : { ok: true, rows };
}

/** A row as JSON (created_at as ISO) — the spool line and wire format. */
export function rowToJson(r: EventRow): Record<string, unknown> {
  return { ...r, created_at: r.created_at.toISOString() };
}
