/**
 * Observatory's own store (DATABASE_URL or the embedded Postgres). Probe: `select 1`, then the
 * schema check (observatory_migrations exists and has rows) through ctx.pool. Errors are
 * classified by SQLSTATE/errno in the one table of core/db/errors.ts; only the code and a fixed
 * phrase reach the message.
 */
import { classifyPgError } from '../db/errors.js';
import type { Verdict, VendorModule } from './module.js';

function codeOf(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | undefined)?.code;
  return typeof c === 'string' && /^[A-Z0-9_]{1,40}$/.test(c) ? c : undefined;
}

/** SQLSTATE classes are digits or F0/HV/P0/XX; errno codes start with E. */
const isSqlState = (code: string | undefined): boolean => !!code && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('E');

function failure(err: unknown, step: string): Verdict {
  const code = codeOf(err);
  const tag = code ? ` (${code})` : '';
  const kind = classifyPgError(err);
  if (kind === 'auth') return { outcome: 'AUTH_REJECTED', message: `database rejected the credentials${tag}` };
  if (kind === 'schema_missing')
    return { outcome: 'CHECK_FAILED', message: 'observatory schema missing (no observatory_migrations table); run: observatory migrate' };
  // no SQLSTATE: the server never answered (refused, reset, DNS, terminated)
  if (kind === 'unavailable' || !isSqlState(code)) return { outcome: 'UPSTREAM_NETWORK', message: `database unreachable${tag}` };
  return { outcome: 'CHECK_FAILED', message: `${step} failed${tag}` };
}

export const postgres: VendorModule = {
  name: 'postgres',
  label: 'Postgres',
  kind: 'store',
  description: "Observatory's own status store (DATABASE_URL or the embedded Postgres)",
  envVars: [],
  requiredFor: ['live', 'paper', 'shadow'],
  timing: { intervalMs: 15_000 },
  configHint: 'DATABASE_URL',
  fixes: {
    UPSTREAM_NETWORK: 'Check DATABASE_URL and that Postgres is running (`observatory up` starts the embedded one)',
    UPSTREAM_TIMEOUT: 'Check DATABASE_URL and that Postgres is running and not overloaded',
    CHECK_FAILED: 'Postgres answered but the check failed: run `observatory migrate` and `observatory probe postgres`',
  },
  produces: [],
  async probe(rc) {
    const pool = rc.pool;
    if (!pool) return { outcome: 'CHECK_FAILED', message: 'no database pool given to the postgres probe' };
    try {
      await pool.query('select 1');
    } catch (err) {
      return failure(err, 'select 1');
    }
    try {
      const { rows } = await pool.query<{ n: number }>('select count(*)::int as n from observatory_migrations');
      if (!rows[0] || rows[0].n < 1)
        return { outcome: 'CHECK_FAILED', message: 'observatory schema not migrated (observatory_migrations is empty); run: observatory migrate' };
      return { outcome: 'OK' };
    } catch (err) {
      return failure(err, 'schema check');
    }
  },
  source: import.meta.url,
};
