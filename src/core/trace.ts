import { randomBytes } from 'node:crypto';

/** W3C trace-context trace-id: 32 lowercase hex, never all zeros. */
export function newTraceId(): string {
  let id = randomBytes(16).toString('hex');
  while (/^0+$/.test(id)) id = randomBytes(16).toString('hex');
  return id;
}

export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}

/** `traceparent` header value (version 00, sampled). */
export function traceparent(traceId: string, spanId = newSpanId()): string {
  return `00-${traceId}-${spanId}-01`;
}

export function isTraceId(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-f]{32}$/.test(v) && !/^0+$/.test(v);
}

/** Accepts an incoming traceparent header; returns its trace-id or undefined. */
export function parseTraceparent(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(header.trim());
  return m && isTraceId(m[1]) ? m[1] : undefined;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID in its canonical text form (bot, run and event ids). */
export function isUuid(v: unknown): v is string {
  return typeof v === 'string' && UUID_RE.test(v);
}
