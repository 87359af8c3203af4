/**
 * Numbered plain-SQL migrations (migrations/NNN_name.sql), each in its own transaction,
 * the whole run under a Postgres advisory lock so concurrent starters are safe. A database
 * that has migrations this build does not know is refused (SchemaTooNewError, exit 76).
 *
 * Hand-written rather than node-pg-migrate: the runner is ~80 lines, and we need the
 * "newer than the code" refusal and partition upkeep in the same locked section.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { ObservatoryError, SchemaTooNewError } from '../errors.js';
import { PACKAGE_ROOT } from '../version.js';
import { toStoreError } from './errors.js';

export const MIGRATIONS_DIR = join(PACKAGE_ROOT, 'migrations');
/** pg_advisory_lock key: 'observatory' as a stable 64-bit number */
const MIGRATE_LOCK_KEY = '7311000001';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The migrations' versions and names, numbering checked; no SQL read. */
function migrationNames(dir: string): Omit<Migration, 'sql'>[] {
  const list = readdirSync(dir)
    .filter((f) => /^\d{3,}_[a-z0-9_]+\.sql$/.test(f))
    .map((f) => ({ version: Number(f.split('_')[0]), name: f.replace(/\.sql$/, '') }))
    .sort((a, b) => a.version - b.version);
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new ObservatoryError('MIGRATIONS_BROKEN', `migration numbering has a gap or duplicate at ${m.name}`);
  });
  return list;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return migrationNames(dir).map((m) => ({ ...m, sql: readFileSync(join(dir, `${m.name}.sql`), 'utf8') }));
}

/** The schema this build needs: every read command checks it, so the SQL is not read for it. */
export const CODE_SCHEMA_VERSION = (): number => migrationNames(MIGRATIONS_DIR).length;

export interface MigrateResult {
  applied: string[];
  version: number;
  partitionsCreated: string[];
}

export async function migrate(pool: pg.Pool, opts: { url?: string; dir?: string } = {}): Promise<MigrateResult> {
  const migrations = loadMigrations(opts.dir);
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw toStoreError(err, opts.url);
  }
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATE_LOCK_KEY]);
    try {
      await client.query(`create table if not exists observatory_migrations (
        version integer primary key, name text not null, applied_at timestamptz not null default now())`);
      const { rows } = await client.query<{ version: number }>('select version from observatory_migrations order by version');
      const done = new Set(rows.map((r) => r.version));
      const dbMax = rows.length ? rows[rows.length - 1].version : 0;
      if (dbMax > migrations.length) throw new SchemaTooNewError(dbMax, migrations.length);

      const applied: string[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        await client.query('begin');
        try {
          await client.query(m.sql);
          await client.query('insert into observatory_migrations (version, name) values ($1, $2)', [m.version, m.name]);
          await client.query('commit');
        } catch (err) {
          await client.query('rollback').catch(() => undefined);
          throw new ObservatoryError('MIGRATION_FAILED', `migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(m.name);
      }
      const parts = await client.query<{ p: string }>('select observatory_ensure_usage_partitions() as p');
      return { applied, version: migrations.length, partitionsCreated: parts.rows.map((r) => r.p) };
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATE_LOCK_KEY]).catch(() => undefined);
    }
  } catch (err) {
    throw toStoreError(err, opts.url);
  } finally {
    client.release();
  }
}

/** Schema version the database is at (0 when never migrated). */
export async function schemaVersion(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ v: number | null }>(
    `select case when to_regclass('observatory_migrations') is null then 0
            else (select coalesce(max(version), 0) from observatory_migrations) end as v`,
  );
  return rows[0]?.v ?? 0;
}

/** Refuses a database whose schema is newer than this build, or not migrated at all. */
export async function assertSchemaCompatible(pool: pg.Pool, url?: string): Promise<number> {
  let v: number;
  try {
    v = await schemaVersion(pool);
  } catch (err) {
    throw toStoreError(err, url);
  }
  const known = CODE_SCHEMA_VERSION();
  if (v > known) throw new SchemaTooNewError(v, known);
  if (v < known)
    throw new ObservatoryError('SCHEMA_OUTDATED', `the status store is at schema ${v}, this build needs ${known}`, {
      hint: 'run `observatory migrate`',
    });
  return v;
}
