/**
 * A fresh database per test file, cloned from the migrated template. Dropped after the
 * file unless a test failed (then kept, and its name printed, for inspection).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, inject } from 'vitest';
import { withDatabase } from './urls.js';

export interface TestDb {
  url: string;
  name: string;
  pool: pg.Pool;
  admin: () => Promise<pg.Client>;
}

let failed = false;
const created: Array<{ name: string; pool: pg.Pool }> = [];

// Registered when this helper is imported (at collection, so they attach to the test file):
// hooks added later, from inside beforeAll or a test, are ignored by vitest.
afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') failed = true;
});
afterAll(async () => {
  for (const { name, pool } of created.splice(0)) {
    await pool.end().catch(() => undefined);
    if (failed) {
      process.stderr.write(`kept test database ${name} for inspection\n`);
      continue;
    }
    const a = await adminClient();
    // a database left behind is a leak on a shared server: say so rather than hide it
    await a
      .query(`drop database if exists ${name} with (force)`)
      .catch((err: Error) => process.stderr.write(`could not drop test database ${name}: ${err.message}\n`));
    await a.end();
  }
});

async function adminClient(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: inject('adminUrl') });
  await c.connect();
  return c;
}

/** Call at module level, in beforeAll or in a test. `migrated: false` gives an empty database. */
export async function freshDatabase(opts: { migrated?: boolean } = {}): Promise<TestDb> {
  const name = `obs_t_${randomBytes(5).toString('hex')}`;
  const admin = await adminClient();
  for (let i = 0; ; i++) {
    try {
      await admin.query(opts.migrated === false ? `create database ${name}` : `create database ${name} template ${inject('templateDb')}`);
      break;
    } catch (err) {
      // 55006: template busy with another clone; retry briefly
      if ((err as { code?: string }).code !== '55006' || i > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await admin.end();
  const url = withDatabase(inject('adminUrl'), name);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  created.push({ name, pool });
  return { url, name, pool, admin: adminClient };
}

export const adminUrl = (): string => inject('adminUrl');
