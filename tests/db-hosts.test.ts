/**
 * core/db/hosts.ts: libpq-style host lists with target_session_attrs over node-postgres. Two
 * relays in front of the one test server stand for two hosts; a host dies when its relay stops,
 * and a server "turns read-only" through its database's default_transaction_read_only.
 */
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase } from './helpers/db.js';
import { Relay } from './helpers/relay.js';
import { describeHosts, parseConnectionUrl } from '../src/core/db/hosts.js';
import { chooserOf, createPool } from '../src/core/db/pool.js';
import { ConfigError } from '../src/core/errors.js';
import { loadConfig } from '../src/core/config.js';

describe('parseConnectionUrl', () => {
  it('reads a host list, ports, IPv6 and target_session_attrs; drops the attribute from each host URL', () => {
    const t = parseConnectionUrl('postgres://svc:pw@h1:5433,h2,[::1]:6000/obs?target_session_attrs=read-write&sslmode=disable');
    expect(t.hosts).toEqual([
      { host: 'h1', port: 5433 },
      { host: 'h2', port: 5432 },
      { host: '::1', port: 6000 },
    ]);
    expect(t.targetSessionAttrs).toBe('read-write');
    expect(t.multi).toBe(true);
    expect(t.urlFor(t.hosts[2])).toBe('postgres://svc:pw@[::1]:6000/obs?sslmode=disable');
    expect(describeHosts('postgres://svc:pw@h1:5433,h2/obs')).toBe('h1:5433,h2:5432/obs');
  });

  it('one host without the attribute takes the plain path', () => {
    expect(parseConnectionUrl('postgres://u@db:5432/obs').multi).toBe(false);
    expect(parseConnectionUrl('postgresql://u@db/obs?target_session_attrs=any').multi).toBe(false);
  });

  it('a malformed attribute or host is a one-line config error naming the field; the password never appears', () => {
    expect(() => parseConnectionUrl('postgres://u:hunter2secret@h1,h2/obs?target_session_attrs=writable')).toThrow(ConfigError);
    expect(() => parseConnectionUrl('postgres://u:hunter2secret@h1,h2/obs?target_session_attrs=writable')).toThrow(
      /DATABASE_URL: target_session_attrs=writable is not one of any, read-write/,
    );
    expect(() => parseConnectionUrl('postgres://u:hunter2secret@h1:99999/obs')).toThrow(/"h1:99999" is not host or host:port/);
    expect(() => parseConnectionUrl('mysql://u@h/obs')).toThrow(/expected postgres:\/\//);
    try {
      parseConnectionUrl('postgres://u:hunter2secret@h1,h2/obs?target_session_attrs=nope');
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('hunter2secret');
    }
  });

  it('the config accepts a host list and refuses a bad attribute with exit 78', () => {
    const env = { DATABASE_URL: 'postgres://u@h1:5432,h2:5432/obs?target_session_attrs=read-write', OBSERVATORY_HOME: '/nonexistent-home-for-test' };
    expect(loadConfig({ env, configPath: '' }).databaseUrl).toBe(env.DATABASE_URL);
    let code: number | undefined;
    try {
      loadConfig({ env: { ...env, DATABASE_URL: 'postgres://u@h1,h2/obs?target_session_attrs=master' }, configPath: '' });
    } catch (err) {
      code = (err as { exitCode?: number }).exitCode;
    }
    expect(code).toBe(78);
  });
});

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('a pool over a host list', async () => {
  const db = await freshDatabase({ migrated: false });
  const target = new URL(db.url);
  const relays = [
    new Relay({ host: target.hostname, port: Number(target.port || 5432) }),
    new Relay({ host: target.hostname, port: Number(target.port || 5432) }),
  ];
  for (const r of relays) await r.start();
  const userinfo = `${target.username}${target.password ? `:${target.password}` : ''}@`;
  const listUrl = (ports: number[], tsa = 'read-write') =>
    `postgres://${userinfo}${ports.map((p) => `127.0.0.1:${p}`).join(',')}${target.pathname}?target_session_attrs=${tsa}`;
  const pools: Array<ReturnType<typeof createPool>> = [];
  afterAll(async () => {
    for (const p of pools) await p.end().catch(() => undefined);
    for (const r of relays) await r.stop();
  });
  const pool = (url: string) => {
    const p = createPool(url, { max: 2, connectTimeoutMs: 2_000 });
    pools.push(p);
    return p;
  };
  const served = async (p: ReturnType<typeof createPool>) => (await p.query<{ port: number }>('select inet_server_port() as port')).rows[0].port;

  it('skips a dead first host and connects to the next', async () => {
    const p = pool(listUrl([await closedPort(), relays[0].port]));
    expect(await served(p)).toBeGreaterThan(0);
    expect(chooserOf(p)?.standby).toBe(false);
  });

  it('the primary dying: at most the in-flight query fails, then the pool follows to the next host', async () => {
    const p = pool(listUrl([relays[0].port, relays[1].port]));
    await p.query('select 1');
    const before = relays[1].connections();
    await relays[0].stop();
    // the idle connection died with its host; the next query may meet it, the one after must not
    await p.query('select 1').catch(() => undefined);
    await expect(p.query('select 1')).resolves.toBeTruthy();
    expect(relays[1].connections()).toBeGreaterThan(before);
    await relays[0].start();
  });

  it('a server that turned read-only is left: connections are dropped and, with no writable host, a clear error', async () => {
    const p = pool(listUrl([relays[0].port, relays[1].port]));
    await p.query('select 1');
    const a = await db.admin();
    try {
      await a.query(`alter database ${db.name} set default_transaction_read_only = on`);
      await a.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [db.name]);
      await p.query('select 1').catch(() => undefined);
      await expect(p.query('select 1')).rejects.toThrow(/none of 2 database host\(s\) accepts read-write sessions .*read-only/);
      await a.query(`alter database ${db.name} reset default_transaction_read_only`);
      await expect(p.query('create table after_failback (x int)')).resolves.toBeTruthy();
    } finally {
      await a.query(`alter database ${db.name} reset default_transaction_read_only`).catch(() => undefined);
      await a.end();
    }
  });

  it('standby and read-only ask for what this server is not: refused with the hosts tried', async () => {
    await expect(pool(listUrl([relays[0].port], 'standby')).query('select 1')).rejects.toThrow(/accepts standby sessions \(127\.0\.0\.1:\d+ read-write\)/);
    // prefer-standby falls back to the primary when no standby is up
    expect(await served(pool(listUrl([relays[0].port, relays[1].port], 'prefer-standby')))).toBeGreaterThan(0);
  });
});

describe('store errors from a host list', () => {
  it('no host in the asked role reads as the store unavailable (gate: UNKNOWN, exit 3), with the hosts but never the password', async () => {
    const { toStoreError } = await import('../src/core/db/errors.js');
    const { NoMatchingHostError } = await import('../src/core/db/hosts.js');
    const url = 'postgres://svc:pw-never-shown@h1:5432,h2:5433/obs?target_session_attrs=read-write';
    const e = toStoreError(new NoMatchingHostError(parseConnectionUrl(url), ['h1:5432 ECONNREFUSED', 'h2:5433 standby']), url);
    expect(e.code).toBe('STATUS_UNAVAILABLE');
    expect(e.message).toContain('at h1:5432,h2:5433/obs');
    expect(e.message).toContain('h2:5433 standby');
    expect(e.message).not.toContain('pw-never-shown');
  });
});
