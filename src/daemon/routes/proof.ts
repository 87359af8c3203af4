/** Reads for Panels B and C and the integration drawer — the same shapes as the CLI's --json. */
import type { RouteModule } from '../http.js';
import { sendError } from '../replies.js';
import { botProofView, botsView, eventsView, integrationEventsView, resolveBotRef, variablesView } from '../../core/views.js';
import { parseEventFilters } from '../../core/event-filters.js';
import { AmbiguousBotError, UsageError } from '../../core/errors.js';
import { sendAmbiguousBot } from '../replies.js';
import { botIdParams, botsQuery, drawerQuery, eventsQuery, hoursQuery, nameParams, parseInput } from '../api-spec.js';

export const proofRoutes: RouteModule = (app, ctx, { registry }) => {
  const pool = ctx.store.pool;

  app.get('/api/system/bots', async (req, reply) => {
    const q = parseInput(botsQuery, req.query, req, reply, 'limit: 1–1000, hours: 1–2160');
    if (!q) return reply;
    return reply.send(await botsView(pool, { limit: q.limit ?? 10, sinceHours: q.hours ?? 24, traceId: req.traceId }));
  });

  app.get('/api/system/bots/:id/proof', async (req, reply) => {
    const message = 'bot: a UUID or a name; hours: 1–2160';
    const p = parseInput(botIdParams, req.params, req, reply, message);
    const q = p && parseInput(hoursQuery, req.query, req, reply, message);
    if (!p || !q) return reply;
    let botId: string | null;
    try {
      botId = await resolveBotRef(pool, p.id);
    } catch (err) {
      if (err instanceof AmbiguousBotError) return sendAmbiguousBot(reply, req, err);
      throw err;
    }
    const view = botId ? await botProofView(pool, botId, { sinceHours: q.hours ?? 24, traceId: req.traceId, registry, config: ctx.config }) : null;
    if (!view) return sendError(reply, req, 404, 'BOT_UNKNOWN', 'no bot with this id or name has written any run or event');
    return reply.send(view);
  });

  app.get('/api/system/variables', async (req, reply) => reply.send(await variablesView(pool, registry, ctx.config, req.traceId)));

  // `observatory events --json`: the same filters, the same parser, the same shape
  app.get('/api/system/events', async (req, reply) => {
    const q = parseInput(eventsQuery, req.query, req, reply, (issues) => {
      // an unknown key is reported under its own name; a repeated one (an array) under its path
      const i = issues[0];
      const key = String(i.code === 'unrecognized_keys' ? i.keys[0] : i.path[0]);
      return `${key.slice(0, 32)}: unknown or repeated filter (integration, bot, run, status, since, limit)`;
    });
    if (!q) return reply;
    let filters;
    try {
      filters = parseEventFilters(q, (n) => n);
    } catch (err) {
      if (err instanceof UsageError) return sendError(reply, req, 400, 'BAD_REQUEST', err.message);
      throw err;
    }
    return reply.send(await eventsView(pool, filters, req.traceId));
  });

  app.get('/api/system/integrations/:name/events', async (req, reply) => {
    const p = parseInput(nameParams, req.params, req, reply);
    const q = p && parseInput(drawerQuery, req.query, req, reply, 'limit: 1–200');
    if (!p || !q) return reply;
    const { name } = p;
    const limit = q.limit ?? 20;
    if (!registry.integrations.some((s) => s.name === name)) return sendError(reply, req, 404, 'NOT_FOUND', `unknown integration '${name.slice(0, 64)}'`);
    return reply.send(await integrationEventsView(pool, name, { limit, traceId: req.traceId }));
  });
};
