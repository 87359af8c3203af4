/**
 * Writes over HTTP, for bots in other languages: POST /api/usage-events (a batch, atomic:
 * all stored or none; every bad event reported by index and field) and the run lifecycle.
 * All of them require the bearer token (OBSERVATORY_TOKEN).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteModule } from '../http.js';
import { sendError } from '../replies.js';
import { validateBatch } from '../../core/events-schema.js';
import { finishRun, heartbeatRun, insertEvents, startRun, RunConflictError, RunInputError } from '../../core/ingest.js';
import { classifyPgError, toStoreError } from '../../core/store.js';
import { issueMessage, parseInput, runFinishBody, runIdParams, runStartBody } from '../api-spec.js';

export const usageRoutes: RouteModule = (app, ctx, { requireToken, metrics }) => {
  const { config } = ctx;
  const pool = ctx.store.pool;

  const storeFailure = (req: FastifyRequest, reply: FastifyReply, err: unknown) => {
    const unavailable = classifyPgError(err) === 'unavailable';
    if (unavailable) metrics.ingestUnavailable();
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
    const body = parseInput(runStartBody, b, req, reply, (issues) => issueMessage(issues, 'field'));
    if (!body) return reply;
    try {
      const run = await startRun(pool, {
        botId: body.bot_id,
        botName: body.bot_name,
        mode: body.mode,
        jobKind: body.job_kind,
        userId: body.user_id ?? null,
        traceId: body.trace_id,
        runId: body.run_id,
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
    const p = parseInput(runIdParams, req.params, req, reply, 'run id must be a UUID');
    if (!p) return reply;
    const { id } = p;
    try {
      const ok = await heartbeatRun(pool, id);
      return ok ? reply.send({ success: true, trace_id: req.traceId }) : sendError(reply, req, 404, 'NOT_FOUND', 'no running run with this id');
    } catch (err) {
      return storeFailure(req, reply, err);
    }
  });

  app.post('/api/runs/:id/finish', async (req, reply) => {
    if (!requireToken(req, reply)) return reply;
    const p = parseInput(runIdParams, req.params, req, reply, 'run id must be a UUID');
    if (!p) return reply;
    const body = parseInput(runFinishBody, req.body, req, reply, (issues) => issueMessage(issues, 'field'));
    if (!body) return reply;
    const { id } = p;
    try {
      const run = await finishRun(pool, id, body.terminal_state, body.reason_code ?? null);
      if (!run) return sendError(reply, req, 404, 'NOT_FOUND', 'no run with this id');
      return reply.send({ success: true, trace_id: req.traceId, run });
    } catch (err) {
      if (err instanceof RunInputError) return sendError(reply, req, 400, err.code, err.message);
      if (err instanceof RunConflictError) return sendError(reply, req, 409, err.code, err.message);
      return storeFailure(req, reply, err);
    }
  });
};
