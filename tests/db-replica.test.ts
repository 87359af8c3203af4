/** core/db/replica.ts: a read says it came from a standby only when it did; one host costs no query. */
import { describe, expect, it } from 'vitest';
import { freshDatabase } from './helpers/db.js';
import { readSource } from '../src/core/db/replica.js';
import { chooserOf, createPool } from '../src/core/db/pool.js';

describe('readSource', async () => {
  const db = await freshDatabase({ migrated: false });

  it('one host: nothing added and no query sent', async () => {
    let queries = 0;
    const pool = { query: async () => (queries++, { rows: [] }) } as never;
    expect(await readSource(pool)).toBeUndefined();
    expect(queries).toBe(0);
  });

  it('a host list that landed on a primary adds nothing; one that believes it is on a standby asks the server, which has the last word', async () => {
    const u = new URL(db.url);
    const pool = createPool(
      `postgres://${u.username}${u.password ? `:${u.password}` : ''}@${u.hostname}:${u.port || 5432},${u.hostname}:${u.port || 5432}${u.pathname}?target_session_attrs=prefer-standby`,
    );
    try {
      await pool.query('select 1');
      const chooser = chooserOf(pool)!;
      expect(chooser.standby).toBe(false);
      expect(await readSource(pool)).toBeUndefined();
      // a chooser that picked a standby which has since been promoted: pg_is_in_recovery() says primary
      chooser.standby = true;
      expect(await readSource(pool)).toBeUndefined();
    } finally {
      await pool.end();
    }
  });
});
