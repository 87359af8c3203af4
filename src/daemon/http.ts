/**
 * The daemon's HTTP API (fastify). Loopback by default; binding anywhere else requires an API
 * token, and then every route but /healthz requires one as a bearer token. The tokens:
 * OBSERVATORY_TOKEN (actor `api-token:OBSERVATORY_TOKEN`) and any OBSERVATORY_TOKEN_<NAME>
 * (actor `api-token:<name>`), so two people can each hold their own (the two-person resume).
 * Every response carries a trace_id (body and `x-trace-id` header; an incoming W3C
 * `traceparent` is honoured) and passes the sanitizer on its way out.
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { DaemonContext, DaemonService } from './daemon.js';
import type { Mode, Registry } from '../core/types.js';
import { MODES } from '../core/types.js';
import { AmbiguousBotError, ExitCode, ObservatoryError, UsageError } from '../core/errors.js';
import { apiTokens, assertHttpExposure, type ApiToken } from '../core/config.js';
import { classifyPgError } from '../core/store.js';
import { describeOutage } from '../core/outage.js';
import { isLoopback } from '../core/loopback.js';
import { redactDeep, sanitizeError } from '../core/redact.js';
import { newTraceId, parseTraceparent } from '../core/trace.js';
import { autonomyView, resolveBotRef, systemStatusView } from '../core/views.js';
import { INSTANT_EXPECTED, parseInstant } from '../core/views.js';
import { buildMetrics } from './metrics.js';
import { sendAmbiguousBot, sendError } from './replies.js';
import { autonomyQuery, healthzQuery, modeQuery, parseInput } from './api-spec.js';

declare module 'fastify' {
  interface FastifyRequest {
    traceId: string;
  }
}

function tokenMatches(presented: Buffer, token: string): boolean {
  const b = Buffer.from(token);
  return presented.length === b.length && timingSafeEqual(presented, b);
}

/**
 * The actor of the bearer token presented, or null. Every configured token is compared, in
 * constant time, whichever matched first: how long the check takes does not tell which one it was.
 */
function tokenActor(header: string | undefined, tokens: readonly ApiToken[]): string | null {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return null;
  const presented = Buffer.from(m[1].trim());
  let actor: string | null = null;
  for (const t of tokens) if (tokenMatches(presented, t.token) && actor === null) actor = t.actor;
  return actor;
}

/** A route plug-in: other capabilities (ingest, proof, events) add their routes through this. */
export type RouteModule = (app: FastifyInstance, ctx: DaemonContext, helpers: RouteHelpers) => void | Promise<void>;

export interface RouteHelpers {
  registry: Registry;
  requireToken: (req: FastifyRequest, reply: FastifyReply) => boolean;
  /** as requireToken, answering the matching token's actor (null: 401 sent) */
  requireActor: (req: FastifyRequest, reply: FastifyReply) => string | null;
  parseMode: (raw: unknown, reply: FastifyReply, req: FastifyRequest) => Mode | undefined;
  /** counts for /metrics that only a route sees */
  metrics: { ingestUnavailable(): void };
}

export class HttpService implements DaemonService {
  readonly name = 'http';
  private app?: FastifyInstance;
  /** the port actually bound (OBSERVATORY_PORT=0 picks a free one) */
  port = 0;
  /** every route registered, `METHOD url` (the contract test holds them against the OpenAPI document) */
  readonly routes: string[] = [];

  constructor(
    private readonly registry: Registry,
    private readonly opts: { routes?: RouteModule[]; defaultMode?: Mode } = {},
  ) {}

