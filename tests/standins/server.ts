/**
 * Generic local stand-in: a node:http server on 127.0.0.1:0 that records every request and
 * answers through a vendor handler (its real paths, auth checks and JSON shapes), unless a
 * test switched it into a failure mode. Tests only; never imported by src/.
 *
 * Error replies deliberately ECHO what the client sent (Authorization header, login body,
 * basic-auth user) in the body, in an `x-echo-authorization` header and in redirect
 * Location URLs, the way careless vendors do, so leak tests can prove none of it escapes.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status: number;
  body?: unknown; // JSON-encoded unless `raw`
  raw?: string;
  headers?: Record<string, string>;
  /** answer this late (a slow route: an order waiting for its exchange id) */
  delayMs?: number;
}

/** Which requests a failure mode applies to: all, only the login call, or only the others. */
export type Scope = 'all' | 'login' | 'probe';

export type Mode =
  | { kind: 'normal'; delayMs?: number } // the vendor's real behaviour (optionally slow)
  | { kind: 'status'; status: number; scope?: Scope; retryAfter?: string } // that HTTP status, echoing body (Retry-After on 429/503)
  | { kind: 'hang'; scope?: Scope } // accept, never answer
  | { kind: 'malformed'; scope?: Scope } // 200 with a body that is not JSON
  | { kind: 'wrong_shape'; scope?: Scope } // 200 with JSON of the wrong shape
  | { kind: 'redirect'; scope?: Scope } // 302 to a URL carrying the received credential
  | { kind: 'reset'; scope?: Scope } // destroy the socket mid-request
  | { kind: 'vendor'; name: string; scope?: Scope }; // a vendor-specific reply (penalty, errorText…)

export interface VendorHandler {
  /** path prefix the base URL carries (e.g. /v1 for Tradovate) */
  basePath: string;
  isLogin(r: Recorded): boolean;
  /** the vendor's normal answer (auth checks included) */
  handle(r: Recorded, s: Standin): Reply;
  /** 200 JSON that parses but is not what the protocol promises */
  wrongShape(r: Recorded): unknown;
  /** vendor-specific named replies for `{kind:'vendor'}` */
  special?(name: string, r: Recorded, s: Standin): Reply;
  /** the credential a leaky vendor would echo (key, token, password…) */
  echoed(r: Recorded): string;
}

export class Standin {
  readonly requests: Recorded[] = [];
  logins = 0;
  mode: Mode = { kind: 'normal' };
  /** tokens this stand-in issued and still accepts */
  readonly validTokens = new Set<string>();
  private server!: Server;
  private port = 0;

  constructor(readonly vendor: VendorHandler) {}

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What goes into ProbeDef.baseUrl. */
  get baseUrl(): string {
    return `${this.origin}${this.vendor.basePath}`;
  }

  set(mode: Mode): this {
    this.mode = mode;
    return this;
  }

  revokeTokens(): void {
    this.validTokens.clear();
  }

  reset(): void {
    this.requests.length = 0;
    this.logins = 0;
    this.validTokens.clear();
    this.mode = { kind: 'normal' };
  }

  /** Requests other than logins. */
  get probeRequests(): Recorded[] {
    return this.requests.filter((r) => !this.vendor.isLogin(r));
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://standin');
        const rec: Recorded = {
          method: req.method ?? 'GET',
          path: u.pathname,
          query: u.search,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(rec);
        if (this.vendor.isLogin(rec)) this.logins++;
        this.answer(rec, res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  private applies(rec: Recorded, scope: Scope | undefined): boolean {
    if (!scope || scope === 'all') return true;
    return scope === 'login' ? this.vendor.isLogin(rec) : !this.vendor.isLogin(rec);
  }

  /** The body careless vendors send on errors: everything they received, verbatim. */
  echoBody(rec: Recorded, message: string): Record<string, unknown> {
    return {
      status: 'ERROR',
      error: `${message}: received ${this.vendor.echoed(rec)}`,
      authorization: rec.headers.authorization ?? null,
      request_body: rec.body,
      request_url: `${rec.path}${rec.query}`,
    };
  }

  private answer(rec: Recorded, res: ServerResponse): void {
    const m = this.mode;
    const echoHeaders = { 'x-echo-authorization': String(rec.headers.authorization ?? this.vendor.echoed(rec)), 'x-echo-credential': this.vendor.echoed(rec) };
    let reply: Reply | 'hang' | 'reset';
    if (m.kind === 'normal' || !this.applies(rec, m.scope)) reply = this.vendor.handle(rec, this);
    else if (m.kind === 'status')
      reply = {
        status: m.status,
        body: this.echoBody(rec, `HTTP ${m.status}`),
        headers: { ...echoHeaders, ...(m.status === 429 || m.status === 503 ? { 'retry-after': String(m.retryAfter ?? 1) } : {}) },
      };
    else if (m.kind === 'hang') reply = 'hang';
    else if (m.kind === 'reset') reply = 'reset';
    else if (m.kind === 'malformed')
      reply = { status: 200, raw: `<html>oops ${this.vendor.echoed(rec)} ${rec.headers.authorization ?? ''}`, headers: echoHeaders };
    else if (m.kind === 'wrong_shape') reply = { status: 200, body: this.vendor.wrongShape(rec), headers: echoHeaders };
    else if (m.kind === 'redirect')
      reply = {
        status: 302,
        headers: {
          ...echoHeaders,
          location: `https://elsewhere.invalid/cb?apiKey=${encodeURIComponent(this.vendor.echoed(rec))}&auth=${encodeURIComponent(String(rec.headers.authorization ?? ''))}`,
        },
        body: this.echoBody(rec, 'moved'),
      };
    else reply = this.vendor.special?.(m.name, rec, this) ?? { status: 500, body: { error: `no special reply ${m.name}` } };

    if (reply === 'hang') return; // keep the socket open; close() destroys it
    if (reply === 'reset') {
      res.socket?.destroy();
      return;
    }
    const r = reply;
    const send = () => {
      const text = r.raw ?? (r.body === undefined ? '' : JSON.stringify(r.body));
      res.writeHead(r.status, { 'content-type': r.raw ? 'text/html' : 'application/json', ...(r.headers ?? {}) });
      res.end(text);
    };
    const delay = r.delayMs ?? (m.kind === 'normal' ? (m.delayMs ?? 0) : 0);
    if (delay > 0) setTimeout(send, delay);
    else send();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A URL on which nothing listens (connection refused). */
export async function closedPortUrl(path = ''): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}${path}`;
}

export function bearerOf(r: Recorded): string | undefined {
  const m = /^Bearer (.+)$/.exec(String(r.headers.authorization ?? ''));
  return m?.[1];
}

export function jsonBody(r: Recorded): Record<string, unknown> {
  try {
    const v = JSON.parse(r.body) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
