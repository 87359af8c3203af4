/**
 * Every HTTP route in one table: its parameters, query, body and responses as zod schemas.
 * The routes validate their input with these schemas (`parseInput`), and daemon/openapi.ts
 * turns the same table into the OpenAPI 3.1 document — one definition, two uses. Response
 * shapes come from core/view-schemas.ts (the views own them).
 */
import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MODES } from '../core/types.js';
import { eventSchema } from '../core/events-schema.js';
import { TERMINAL_STATES } from '../core/ingest.js';
import {
  autonomySchema,
  botProofSchema,
  botsSchema,
  eventsSchema,
  integrationEventsSchema,
  runSchema,
  systemStatusSchema,
  traceViewSchema,
  historyViewSchema,
  variablesSchema,
  sessionApiSchema,
  tradingStateViewSchema,
  tradingChangeViewSchema,
  tradingCheckViewSchema,
} from '../core/view-schemas.js';
import { sendError } from './replies.js';

const traceId = z.string().regex(/^[0-9a-f]{32}$/);

export const errorBodySchema = z
  .object({
    success: z.literal(false),
    trace_id: traceId,
    error: z.looseObject({ code: z.string(), message: z.string() }),
  })
  .meta({ id: 'Error', description: 'The one error body: a stable code, a one-line message, the request trace_id' });

/** An integer query parameter; empty means "the default". */
const intQuery = (min: number, max: number, def: number) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(min).max(max).optional()).describe(`${min}–${max}, default ${def}`);

export const healthzQuery = z.object({
  probe: z
    .enum(['live', 'ready'])
    .optional()
    .describe('live: 200 while the process answers, whatever the store; ready (default): 503 when the store cannot be read'),
});
export const modeQuery = z.object({ mode: z.enum(MODES).optional().describe('the mode to gate; default live') });
export const autonomyQuery = modeQuery.extend({
  bot: z.string().min(1).max(256).optional().describe("add this bot's own blockers: its UUID or its name (an ambiguous name is a 400 with the candidates)"),
  at: z.string().max(64).optional().describe('ISO instant: judge the session-dependent rules (maintenance windows, market state) for it'),
});
export const botsQuery = z.object({ limit: intQuery(1, 1000, 10), hours: intQuery(1, 2160, 24) });
export const botIdParams = z.object({ id: z.string().trim().min(1).max(256).describe('a bot UUID or name') });
export const hoursQuery = z.object({ hours: intQuery(1, 2160, 24) });
export const eventsQuery = z.strictObject({
  integration: z.string().optional(),
  bot: z.string().optional().describe('bot id or name'),
  run: z.string().optional(),
  status: z.string().optional().describe('OK, ERROR or BLOCKED'),
  since: z.string().optional().describe('a duration like 15m, 24h, 7d or an ISO time'),
  limit: z.string().optional(),
});
export const nameParams = z.object({ name: z.string() });
export const drawerQuery = z.object({ limit: intQuery(1, 200, 20) });
export const runIdParams = z.object({ id: z.uuid() });
export const runStartBody = z.looseObject({
  bot_id: z.uuid(),
  mode: z.enum(MODES),
  bot_name: z.string().optional(),
  job_kind: z.string().optional(),
  user_id: z.uuid().nullish(),
  trace_id: traceId.optional(),
  run_id: z.uuid().optional(),
});
export const runFinishBody = z.looseObject({ terminal_state: z.enum(TERMINAL_STATES), reason_code: z.string().nullish() });
export const traceParams = z.object({ id: z.string().describe('a trace id: 32 lowercase hex digits') });
export const historyQuery = z.object({ since: z.string().optional().describe('a duration like 1h, 24h, 7d (default 7d, at most 90d)') });

const healthzSchema = z
  .object({ ok: z.boolean(), trace_id: traceId, daemon_id: z.string(), leader: z.boolean(), store_reachable: z.boolean() })
  .meta({ id: 'Healthz' });
