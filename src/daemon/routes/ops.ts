/** Operator reads: every row behind a trace id, an integration's status history, and the OpenAPI document. */
import type { RouteModule } from '../http.js';
import { sendError } from '../replies.js';
import { historyView, traceView } from '../../core/views.js';
import { isTraceId } from '../../core/trace.js';
import { parseHistoryWindow } from '../../core/history.js';
import { UsageError } from '../../core/errors.js';
import { redactString } from '../../core/redact.js';
import { historyQuery, nameParams, parseInput, traceParams } from '../api-spec.js';
import { openApiDocument } from '../openapi.js';

export const opsRoutes: RouteModule = (app, ctx, { registry }) => {
  const pool = ctx.store.pool;

  app.get('/api/trace/:id', async (req, reply) => {
    const p = parseInput(traceParams, req.params, req, reply);
    if (!p) return reply;
    if (!isTraceId(p.id)) return sendError(reply, req, 400, 'BAD_REQUEST', 'trace id: expected 32 lowercase hex digits');
    return reply.send(await traceView(pool, p.id, req.traceId));
  });

  app.get('/api/history/:name', async (req, reply) => {
    const p = parseInput(nameParams, req.params, req, reply);
    const q = p && parseInput(historyQuery, req.query, req, reply, 'since: expected a duration from 1m to 90d, e.g. 24h or 7d');
    if (!p || !q) return reply;
    let windowMs: number;
    try {
      windowMs = parseHistoryWindow(q.since);
    } catch (err) {
      if (err instanceof UsageError) return sendError(reply, req, 400, 'BAD_REQUEST', err.message);
      throw err;
    }
    const view = await historyView(pool, registry, p.name, { windowMs, traceId: req.traceId });
    if (!view) return sendError(reply, req, 404, 'NOT_FOUND', `unknown integration '${p.name.slice(0, 64)}'`);
    return reply.send(view);
  });

  // sent as text: the object walk of the sanitizer drops keys like `content` and `bearer`, which
  // this document needs; the text still passes the sanitizer (it holds no value of any kind)
  const document = redactString(JSON.stringify(openApiDocument()));
  app.get('/api/openapi.json', async (_req, reply) => reply.type('application/json; charset=utf-8').send(document));
};
