/**
 * libpq-style multi-host connection strings for node-postgres, which takes one host only:
 * `postgres://u@h1:5432,h2:5432/db?target_session_attrs=read-write`. Hosts are tried in order
 * and the first that matches target_session_attrs wins, as libpq does; the choice is remembered
 * until a connection or query says the server died or turned read-only (a failover), then the
 * next connection looks again. One host without the parameter takes none of this path.
 */
import pg from 'pg';
import { ConfigError } from '../errors.js';

export const TARGET_SESSION_ATTRS = ['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby'] as const;
export type TargetSessionAttrs = (typeof TARGET_SESSION_ATTRS)[number];

export interface HostPort {
  host: string;
  port: number;
}

export interface ConnectionTarget {
  hosts: HostPort[];
  targetSessionAttrs: TargetSessionAttrs;
  /** the connection string for one of the hosts, without target_session_attrs (node-postgres would not know it) */
  urlFor(h: HostPort): string;
  /** true when hosts must be chosen by us (several hosts, or a session attribute other than any) */
  multi: boolean;
}

const SHAPE = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]*)(.*)$/i;

/** Parses a postgres URL with one or several hosts; throws ConfigError with a one-line fix when malformed. */
export function parseConnectionUrl(url: string, where = 'DATABASE_URL'): ConnectionTarget {
  const m = SHAPE.exec(url.trim());
  if (!m) throw new ConfigError(`${where}: expected postgres://user:password@host:port/database (several hosts: host1:5432,host2:5432)`);
  const [, scheme, userinfo = '', hostList, rest] = m;
  const hosts = hostList === '' ? [{ host: 'localhost', port: 5432 }] : hostList.split(',').map((h) => parseHostPort(h, where));
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1));
  const tsa = params.get('target_session_attrs') ?? 'any';
  if (!(TARGET_SESSION_ATTRS as readonly string[]).includes(tsa))
    throw new ConfigError(`${where}: target_session_attrs=${tsa.slice(0, 40)} is not one of ${TARGET_SESSION_ATTRS.join(', ')}`);
  params.delete('target_session_attrs');
  const query = params.toString();
  const urlFor = (h: HostPort) => `${scheme}${userinfo}${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}${path}${query ? `?${query}` : ''}`;
  return { hosts, targetSessionAttrs: tsa as TargetSessionAttrs, urlFor, multi: hosts.length > 1 || tsa !== 'any' };
}

function parseHostPort(s: string, where: string): HostPort {
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/i.exec(s.trim());
  const port = m?.[3] === undefined ? 5432 : Number(m[3]);
  if (!m || port < 1 || port > 65535) throw new ConfigError(`${where}: "${s.slice(0, 60)}" is not host or host:port`);
  return { host: m[1] ?? m[2], port };
}

/** host:port[,host:port]/db — for humans; never the user or password. */
export function describeHosts(url: string): string {
  const t = parseConnectionUrl(url);
  const path = new URL(t.urlFor(t.hosts[0])).pathname;
  return `${t.hosts.map((h) => `${h.host}:${h.port}`).join(',')}${path}`;
}

interface SessionFacts {
  inRecovery: boolean;
  readOnly: boolean;
}

function matches(want: TargetSessionAttrs, f: SessionFacts): boolean {
  switch (want) {
    case 'any':
    case 'prefer-standby':
      return true;
    case 'read-write':
      return !f.readOnly;
    case 'read-only':
      return f.readOnly;
    case 'primary':
      return !f.inRecovery;
    case 'standby':
      return f.inRecovery;
  }
}

async function sessionFacts(c: pg.Client): Promise<SessionFacts> {
  const { rows } = await c.query<{ r: boolean; ro: string }>("select pg_is_in_recovery() as r, current_setting('transaction_read_only') as ro");
  return { inRecovery: rows[0].r, readOnly: rows[0].ro === 'on' || rows[0].r };
}

/** A server that said it cannot take writes, is shutting down, or a connection that broke: look again. */
export function isFailoverSignal(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code ?? '';
  return (
    code === '25006' || // read_only_sql_transaction: the server is now a standby
    code === '57P01' || // admin_shutdown
    code === '57P02' ||
    code === '57P03' || // cannot_connect_now (starting up / in recovery)
    code.startsWith('08') ||
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code) ||
    /Connection terminated/i.test((err as Error | undefined)?.message ?? '')
  );
}

export class NoMatchingHostError extends Error {
  readonly code = 'OBS_NO_MATCHING_HOST';
  constructor(target: ConnectionTarget, tried: string[]) {
    super(
      `none of ${target.hosts.length} database host(s) accepts ${target.targetSessionAttrs} sessions (${tried.join('; ')}); ` +
        'check that a primary is up (pg_autoctl show state) and that DATABASE_URL lists it',
    );
  }
}

/**
 * Chooses the host for new connections and remembers it until told to forget. Each look tries
 * the hosts in order on a short-lived connection (prefer-standby: a standby first, else any).
 */
export class HostChooser {
  private chosen: HostPort | undefined;
  private looking: Promise<HostPort> | undefined;
  /** whether the chosen server was a standby when chosen (reads from it may be behind) */
  standby = false;

