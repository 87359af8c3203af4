import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { freshDatabase } from './helpers/db.js';
import { loadMigrations, migrate, schemaVersion, CODE_SCHEMA_VERSION } from '../src/core/db/migrate.js';
import { SchemaTooNewError } from '../src/core/errors.js';
import { cli } from './helpers/cli.js';
import { applyRetention } from '../src/core/db/retention.js';

const uuid = () => crypto.randomUUID();
const trace = () => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex');

async function insertEvent(pool: pg.Pool, createdAt: string | Date = new Date()) {
  const id = uuid();
  await pool.query(
    `insert into integration_usage_events (id, created_at, integration, operation, status, trace_id)
     values ($1, $2, 'databento', 'marketdata.bars', 'OK', $3)`,
    [id, createdAt, trace()],
  );
  return id;
}

describe('migrations', () => {
  it('apply to an empty database, then again as a no-op', async () => {
    const db = await freshDatabase({ migrated: false });
    const first = await migrate(db.pool);
    expect(first.applied).toEqual(loadMigrations().map((m) => m.name));
    expect(first.partitionsCreated.length).toBeGreaterThanOrEqual(4);
    const second = await migrate(db.pool);
    expect(second.applied).toEqual([]);
    expect(second.partitionsCreated).toEqual([]);
    expect(await schemaVersion(db.pool)).toBe(CODE_SCHEMA_VERSION());
  });

  it('two concurrent migrators apply each migration exactly once', async () => {
    const db = await freshDatabase({ migrated: false });
    const a = new pg.Pool({ connectionString: db.url, max: 1 });
    const b = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      expect([...ra.applied, ...rb.applied].sort()).toEqual(loadMigrations().map((m) => m.name));
      const { rows } = await db.pool.query('select count(*)::int as n from observatory_migrations');
      expect(rows[0].n).toBe(CODE_SCHEMA_VERSION());
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('refuses a database whose schema is newer than the code', async () => {
    const db = await freshDatabase();
    await db.pool.query(`insert into observatory_migrations (version, name) values (999, '999_future')`);
    await expect(migrate(db.pool)).rejects.toBeInstanceOf(SchemaTooNewError);
    const r = await cli(['migrate'], { DATABASE_URL: db.url });
    expect(r.exitCode).toBe(76);
    expect(r.stderr).toMatch(/newer than this observatory build/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('append-only tables', () => {
  it('reject UPDATE, DELETE and TRUNCATE on usage events (parent and partitions)', async () => {
    const db = await freshDatabase();
    const id = await insertEvent(db.pool);
    await expect(db.pool.query(`update integration_usage_events set status = 'ERROR' where id = $1`, [id])).rejects.toMatchObject({ code: 'OB001' });
    await expect(db.pool.query(`delete from integration_usage_events where id = $1`, [id])).rejects.toMatchObject({ code: 'OB001' });
    await expect(db.pool.query(`truncate integration_usage_events`)).rejects.toMatchObject({ code: 'OB001' });
    const { rows: parts } = await db.pool.query<{ relname: string }>(
      `select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'integration_usage_events'::regclass`,
    );
    expect(parts.length).toBeGreaterThanOrEqual(5);
    for (const { relname } of parts) {
      await expect(db.pool.query(`truncate ${relname}`)).rejects.toMatchObject({ code: 'OB001' });
    }
    // the row's own partition rejects row changes too
    const { rows: own } = await db.pool.query(`select tableoid::regclass::text as part from integration_usage_events where id = $1`, [id]);
    await expect(db.pool.query(`delete from ${own[0].part} where id = $1`, [id])).rejects.toMatchObject({ code: 'OB001' });
    await expect(db.pool.query(`update ${own[0].part} set records = 1 where id = $1`, [id])).rejects.toMatchObject({ code: 'OB001' });
    const { rows } = await db.pool.query('select count(*)::int as n from integration_usage_events');
    expect(rows[0].n).toBe(1);
  });

  it('reject UPDATE, DELETE and TRUNCATE on probes', async () => {
    const db = await freshDatabase();
    await db.pool.query(`insert into integration_probes (integration, status, outcome, trace_id) values ('polygon', 'OK', 'OK', $1)`, [trace()]);
    await expect(db.pool.query(`update integration_probes set status = 'BLOCKED'`)).rejects.toMatchObject({ code: 'OB001' });
    await expect(db.pool.query(`delete from integration_probes`)).rejects.toMatchObject({ code: 'OB001' });
    await expect(db.pool.query(`truncate integration_probes`)).rejects.toMatchObject({ code: 'OB001' });
    const { rows } = await db.pool.query('select count(*)::int as n from integration_probes');
    expect(rows[0].n).toBe(1);
  });

  it('an insert far in the past or future lands in the default partition; a current one in its month', async () => {
    const db = await freshDatabase();
    const past = await insertEvent(db.pool, '1999-01-01T00:00:00Z');
    const future = await insertEvent(db.pool, '2199-06-01T00:00:00Z');
    const now = await insertEvent(db.pool, new Date());
    const { rows } = await db.pool.query<{ id: string; part: string }>(
      `select id, tableoid::regclass::text as part from integration_usage_events where id = any($1::uuid[])`,
      [[past, future, now]],
    );
    const part = Object.fromEntries(rows.map((r) => [r.id, r.part]));
    expect(part[past]).toBe('integration_usage_events_default');
    expect(part[future]).toBe('integration_usage_events_default');
    expect(part[now]).toMatch(/^integration_usage_events_y\d{4}m\d{2}$/);
  });

  it('rows stranded in the default partition get their own month (upkeep and retention), nothing lost, nothing doubled, still append-only', async () => {
    const db = await freshDatabase();
    const month = (offset: number) => {
      const d = new Date();
      return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 15));
    };
    const old = [await insertEvent(db.pool, month(-7)), await insertEvent(db.pool, month(-7))];
    const ahead = await insertEvent(db.pool, month(5)); // beyond the partitions made ahead: default
    const partOf = async (ids: string[]) =>
      (
        await db.pool.query<{ part: string }>(`select tableoid::regclass::text as part from integration_usage_events where id = any($1::uuid[]) order by 1`, [
          ids,
        ])
      ).rows.map((r) => r.part);
    expect(await partOf([...old, ahead])).toEqual(Array(3).fill('integration_usage_events_default'));
    // upkeep reaching month +5 used to skip it for good; now the default's rows are rehomed first
    const made = (await db.pool.query<{ p: string }>('select observatory_ensure_usage_partitions(1, 5) as p')).rows.map((r) => r.p);
    const name = (d: Date) => `integration_usage_events_y${d.getUTCFullYear()}m${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    expect(made).toEqual(expect.arrayContaining([name(month(-7)), name(month(5))]));
    expect(await partOf([ahead])).toEqual([name(month(5))]);
    expect(await partOf(old)).toEqual([name(month(-7)), name(month(-7))]);
    const { rows: n } = await db.pool.query('select count(*)::int as n from integration_usage_events');
    expect(n[0].n).toBe(3);
    // still append-only, the fresh default partition included
    await expect(db.pool.query(`delete from ${name(month(5))}`)).rejects.toMatchObject({ code: 'OB001' });
    await expect(db.pool.query('truncate integration_usage_events_default')).rejects.toMatchObject({ code: 'OB001' });
    // and retention now ages the old rows out with their month
    const stray = await insertEvent(db.pool, month(-9));
    expect(await partOf([stray])).toEqual(['integration_usage_events_default']);
    const dry = await applyRetention(db.pool, 90 * 86_400_000, { dryRun: true });
    expect(dry.dropped).toEqual(expect.arrayContaining([name(month(-7)), name(month(-9))]));
    const r = await applyRetention(db.pool, 90 * 86_400_000);
    expect(r.dropped).toEqual(expect.arrayContaining([name(month(-7)), name(month(-9))]));
    expect((await db.pool.query('select count(*)::int as n from integration_usage_events')).rows[0].n).toBe(1);
  });

  it('a replayed event id is idempotent with ON CONFLICT DO NOTHING', async () => {
    const db = await freshDatabase();
    const id = uuid();
    const at = new Date();
    const t = trace();
    for (let i = 0; i < 2; i++)
      await db.pool.query(
        `insert into integration_usage_events (id, created_at, integration, operation, status, trace_id)
         values ($1, $2, 'openai', 'llm.chat', 'OK', $3) on conflict do nothing`,
        [id, at, t],
      );
    const { rows } = await db.pool.query('select count(*)::int as n from integration_usage_events where id = $1', [id]);
    expect(rows[0].n).toBe(1);
  });
});
