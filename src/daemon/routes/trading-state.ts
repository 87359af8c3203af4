/**
 * The kill switch over HTTP: GET /api/trading-state (what is in force, pending resumes, recent
 * audit rows), POST /api/trading-state (halt / reduce / resume; bearer token; the actor is the
 * matching token's: `api-token:OBSERVATORY_TOKEN`, or `api-token:<name>` for OBSERVATORY_TOKEN_<NAME>) and POST /api/trading-state/check (canPlace for bots in other languages). The
 * bodies are the CLI's --json shapes (core/views.ts). Bad input: 400, nothing written.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteModule } from '../http.js';
import { sendError } from '../replies.js';
import { UsageError } from '../../core/errors.js';
import { parseDuration } from '../../core/duration.js';
import { normalizeReason, normalizeTarget, type OrderIntent, type TradingCommand } from '../../core/trading-state.js';
import { applyTradingChange, tradingCheckView, tradingStateView } from '../../core/views.js';
import { isUuid } from '../../core/trace.js';
import { validateBatch } from '../../core/events-schema.js';
import { insertEvents } from '../../core/ingest.js';
import { refusalEvent } from '../../core/trading-state.js';

/** The actor of OBSERVATORY_TOKEN; each named token has its own (core/config.ts apiTokens). */
export { API_TOKEN_ACTOR } from '../../core/config.js';

const COMMANDS: readonly TradingCommand[] = ['halt', 'reduce', 'resume'];

function ttlOf(raw: unknown): { ttlMs?: number; until?: Date } {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'string') throw new UsageError('field `ttl`: expected a duration like 30m or an ISO instant');
  if (/^\d{4}-\d{2}-\d{2}T/.test(raw)) {
    const t = Date.parse(raw);
    if (Number.isNaN(t)) throw new UsageError('field `ttl`: not a valid ISO instant');
    if (t <= Date.now()) throw new UsageError(`field \`ttl\`: the expiry ${new Date(t).toISOString()} is in the past`);
    return { until: new Date(t) };
  }
  if (raw.trim().startsWith('-')) throw new UsageError('field `ttl`: the expiry is in the past');
  return { ttlMs: parseDuration(raw, 'field `ttl`') };
}

/** The canPlace inputs from a JSON body; every problem names its field. */
export function orderOf(b: Record<string, unknown>): OrderIntent {
  if (typeof b.integration !== 'string' || !/^[a-z][a-z0-9_]{0,62}$/.test(b.integration))
    throw new UsageError('field `integration`: expected an integration name');
  if (b.side !== 'buy' && b.side !== 'sell') throw new UsageError('field `side`: expected buy or sell');
  if (typeof b.qty !== 'number' || !(b.qty > 0)) throw new UsageError('field `qty`: expected a positive number');
  if (typeof b.position !== 'number' || !Number.isFinite(b.position)) throw new UsageError('field `position`: expected the current signed position (a number)');
  const action = b.action ?? 'new';
  if (action !== 'new' && action !== 'modify' && action !== 'cancel') throw new UsageError('field `action`: expected new, modify or cancel');
  for (const f of ['bot_id', 'user_id', 'run_id'] as const)
    if (b[f] !== undefined && b[f] !== null && !isUuid(b[f])) throw new UsageError(`field \`${f}\`: expected a UUID`);
  return {
    integration: b.integration,
    side: b.side,
    qty: b.qty,
    position: b.position,
    action,
    botId: (b.bot_id as string | undefined) ?? null,
    userId: (b.user_id as string | undefined) ?? null,
  };
}

export const tradingStateRoutes: RouteModule = (app, ctx, { registry, requireToken, requireActor }) => {
  const pool = ctx.store.pool;
  const body = (req: FastifyRequest, reply: FastifyReply): Record<string, unknown> | undefined => {
    const b = req.body;
    if (!b || typeof b !== 'object' || Array.isArray(b)) {
      void sendError(reply, req, 400, 'BAD_REQUEST', 'expected a JSON object');
      return undefined;
    }
    return b as Record<string, unknown>;
  };

  app.get('/api/trading-state', async (req, reply) => {
    const raw = (req.query as Record<string, unknown>).recent;
    const recent = raw === undefined ? 20 : Number(raw);
    if (!Number.isInteger(recent) || recent < 0 || recent > 1000) return sendError(reply, req, 400, 'BAD_REQUEST', 'recent must be an integer 0–1000');
    return reply.send(await tradingStateView(pool, { traceId: req.traceId, recent }));
  });

  app.post('/api/trading-state', async (req, reply) => {
    // the actor is the token's: two people with two tokens are two actors (two-person resume)
    const actor = requireActor(req, reply);
    if (!actor) return reply;
    const b = body(req, reply);
    if (!b) return reply;
    if (!COMMANDS.includes(b.command as TradingCommand))
      return sendError(reply, req, 400, 'BAD_REQUEST', `field \`command\`: expected one of ${COMMANDS.join(', ')}`);
    const command = b.command as TradingCommand;
    const { scope, target } = normalizeTarget(String(b.scope ?? ''), b.target === undefined || b.target === null ? undefined : String(b.target));
    const reason = normalizeReason(typeof b.reason === 'string' ? b.reason : '');
    const ttl = ttlOf(b.ttl);
    if (command === 'resume' && scope === 'global' && b.confirm !== true)
      throw new UsageError('resuming a global halt needs confirmation: send "confirm": true');
    const view = await applyTradingChange(pool, {
      command,
      scope,
      target,
      reason,
      actor,
      ...ttl,
      twoPerson: ctx.config.tradingState.twoPersonResume,
      requestTtlMs: ctx.config.tradingState.resumeRequestTtlMs,
      knownIntegrations: registry.integrations.map((s) => s.name),
      traceId: req.traceId,
    });
    return reply.code(view.pending ? 202 : 201).send(view);
  });

  app.post('/api/trading-state/check', async (req, reply) => {
    if (!requireToken(req, reply)) return reply;
    const b = body(req, reply);
    if (!b) return reply;
    const order = orderOf(b);
    const view = await tradingCheckView(pool, order, req.traceId);
    // a refusal is proof like any other: one BLOCKED usage event, as the SDK's canPlace records
    if (!view.decision.allowed) {
      const checked = validateBatch([refusalEvent(order, view.decision, req.traceId, b)]);
      if (!checked.ok) throw new UsageError(`event: ${checked.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
      await insertEvents(pool, checked.rows);
      view.event_id = checked.rows[0].id;
    }
    return reply.send(view);
  });
};