  constructor(
    readonly target: ConnectionTarget,
    private readonly connectOpts: { connectTimeoutMs: number; applicationName: string },
  ) {}

  forget(): void {
    this.chosen = undefined;
  }

  async choose(): Promise<HostPort> {
    if (this.chosen) return this.chosen;
    this.looking ??= this.look().finally(() => (this.looking = undefined));
    return this.looking;
  }

  private async look(): Promise<HostPort> {
    const want = this.target.targetSessionAttrs;
    const tried: string[] = [];
    let fallback: { h: HostPort; f: SessionFacts } | undefined;
    for (const h of this.target.hosts) {
      const c = new pg.Client({
        connectionString: this.target.urlFor(h),
        connectionTimeoutMillis: this.connectOpts.connectTimeoutMs,
        query_timeout: this.connectOpts.connectTimeoutMs,
        application_name: `${this.connectOpts.applicationName}-probe`,
      });
      c.on('error', () => undefined);
      try {
        await c.connect();
        const f = await sessionFacts(c);
        if (want === 'prefer-standby' ? f.inRecovery : matches(want, f)) return this.pick(h, f);
        fallback ??= { h, f };
        tried.push(`${h.host}:${h.port} ${f.inRecovery ? 'standby' : f.readOnly ? 'read-only' : 'read-write'}`);
      } catch (err) {
        tried.push(`${h.host}:${h.port} ${(err as { code?: string }).code ?? 'unreachable'}`);
      } finally {
        await c.end().catch(() => undefined);
      }
    }
    if (want === 'prefer-standby' && fallback) return this.pick(fallback.h, fallback.f);
    throw new NoMatchingHostError(this.target, tried);
  }

  /** Throws (and forgets the choice) when a new session on the chosen host no longer matches. */
  async verify(c: pg.Client): Promise<void> {
    const want = this.target.targetSessionAttrs;
    const f = await sessionFacts(c);
    if (want === 'prefer-standby' || matches(want, f)) return;
    this.forget();
    await c.end().catch(() => undefined);
    throw Object.assign(new Error(`the database host changed role (now ${f.inRecovery ? 'standby' : 'read-only'}); the next connection looks again`), {
      code: 'OBS_HOST_CHANGED_ROLE',
    });
  }

  private pick(h: HostPort, f: SessionFacts): HostPort {
    this.chosen = h;
    this.standby = f.inRecovery;
    return h;
  }
}

/**
 * A pg.Client class for a pool over a multi-host target: each new connection goes to the chosen
 * host, and any failover signal on it (an error event, a failed query) makes the chooser look
 * again for the next connection. The pool already drops a client whose query failed.
 */
export function failoverClientClass(chooser: HostChooser): typeof pg.Client {
  return class FailoverClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super(config);
      this.on('error', (err) => {
        if (isFailoverSignal(err)) chooser.forget();
      });
    }

    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override connect(callback?: any): any {
      const run = async () => {
        const h = await chooser.choose();
        const self = this as unknown as { host: string; port: number; connectionParameters: { host: string; port: number } };
        self.host = self.connectionParameters.host = h.host;
        self.port = self.connectionParameters.port = h.port;
        try {
          await super.connect();
          // as libpq does, each new session is checked: the chosen server may have changed role since it was chosen
          if (chooser.target.targetSessionAttrs !== 'any') await chooser.verify(this);
        } catch (err) {
          chooser.forget();
          throw err;
        }
      };
      if (typeof callback === 'function') {
        run().then(() => callback(null, this), callback);
        return undefined;
      }
      return run();
    }

    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override query(...args: any[]): any {
      const seen = (err: unknown) => {
        if (err && isFailoverSignal(err)) chooser.forget();
      };
      // the pool calls with a callback; other callers use the promise
      const last = args.length - 1;
      if (typeof args[last] === 'function') {
        const cb = args[last] as (err: unknown, res: unknown) => void;
        args[last] = (err: unknown, res: unknown) => {
          seen(err);
          cb(err, res);
        };
      }
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const r = (super.query as any)(...args);
      if (r && typeof r.catch === 'function') r.catch(seen);
      return r;
    }
  } as unknown as typeof pg.Client;
}

/** pg.Pool / pg.Client options for a URL: one host passes straight through; several go through a chooser. */
export function connectionOptions(
  url: string,
  opts: { connectTimeoutMs: number; applicationName: string },
): { config: pg.ClientConfig; Client?: typeof pg.Client; chooser?: HostChooser } {
  const target = parseConnectionUrl(url);
  if (!target.multi) return { config: { connectionString: url } };
  const chooser = new HostChooser(target, opts);
  // the connection string's host is replaced per connection by the chooser
  return { config: { connectionString: target.urlFor(target.hosts[0]) }, Client: failoverClientClass(chooser), chooser };
}

/** An unconnected pg.Client (LISTEN sessions, the leader lock) that will connect to the right host for the URL. */
export function newClient(url: string, config: Omit<pg.ClientConfig, 'connectionString'> = {}): pg.Client {
  const o = connectionOptions(url, { connectTimeoutMs: config.connectionTimeoutMillis ?? 5_000, applicationName: config.application_name ?? 'observatory' });
  const Client = o.Client ?? pg.Client;
  return new Client({ ...config, ...o.config });
}