const ingestResultSchema = z
  .object({
    success: z.literal(true),
    trace_id: traceId,
    received: z.number().int(),
    stored: z.number().int(),
    duplicates: z.number().int(),
    ids: z.array(z.string()),
  })
  .meta({ id: 'IngestResult' });
const runResultSchema = z.object({ success: z.literal(true), trace_id: traceId, run: runSchema }).meta({ id: 'RunResult' });
const okSchema = z.object({ success: z.literal(true), trace_id: traceId });

export type ResponseSpec = { description: string; schema?: z.ZodType; contentType?: string };

export interface RouteSpec {
  method: 'GET' | 'POST';
  /** fastify's form (`:id`); the document uses `{id}` */
  url: string;
  summary: string;
  tag: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** true: needs the bearer token even on loopback */
  token?: boolean;
  responses: Record<number, ResponseSpec>;
}

const err = (description: string): ResponseSpec => ({ description, schema: errorBodySchema });
const badRequest = err('bad input: the code BAD_REQUEST and a message naming the parameter');
const unavailable = err('the status store cannot be read (STATUS_UNAVAILABLE): retry later');
// fastify refuses a body in a content type it has no parser for before the route runs
const notJson = err('the body is not application/json; nothing read or written');

export const ROUTES: RouteSpec[] = [
  {
    method: 'GET',
    url: '/healthz',
    summary:
      'Liveness (?probe=live) and readiness: the process answers and, for readiness, the store can be read — never the gate (200 even when autonomy is BLOCKED)',
    tag: 'operations',
    query: healthzQuery,
    responses: {
      200: { description: 'alive (and, for readiness, the store is reachable)', schema: healthzSchema },
      400: badRequest,
      503: { description: 'readiness: the store cannot be read', schema: healthzSchema },
    },
  },
  {
    method: 'GET',
    url: '/api/system/status',
    summary: 'Panel A and the gate for one mode',
    tag: 'status',
    query: modeQuery,
    responses: {
      200: { description: 'the status', schema: systemStatusSchema },
      400: badRequest,
      503: { description: 'no verdict: the store cannot be read (global_status UNKNOWN)', schema: systemStatusSchema },
    },
  },
  {
    method: 'GET',
    url: '/api/integrations/health',
    summary: 'As /api/system/status, but 503 when autonomy is BLOCKED or UNKNOWN',
    tag: 'status',
    query: modeQuery,
    responses: {
      200: { description: 'autonomy OK or DEGRADED', schema: systemStatusSchema },
      400: badRequest,
      503: { description: 'autonomy BLOCKED or UNKNOWN', schema: systemStatusSchema },
    },
  },
  {
    method: 'GET',
    url: '/api/system/autonomy',
    summary: 'The gate (Panel D) for one mode, optionally for one bot',
    tag: 'status',
    query: autonomyQuery,
    responses: {
      200: { description: 'a verdict', schema: autonomySchema },
      400: badRequest,
      503: { description: 'no verdict (UNKNOWN)', schema: autonomySchema },
    },
  },
  {
    method: 'GET',
    url: '/metrics',
    summary: 'Prometheus exposition',
    tag: 'operations',
    responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } },
  },
  {
    method: 'GET',
    url: '/api/system/bots',
    summary: 'The most active bots (Panel B selector)',
    tag: 'proof',
    query: botsQuery,
    responses: { 200: { description: 'bots', schema: botsSchema }, 400: badRequest, 503: unavailable },
  },
  {
    method: 'GET',
    url: '/api/system/bots/:id/proof',
    summary: 'Proof of use for one bot (Panel B)',
    tag: 'proof',
    params: botIdParams,
    query: hoursQuery,
    responses: {
      200: { description: 'proof', schema: botProofSchema },
      400: badRequest,
      404: err('no bot with this id or name (BOT_UNKNOWN)'),
      503: unavailable,
    },
  },
  {
    method: 'GET',
    url: '/api/system/variables',
    summary: 'The variable catalog (Panel C)',
    tag: 'proof',
    responses: { 200: { description: 'catalog', schema: variablesSchema }, 503: unavailable },
  },
  {
    method: 'GET',
    url: '/api/system/events',
    summary: 'Sanitized usage events, newest first',
    tag: 'proof',
    query: eventsQuery,
    responses: { 200: { description: 'events', schema: eventsSchema }, 400: badRequest, 503: unavailable },
  },
  {
    method: 'GET',
    url: '/api/system/integrations/:name/events',
    summary: "An integration's last usage events and probes (the drawer)",
    tag: 'proof',
    params: nameParams,
    query: drawerQuery,
    responses: {
      200: { description: 'events and probes', schema: integrationEventsSchema },
      400: badRequest,
      404: err('unknown integration'),
      503: unavailable,
    },
  },
  {
    method: 'GET',
    url: '/api/trace/:id',
    summary: 'Every stored row that carries this trace id',
    tag: 'operations',
    params: traceParams,
    responses: { 200: { description: 'the rows (possibly none)', schema: traceViewSchema }, 400: badRequest, 503: unavailable },
  },
  {
    method: 'GET',
    url: '/api/history/:name',
    summary: "An integration's status history from its probe rows: transitions, time per status, uptime, flaps",
    tag: 'status',
    params: nameParams,
    query: historyQuery,
    responses: { 200: { description: 'history', schema: historyViewSchema }, 400: badRequest, 404: err('unknown integration'), 503: unavailable },
  },
  {
    method: 'POST',
    url: '/api/usage-events',
    summary: 'Ingest a batch of usage events (atomic: all stored or none)',
    tag: 'ingest',
    token: true,
    body: z.array(eventSchema),
    responses: {
      202: { description: 'stored (replays count as duplicates)', schema: ingestResultSchema },
      400: err('INVALID_EVENTS: error.errors lists {index, field, message} for every bad event'),
      413: err('more events than the batch limit'),
      415: err('not application/json'),
      500: err('write failed; nothing was stored'),
      503: unavailable,
    },
  },
  {
    method: 'POST',
    url: '/api/runs',
    summary: 'Start a run',
    tag: 'ingest',
    token: true,
    body: runStartBody,
    responses: { 201: { description: 'started', schema: runResultSchema }, 400: badRequest, 415: notJson, 500: err('write failed'), 503: unavailable },
  },
  {
    method: 'POST',
    url: '/api/runs/:id/heartbeat',
    summary: "A running run's heartbeat",
    tag: 'ingest',
    token: true,
    params: runIdParams,
    responses: {
      200: { description: 'recorded', schema: okSchema },
      400: badRequest,
      404: err('no running run with this id'),
      415: notJson,
      500: err('write failed'),
      503: unavailable,
    },
  },
  {
    method: 'POST',
    url: '/api/runs/:id/finish',
    summary: 'End a run',
    tag: 'ingest',
    token: true,
    params: runIdParams,
    body: runFinishBody,
    responses: {
      200: { description: 'ended', schema: runResultSchema },
      400: badRequest,
      404: err('no run with this id'),
      409: err('the run already ended otherwise'),
      415: notJson,
      500: err('write failed'),
      503: unavailable,
    },
  },
  {
    method: 'GET',
    url: '/api/session',
    summary: 'The market session now or at an instant (as `observatory session --json`)',
    tag: 'status',
    query: z.object({ group: z.string().optional().describe('product group, e.g. equity_index'), at: z.string().optional().describe('ISO instant') }),
    responses: { 200: { description: 'the session', schema: sessionApiSchema }, 400: err('unknown group or malformed at') },
  },
  {
    method: 'GET',
    url: '/api/trading-state',
    summary: 'The kill switch: scopes in force, pending resumes, the latest audit rows (as `trading-state --json`)',
    tag: 'control',
    query: z.object({ recent: z.string().optional().describe('audit rows to include, 0–1000 (default 20)') }),
    responses: { 200: { description: 'the trading state', schema: tradingStateViewSchema }, 400: badRequest, 503: unavailable },
  },
  {
    method: 'POST',
    url: '/api/trading-state',
    summary:
      'Halt, reduce or resume a scope (as `halt|reduce|resume --json`); a global resume needs confirm: true. The actor is the bearer token’s: api-token:OBSERVATORY_TOKEN, or api-token:<name> for OBSERVATORY_TOKEN_<NAME> (two people, two tokens: the two-person resume)',
    tag: 'control',
    token: true,
    body: z.object({
      command: z.enum(['halt', 'reduce', 'resume']),
      scope: z.enum(['global', 'account', 'bot', 'integration']),
      target: z.string().optional(),
      reason: z.string(),
      ttl: z.string().optional().describe('e.g. 30m, or an ISO expiry'),
      confirm: z.boolean().optional(),
    }),
    responses: {
      201: { description: 'the change, written', schema: tradingChangeViewSchema },
      202: { description: 'a resume request waiting for a second, different actor (two-person rule: another token)', schema: tradingChangeViewSchema },
      400: err('bad input (unknown target, empty reason, nothing to resume, expiry in the past, same actor — same token — confirming); no row written'),
      401: err('missing or wrong bearer token'),
      415: notJson,
      503: unavailable,
    },
  },
  {
    method: 'POST',
    url: '/api/trading-state/check',
    summary: 'canPlace for bots in other languages; a refusal is stored as a BLOCKED usage event',
    tag: 'control',
    token: true,
    body: z.object({
      integration: z.string(),
      side: z.enum(['buy', 'sell']),
      qty: z.number(),
      position: z.number(),
      action: z.enum(['new', 'modify', 'cancel']).optional(),
      bot_id: z.string().optional(),
      user_id: z.string().optional(),
      run_id: z.string().optional(),
    }),
    responses: {
      200: { description: 'the decision', schema: tradingCheckViewSchema },
      400: badRequest,
      401: err('missing or wrong bearer token'),
      415: notJson,
      503: unavailable,
    },
  },
  {
    method: 'GET',
    url: '/api/openapi.json',
    summary: 'This document',
    tag: 'operations',
    responses: { 200: { description: 'OpenAPI 3.1', schema: z.looseObject({ openapi: z.string() }) } },
  },
];

