/** Reads for Panels B and C and the integration drawer — the same shapes as the CLI's --json. */
import type { RouteModule } from '../http.js';
import { sendError } from '../replies.js';
import { botProofView, botsView, eventsView, integrationEventsView, resolveBotRef, variablesView } from '../../core/views.js';
import { parseEventFilters } from '../../core/event-filters.js';
import { AmbiguousBotError, UsageError } from '../../core/errors.js';
import { sendAmbiguousBot } from '../replies.js';

function intParam(raw: unknown, def: number, min: number, max: number): number | undefined {
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

export const proofRoutes: RouteModule = (app, ctx, { registry }) => {
  const pool = ctx.store.pool;

  app.get('/api/system/bots', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const limit = intParam(q.limit, 10, 1, 1000);
    const hours = intParam(q.hours, 24, 1, 2160);
    if (limit === undefined || hours === undefined) return sendError(reply, req, 400, 'BAD_REQUEST', 'limit: 1–1000, hours: 1–2160');
    return reply.send(await botsView(pool, { limit, sinceHours: hours, traceId: req.traceId }));
  });

  app.get('/api/system/bots/:id/proof', async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const hours = intParam((req.query as Record<string, unknown>).hours, 24, 1, 2160);
    if (!id.trim() || id.length > 256 || hours === undefined) return sendError(reply, req, 400, 'BAD_REQUEST', 'bot: a UUID or a name; hours: 1–2160');
    let botId: string | null;
    try {
      botId = await resolveBotRef(pool, id);
    } catch (err) {
      if (err instanceof AmbiguousBotError) return sendAmbiguousBot(reply, req, err);
      throw err;
    }
    const view = botId ? await botProofView(pool, botId, { sinceHours: hours, traceId: req.traceId, registry, config: ctx.config }) : null;
    if (!view) return sendError(reply, req, 404, 'BOT_UNKNOWN', 'no bot with this id or name has written any run or event');
    return reply.send(view);
  });

  app.get('/api/system/variables', async (req, reply) => reply.send(await variablesView(pool, registry, ctx.config, req.traceId)));

  // `observatory events --json`: the same filters, the same parser, the same shape
  app.get('/api/system/events', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const one = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : undefined);
    for (const k of Object.keys(q))
      if (!['integration', 'bot', 'run', 'status', 'since', 'limit'].includes(k) || Array.isArray(q[k]))
        return sendError(reply, req, 400, 'BAD_REQUEST', `${k.slice(0, 32)}: unknown or repeated filter (integration, bot, run, status, since, limit)`);
    let filters;
    try {
      filters = parseEventFilters(
        { integration: one('integration'), bot: one('bot'), run: one('run'), status: one('status'), since: one('since'), limit: one('limit') },
        (n) => n,
      );
    } catch (err) {
      if (err instanceof UsageError) return sendError(reply, req, 400, 'BAD_REQUEST', err.message);
      throw err;
    }
    return reply.send(await eventsView(pool, filters, req.traceId));
  });

  app.get('/api/system/integrations/:name/events', async (req, reply) => {
    const name = (req.params as { name: string }).name;
    const limit = intParam((req.query as Record<string, unknown>).limit, 20, 1, 200);
    if (limit === undefined) return sendError(reply, req, 400, 'BAD_REQUEST', 'limit: 1–200');
    if (!registry.integrations.some((s) => s.name === name)) return sendError(reply, req, 404, 'NOT_FOUND', `unknown integration '${name.slice(0, 64)}'`);
    return reply.send(await integrationEventsView(pool, name, { limit, traceId: req.traceId }));
  });
};
