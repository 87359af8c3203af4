/**
 * Writes over HTTP, for bots in other languages: POST /api/usage-events (a batch, atomic:
 * all stored or none; every bad event reported by index and field) and the run lifecycle.
 * All of them require the bearer token (OBSERVATORY_TOKEN).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteModule } from '../http.js';
import { sendError } from '../replies.js';
import { validateBatch } from '../../core/events-schema.js';
import { finishRun, heartbeatRun, insertEvents, startRun, RunConflictError, RunInputError, TERMINAL_STATES, type TerminalState } from '../../core/ingest.js';
import { classifyPgError, toStoreError } from '../../core/store.js';
import { MODES, type Mode } from '../../core/types.js';
import { isUuid } from '../../core/trace.js';

export const usageRoutes: RouteModule = (app, ctx, { requireToken }) => {
  const { config } = ctx;
  const pool = ctx.store.pool;

  const storeFailure = (req: FastifyRequest, reply: FastifyReply, err: unknown) => {
    const unavailable = classifyPgError(err) === 'unavailable';
    ctx.log.warn({ err: toStoreError(err, ctx.store.url), trace_id: req.traceId }, 'write failed');
    return sendError(
      reply,
      req,
      unavailable ? 503 : 500,
      unavailable ? 'STATUS_UNAVAILABLE' : 'INTERNAL',
      unavailable ? 'status store unreachable; retry later (nothing was stored)' : 'write failed; nothing was stored',
    );
  };

  app.post('/api/usage-events', async (req, reply) => {
    if (!requireToken(req, reply)) return reply;
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
      return sendError(reply, req, 415, 'UNSUPPORTED_MEDIA_TYPE', 'send a JSON array with content-type: application/json');
    const checked = validateBatch(req.body, {
      maxEvents: config.limits.ingestMaxEvents,
      metadataLimits: { maxBytes: config.limits.metadataBytes, maxDepth: config.limits.metadataDepth, maxKeys: 64 },
    });
    if (!checked.ok) {
      const batchLevel = checked.errors.find((e) => e.index === -1);
      const status = batchLevel && /more than \d+ events/.test(batchLevel.message) ? 413 : 400;
      return sendError(reply, req, status, 'INVALID_EVENTS', `${checked.errors.length} problem(s); nothing was stored`, {
        errors: checked.errors.slice(0, 1000),
      });
    }
    try {
      const res = await insertEvents(pool, checked.rows);
      return reply.code(202).send({
        success: true,
        trace_id: req.traceId,
        received: checked.rows.length,
        stored: res.inserted,
        duplicates: checked.rows.length - res.inserted,
        ids: checked.rows.map((r) => r.id),
      });
    } catch (err) {
      return storeFailure(req, reply, err);
    }
  });

  app.post('/api/runs', async (req, reply) => {
    if (!requireToken(req, reply)) return reply;
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (typeof b !== 'object' || Array.isArray(b)) return sendError(reply, req, 400, 'BAD_REQUEST', 'expected a JSON object');
    if (!(MODES as readonly string[]).includes(b.mode as string))
      return sendError(reply, req, 400, 'BAD_REQUEST', `field \`mode\`: expected one of ${MODES.join(', ')}`);
    try {
      const run = await startRun(pool, {
        botId: b.bot_id as string,
        botName: typeof b.bot_name === 'string' ? b.bot_name : undefined,
        mode: b.mode as Mode,
        jobKind: typeof b.job_kind === 'string' ? b.job_kind : undefined,
        userId: (b.user_id as string | null | undefined) ?? null,
        traceId: typeof b.trace_id === 'string' ? b.trace_id : undefined,
        runId: typeof b.run_id === 'string' ? b.run_id : undefined,
        abandonSilentAfterMs: ctx.config.daemon.staleAfterMs,
      });
      return reply.code(201).send({ success: true, trace_id: req.traceId, run });
    } catch (err) {
      if (err instanceof RunInputError) return sendError(reply, req, 400, err.code, err.message);
      return storeFailure(req, reply, err);
    }
  });

  app.post('/api/runs/:id/heartbeat', async (req, reply) => {
    if (!requireToken(req, reply)) return reply;
    const id = (req.params as { id: string }).id;
    if (!isUuid(id)) return sendError(reply, req, 400, 'BAD_REQUEST', 'run id must be a UUID');
    try {
      const ok = await heartbeatRun(pool, id);
      return ok ? reply.send({ success: true, trace_id: req.traceId }) : sendError(reply, req, 404, 'NOT_FOUND', 'no running run with this id');
    } catch (err) {
      return storeFailure(req, reply, err);
    }
  });

  app.post('/api/runs/:id/finish', async (req, reply) => {
    if (!requireToken(req, reply)) return reply;
    const id = (req.params as { id: string }).id;
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (!isUuid(id)) return sendError(reply, req, 400, 'BAD_REQUEST', 'run id must be a UUID');
    if (!(TERMINAL_STATES as readonly string[]).includes(b.terminal_state as string))
      return sendError(reply, req, 400, 'BAD_REQUEST', `field \`terminal_state\`: expected one of ${TERMINAL_STATES.join(', ')}`);
    try {
      const run = await finishRun(pool, id, b.terminal_state as TerminalState, (b.reason_code as string | null | undefined) ?? null);
      if (!run) return sendError(reply, req, 404, 'NOT_FOUND', 'no run with this id');
      return reply.send({ success: true, trace_id: req.traceId, run });
    } catch (err) {
      if (err instanceof RunInputError) return sendError(reply, req, 400, err.code, err.message);
      if (err instanceof RunConflictError) return sendError(reply, req, 409, err.code, err.message);
      return storeFailure(req, reply, err);
    }
  });
};