/** Answers every route may give: 401 (token), 500 (the error handler). */
export const COMMON_RESPONSES: Record<number, ResponseSpec> = {
  401: err('missing or wrong bearer token (POST routes always; every route but /healthz on a non-loopback bind)'),
  500: err('internal error; the daemon log has the trace_id'),
};

export function routeSpec(method: string, url: string): RouteSpec {
  const spec = ROUTES.find((r) => r.method === method && r.url === url);
  if (!spec) throw new Error(`route ${method} ${url} is not in daemon/api-spec.ts`);
  return spec;
}

/** One line per problem, naming the field; never the value (it could be a secret). */
export function issueMessage(issues: z.core.$ZodIssue[], what: 'field' | 'param'): string {
  const i = issues[0];
  const path = i.path.map(String).join('.') || 'body';
  const expected = i.code === 'invalid_value' ? `expected one of ${i.values.map(String).join(', ')}` : i.message;
  return what === 'field' ? `field \`${path}\`: ${expected}` : `${path}: ${expected}`;
}

/**
 * Validates one part of a request with its route's schema; on failure answers 400 (with
 * `message` when the route has its own wording) and returns undefined.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  req: FastifyRequest,
  reply: FastifyReply,
  message?: string | ((issues: z.core.$ZodIssue[]) => string),
): z.infer<S> | undefined {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const text = typeof message === 'function' ? message(r.error.issues) : (message ?? issueMessage(r.error.issues, 'param'));
  void sendError(reply, req, 400, 'BAD_REQUEST', text);
  return undefined;
}
