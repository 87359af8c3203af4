/** GET /api/session?group=&at= — the market session, as `observatory session --json` (no store read). */
import type { RouteModule } from '../http.js';
import { sendError } from '../replies.js';
import { parseAt, sessionApiView } from '../../core/views.js';

export const sessionRoutes: RouteModule = (app, ctx) => {
  app.get('/api/session', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    for (const k of ['group', 'at'])
      if (q[k] !== undefined && typeof q[k] !== 'string') return sendError(reply, req, 400, 'BAD_REQUEST', `${k} must be given once`);
    const group = typeof q.group === 'string' && q.group ? q.group : undefined;
    // a bad group or instant is a UsageError: the error handler answers 400 with its one line
    const at = typeof q.at === 'string' && q.at ? parseAt(q.at, 'at') : undefined;
    return reply.send(sessionApiView(ctx.config, { group, at, traceId: req.traceId }));
  });
};
