/**
 * vendor_holds (migrations/010): the vendors' pauses and the refused logins a restarted prober
 * must keep (core/vendors/session.ts TokenCache writes them through and restores them). One row
 * per (kind, key); ended rows are deleted. Times are written and read as exact milliseconds, so
 * "remove the row that ends by T" matches the row the process wrote.
 */
import type pg from 'pg';
import { oneLine, redactString } from '../redact.js';
import type { PauseStore, SavedPause } from '../vendors/session.js';
import type { ProbeOutcome } from '../types.js';

type Db = pg.Pool | pg.PoolClient;

const MAX_MESSAGE = 300;
const msAt = (param: string) => `(timestamptz 'epoch' + ${param}::bigint * interval '1 millisecond')`;

/** Deletes the rows that ended by `now` and returns the rest. */
export async function loadVendorHolds(db: Db, now: number = Date.now()): Promise<SavedPause[]> {
  await db.query(`delete from vendor_holds where held_until <= ${msAt('$1')}`, [Math.floor(now)]);
  const { rows } = await db.query<{
    kind: 'hold' | 'refusal';
    key: string;
    outcome: string;
    message: string;
    at: string;
    until: string;
    credential_env: string[] | null;
    credential_check: string | null;
  }>(
    `select kind, key, outcome, message,
            round(extract(epoch from created_at) * 1000)::bigint as at,
            round(extract(epoch from held_until) * 1000)::bigint as until,
            credential_env, credential_check
       from vendor_holds
      order by kind, key`,
  );
  return rows.map((r) => ({
    kind: r.kind,
    key: r.key,
    outcome: r.outcome as ProbeOutcome,
    message: r.message,
    at: Number(r.at),
    until: Number(r.until),
    ...(r.credential_env ? { credentialEnv: r.credential_env } : {}),
    ...(r.credential_check ? { credentialCheck: r.credential_check } : {}),
  }));
}

/** Writes a pause or a refusal. A hold never shortens the one stored (as HoldBook); a refusal replaces the one stored. */
export async function saveVendorHold(db: Db, p: SavedPause): Promise<void> {
  // the message is a fixed phrase already; it still goes through the one sanitizer on its way to a sink
  const message = oneLine(redactString(p.message), MAX_MESSAGE);
  await db.query(
    `insert into vendor_holds (kind, key, outcome, message, created_at, held_until, credential_env, credential_check)
     values ($1, $2, $3, $4, ${msAt('$5')}, ${msAt('$6')}, $7, $8)
     on conflict (kind, key) do update
        set outcome = excluded.outcome, message = excluded.message, created_at = excluded.created_at,
            held_until = excluded.held_until, credential_env = excluded.credential_env, credential_check = excluded.credential_check
      where vendor_holds.kind = 'refusal' or vendor_holds.held_until < excluded.held_until`,
    [
      p.kind,
      p.key,
      p.outcome,
      message,
      Math.floor(p.at),
      Math.ceil(p.until),
      p.kind === 'refusal' ? [...(p.credentialEnv ?? [])] : null,
      p.kind === 'refusal' ? (p.credentialCheck ?? null) : null,
    ],
  );
}

/** Removes a row; with `endedBy`, only if it ends by then (a longer pause written meanwhile stays). */
export async function deleteVendorHold(db: Db, kind: SavedPause['kind'], key: string, endedBy?: number): Promise<void> {
  await db.query(`delete from vendor_holds where kind = $1 and key = $2 and ($3::bigint is null or held_until <= ${msAt('$3')})`, [
    kind,
    key,
    endedBy === undefined ? null : Math.ceil(endedBy),
  ]);
}

/** The store TokenCache writes through to. */
export function vendorHoldStore(db: Db): PauseStore {
  return {
    save: (p) => saveVendorHold(db, p),
    remove: (kind, key, endedBy) => deleteVendorHold(db, kind, key, endedBy),
  };
}