  async start(ctx: DaemonContext): Promise<void> {
    const { config, log } = ctx;
    const { bind, port } = config.http;
    const tokens = apiTokens(config.http);
    // refused when the config is loaded; checked again for a config built by hand (never serve unprotected)
    assertHttpExposure(config.http);
    const protect = !isLoopback(bind);
    // a client that sends its body slowly (or never) must not hold a connection open for good
    const app = Fastify({ logger: false, bodyLimit: config.limits.ingestBodyBytes, requestTimeout: 30_000, connectionTimeout: 60_000 });
    this.app = app;
    const defaultMode = this.opts.defaultMode ?? 'live';

    // an empty JSON body is no body (a bare `POST /api/runs/:id/heartbeat` with a JSON content
    // type, as many HTTP clients send it): each route decides whether it needs one; any other
    // body goes through fastify's own parser (prototype-poisoning protection included)
    const jsonParser = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
      if ((body as string).trim() === '') return done(null, undefined);
      return jsonParser(req, body as string, done);
    });

    app.addHook('onRoute', (r) => {
      for (const m of [r.method].flat()) if (m !== 'HEAD') this.routes.push(`${m} ${r.url}`);
    });
    app.decorateRequest('traceId', '');
    app.addHook('onRequest', async (req, reply) => {
      req.traceId = parseTraceparent(req.headers.traceparent as string | undefined) ?? newTraceId();
      reply.header('x-trace-id', req.traceId);
    });
    // every body leaves through the sanitizer
    app.addHook('preSerialization', async (_req, _reply, payload) => redactDeep(payload));

    const requireActor = (req: FastifyRequest, reply: FastifyReply): string | null => {
      const actor = tokenActor(req.headers.authorization, tokens);
      if (actor) return actor;
      void sendError(
        reply.header('www-authenticate', 'Bearer'),
        req,
        401,
        'UNAUTHORIZED',
        tokens.length ? 'missing or wrong bearer token' : 'OBSERVATORY_TOKEN is not set on the daemon; ingest is disabled',
      );
      return null;
    };
    const requireToken = (req: FastifyRequest, reply: FastifyReply): boolean => requireActor(req, reply) !== null;
    if (protect) {
      app.addHook('onRequest', async (req, reply) => {
        if (req.url.split('?')[0] === '/healthz') return;
        if (!requireToken(req, reply)) return reply;
      });
    } else {
      // writes always need the token — checked before the body is read, so an unauthenticated
      // client cannot make the daemon buffer megabytes
      app.addHook('onRequest', async (req, reply) => {
        if (req.method === 'POST' && !requireToken(req, reply)) return reply;
      });
    }
    const modeMessage = `mode must be one of ${MODES.join(', ')}`;
    const parseMode = (raw: unknown, reply: FastifyReply, req: FastifyRequest): Mode | undefined => {
      const q = parseInput(modeQuery, { mode: raw === '' ? undefined : raw }, req, reply, modeMessage);
      return q ? (q.mode ?? defaultMode) : undefined;
    };

    // ?probe=live (a liveness probe): 200 while the process answers, whatever the store — restarting
    // the daemon never brings a database back. Otherwise (readiness) 503 when the store cannot be read.
    // Neither looks at the gate: a BLOCKED verdict is an answer this daemon must keep serving.
    app.get('/healthz', async (req, reply) => {
      const q = parseInput(healthzQuery, req.query, req, reply);
      if (!q) return reply;
      let db = true;
      try {
        await ctx.store.pool.query('select 1');
      } catch {
        db = false;
      }
      const ok = db || q.probe === 'live';
      return reply.code(ok ? 200 : 503).send({ ok, trace_id: req.traceId, daemon_id: ctx.daemonId, leader: ctx.isLeader(), store_reachable: db });
    });

    app.get('/api/system/status', async (req, reply) => {
      const mode = parseMode((req.query as Record<string, unknown>).mode, reply, req);
      if (!mode) return reply;
      const view = await systemStatusView(ctx.store.pool, this.registry, config, { mode, traceId: req.traceId });
      return reply.code(view.success ? 200 : 503).send(view);
    });

    // readiness-style: 503 when autonomy is BLOCKED (or cannot be determined)
    app.get('/api/integrations/health', async (req, reply) => {
      const mode = parseMode((req.query as Record<string, unknown>).mode, reply, req);
      if (!mode) return reply;
      const view = await systemStatusView(ctx.store.pool, this.registry, config, { mode, traceId: req.traceId });
      const bad = view.autonomy.global_status === 'BLOCKED' || view.autonomy.global_status === 'UNKNOWN';
      return reply.code(bad ? 503 : 200).send(view);
    });

    app.get('/api/system/autonomy', async (req, reply) => {
      const raw = req.query as Record<string, unknown>;
      // ?bot=a&bot=b arrives as an array: refuse it rather than silently gate without the bot
      const q = parseInput(
        autonomyQuery,
        { mode: raw.mode === '' ? undefined : raw.mode, bot: raw.bot === '' ? undefined : raw.bot, at: raw.at === '' ? undefined : raw.at },
        req,
        reply,
        (issues) =>
          issues[0].path[0] === 'at'
            ? 'at must be given once'
            : issues[0].path[0] !== 'bot'
              ? modeMessage
              : Array.isArray(raw.bot)
                ? 'bot must be given once'
                : 'bot: a UUID or a name (at most 256 characters)',
      );
      if (!q) return reply;
      const mode = q.mode ?? defaultMode;
      const bot = q.bot;
      // a name is resolved by the view; an ambiguous one is refused here, with the candidates
      if (bot)
        try {
          await resolveBotRef(ctx.store.pool, bot);
        } catch (err) {
          if (err instanceof AmbiguousBotError) return sendAmbiguousBot(reply, req, err);
          throw err;
        }
      const at = q.at ? parseInstant(q.at) : undefined;
      if (at === undefined && q.at) return sendError(reply, req, 400, 'BAD_REQUEST', `at: ${INSTANT_EXPECTED}`);
      const view = await autonomyView(ctx.store.pool, this.registry, config, { mode, botId: bot, traceId: req.traceId, at });
      return reply.code(view.success ? 200 : 503).send(view);
    });

    const metrics = buildMetrics(ctx, this.registry);
    app.get('/metrics', async (_req, reply) => {
      const text = await metrics.render();
      return reply.header('content-type', metrics.contentType).send(text);
    });

    for (const mod of this.opts.routes ?? []) await mod(app, ctx, { registry: this.registry, requireToken, requireActor, parseMode, metrics });

    app.setNotFoundHandler((req, reply) => {
      void sendError(reply, req, 404, 'NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
    });
    app.setErrorHandler((err: { statusCode?: number; code?: string; message?: string }, req, reply) => {
      // every route, one answer: a store that cannot be read is a retryable 503 (fail closed, like
      // the status routes), a bad filter a 400 naming it — never a bare 500
      // classified first, so a raw driver error (no schema, missing database, refused) counts too
      const outage = describeOutage(err, ctx.store.url);
      if (outage.storeUnavailable) return void sendError(reply, req, 503, 'STATUS_UNAVAILABLE', outage.message);
      if (err instanceof UsageError || classifyPgError(err) === 'invalid_input')
        return void sendError(reply, req, 400, 'BAD_REQUEST', sanitizeError(err).message);
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) log.error({ err, trace_id: req.traceId }, 'request failed');
      void sendError(
        reply,
        req,
        status,
        status === 500 ? 'INTERNAL' : (err.code ?? 'BAD_REQUEST'),
        status === 500 ? 'internal error; see the daemon log for this trace_id' : (err.message ?? 'bad request'),
      );
    });

    try {
      await app.listen({ host: bind, port });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE')
        throw new ObservatoryError('PORT_IN_USE', `HTTP API: port ${port} on ${bind} is already in use (another daemon?)`, {
          hint: 'stop the other process, or set OBSERVATORY_PORT (0 picks a free port)',
        });
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
        throw new ObservatoryError('BIND_INVALID', `HTTP API: cannot bind to ${bind} (${code})`, {
          exitCode: ExitCode.CONFIG,
          hint: 'set OBSERVATORY_BIND to an address of this host, e.g. 127.0.0.1',
        });
      throw err;
    }
    const addr = app.server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : port;
    log.info({ bind, port: this.port }, 'HTTP API listening');
  }

  async stop(): Promise<void> {
    await this.app?.close();
  }
}
