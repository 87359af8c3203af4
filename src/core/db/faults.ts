/** fault_injections: drills stored in the database, honoured by whichever daemon leads, expiring by themselves. */
import type pg from 'pg';

export interface Fault {
  id: string;
  integration: string;
  http_status: number | null;
  latency_ms: number | null;
  created_at: string;
  expires_at: string;
  created_by: string | null;
  trace_id: string;
}

const COLS = `id, integration, http_status, latency_ms, to_json(created_at)#>>'{}' as created_at,
              to_json(expires_at)#>>'{}' as expires_at, created_by, trace_id`;

export async function injectFault(
  db: pg.Pool,
  f: { integration: string; httpStatus?: number; latencyMs?: number; ttlMs: number; createdBy: string; traceId: string },
): Promise<Fault> {
  const { rows } = await db.query<Fault>(
    `insert into fault_injections (integration, http_status, latency_ms, expires_at, created_by, trace_id)
     values ($1, $2, $3, now() + make_interval(secs => $4::float8 / 1000), $5, $6)
     returning ${COLS}`,
    [f.integration, f.httpStatus ?? null, f.latencyMs ?? null, f.ttlMs, f.createdBy, f.traceId],
  );
  await db.query('select pg_notify($1, $2)', ['observatory_state', f.integration]);
  return rows[0];
}

export async function activeFaults(db: pg.Pool | pg.PoolClient, integration?: string): Promise<Fault[]> {
  const { rows } = await db.query<Fault>(
    `select ${COLS} from fault_injections
      where cleared_at is null and expires_at > now() and ($1::text is null or integration = $1)
      order by created_at desc`,
    [integration ?? null],
  );
  return rows;
}

/** Clears active faults (one integration, or all); returns how many. */
export async function clearFaults(db: pg.Pool, integration?: string): Promise<number> {
  const { rowCount } = await db.query(
    `update fault_injections set cleared_at = now()
      where cleared_at is null and expires_at > now() and ($1::text is null or integration = $1)`,
    [integration ?? null],
  );
  await db.query('select pg_notify($1, $2)', ['observatory_state', integration ?? '*']);
  return rowCount ?? 0;
}
