/**
 * The one HTTP error body: `{ success: false, trace_id, error: { code, message, …extra } }`,
 * with the request's trace_id. Every route and hook answers a failure through sendError.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AmbiguousBotError } from '../core/errors.js';

export interface ErrorBody {
  success: false;
  trace_id: string;
  error: { code: string; message: string } & Record<string, unknown>;
}

export function errorBody(traceId: string, code: string, message: string, extra: Record<string, unknown> = {}): ErrorBody {
  return { success: false, trace_id: traceId, error: { code, message, ...extra } };
}

/** Sends the error body with `status`; returns the reply, so a handler can `return sendError(…)`. */
export function sendError(
  reply: FastifyReply,
  req: FastifyRequest,
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): FastifyReply {
  return reply.code(status).send(errorBody(req.traceId, code, message, extra));
}

/** 400 BOT_AMBIGUOUS: a bot name that names several bots, with the candidates (ids and names). */
export function sendAmbiguousBot(reply: FastifyReply, req: FastifyRequest, err: AmbiguousBotError): FastifyReply {
  return sendError(reply, req, 400, 'BOT_AMBIGUOUS', err.message, { candidates: err.candidates });
}
