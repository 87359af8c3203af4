import type pg from 'pg';

export interface DaemonHeartbeat {
  daemon_id: string;
  version: string;
  hostname: string;
  pid: number;
  started_at: Date;
  heartbeat_at: Date;
  leader: boolean;
  live_trading_enabled: boolean;
  stopped_at: Date | null;
  age_ms: number;
}

export async function writeHeartbeat(
  db: pg.Pool | pg.PoolClient,
  hb: { daemonId: string; version: string; hostname: string; pid: number; startedAt: Date; leader: boolean; liveTradingEnabled: boolean },
): Promise<void> {
  await db.query(
    `insert into daemon_heartbeats (daemon_id, version, hostname, pid, started_at, heartbeat_at, leader, live_trading_enabled)
     values ($1, $2, $3, $4, $5, now(), $6, $7)
     on conflict (daemon_id) do update set heartbeat_at = now(), leader = excluded.leader, version = excluded.version,
       live_trading_enabled = excluded.live_trading_enabled, stopped_at = null`,
    [hb.daemonId, hb.version, hb.hostname, hb.pid, hb.startedAt, hb.leader, hb.liveTradingEnabled],
  );
}

export async function markStopped(db: pg.Pool, daemonId: string): Promise<void> {
  await db.query('update daemon_heartbeats set stopped_at = now(), leader = false where daemon_id = $1', [daemonId]);
}

/** Daemons seen recently (not stopped), newest heartbeat first, with their age by the DB clock. */
export async function listHeartbeats(db: pg.Pool, withinMs = 86_400_000): Promise<DaemonHeartbeat[]> {
  const { rows } = await db.query<DaemonHeartbeat>(
    `select *, (extract(epoch from (now() - heartbeat_at)) * 1000)::float8 as age_ms
       from daemon_heartbeats
      where heartbeat_at > now() - make_interval(secs => $1::float8 / 1000)
      order by heartbeat_at desc`,
    [withinMs],
  );
  return rows;
}
