/**
 * Every trace id resolves: `observatory trace ID` and traceView find each row that carries it —
 * probe, usage event, run, the integration state it is the source of, fault drill, variable
 * sighting — oldest first; a bad id is a usage error, an unknown one an empty answer (exit 1).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { cli, ROOT } from './helpers/cli.js';
import { traceView } from '../src/core/views.js';
import { insertEvents, startRun } from '../src/core/ingest.js';
import { validateBatch } from '../src/core/events-schema.js';
import { injectFault } from '../src/core/db/faults.js';
import { TRACE_LOOKUPS } from '../src/core/db/trace.js';
import { newTraceId } from '../src/core/trace.js';
import { UsageError } from '../src/core/errors.js';

let db: TestDb;
const shared = newTraceId();
const bot = randomUUID();

beforeAll(async () => {
  db = await freshDatabase();
  // one id on a row of every table, as when a gate failure's id is followed back to its evidence
  await db.pool.query(
    `insert into integration_probes (integration, probed_at, status, outcome, http_status, latency_ms, reason_code, trace_id, injected)
     values ('polygon', now() - interval '3 minutes', 'BLOCKED', 'UPSTREAM_5XX', 503, 12, 'UPSTREAM_5XX', $1, true)`,
    [shared],
  );
  await db.pool.query(
    `insert into integration_state (integration, connected, status, reason_code, last_probe_at, last_trace_id)
     values ('polygon', true, 'BLOCKED', 'UPSTREAM_5XX', now() - interval '3 minutes', $1)`,
    [shared],
  );
  await injectFault(db.pool, { integration: 'polygon', httpStatus: 503, ttlMs: 60_000, createdBy: 'drill', traceId: shared });
  const run = await startRun(db.pool, { botId: bot, mode: 'paper', traceId: shared });
  const batch = validateBatch(
    [
      {
        integration: 'polygon',
        operation: 'marketdata.bars',
        status: 'ERROR',
        reason_code: 'UPSTREAM_5XX',
        bot_id: bot,
        run_id: run.id,
        trace_id: shared,
        metadata: { feature_keys_used: ['es_close_1m'] },
      },
    ],
    { maxEvents: 10 },
  );
  if (!batch.ok) throw new Error(JSON.stringify(batch.errors));
  await insertEvents(db.pool, batch.rows);
});

describe('traceView', () => {
  it('finds the row in every table that carries the id, oldest first', async () => {
    const v = await traceView(db.pool, shared);
    expect(v.id).toBe(shared);
    expect(v.searched).toEqual(TRACE_LOOKUPS.map((l) => l.source));
    const sources = v.hits.map((h) => h.source);
    for (const s of ['probe', 'usage_event', 'run', 'blocker_source', 'fault_drill']) expect(sources, s).toContain(s);
    expect(v.found).toBe(v.hits.length);
    const dated = v.hits.map((h) => h.at).filter((a): a is string => a !== null);
    expect(dated).toEqual([...dated].sort());
    expect(v.hits.find((h) => h.source === 'probe')!.row).toMatchObject({ integration: 'polygon', status: 'BLOCKED', http_status: 503, injected: true });
    expect(v.hits.find((h) => h.source === 'blocker_source')!.row).toMatchObject({ integration: 'polygon', reason_code: 'UPSTREAM_5XX' });
    expect(v.truncated).toEqual([]);
  });

  it('an id nothing carries: found 0; a malformed one: UsageError', async () => {
    expect((await traceView(db.pool, newTraceId())).found).toBe(0);
    await expect(traceView(db.pool, 'ABC')).rejects.toBeInstanceOf(UsageError);
  });

  it('the trace index migration is idempotent and leaves every trace index in place', async () => {
    const sql = readFileSync(join(ROOT, 'migrations', '009_trace_indexes.sql'), 'utf8');
    await db.pool.query(sql);
    const { rows } = await db.pool.query(`select indexname from pg_indexes where indexname like '%trace_idx' order by 1`);
    expect(rows.map((r) => r.indexname)).toEqual(
      expect.arrayContaining(['bot_runs_trace_idx', 'fault_injections_trace_idx', 'integration_probes_trace_idx', 'integration_usage_events_trace_idx']),
    );
  });
});

describe('observatory trace', () => {
  it('prints one line per row; --json the API shape; exit 1 for none, 64 for a bad id', async () => {
    const env = { DATABASE_URL: db.url };
    const human = await cli(['trace', shared], env);
    expect(human.exitCode, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/probe\s+polygon BLOCKED UPSTREAM_5XX/);
    expect(human.stdout).toMatch(/fault drill\s+polygon HTTP 503/);
    expect(human.stdout).toMatch(new RegExp(`usage event\\s+polygon marketdata.bars ERROR UPSTREAM_5XX bot ${bot}`));
    expect(human.stdout).toMatch(/blocker source\s+polygon is BLOCKED/);
    const json = await cli(['trace', shared, '--json'], env);
    expect(json.exitCode).toBe(0);
    const body = JSON.parse(json.stdout);
    expect(body).toMatchObject({ success: true, id: shared });
    expect(body.found).toBeGreaterThanOrEqual(5);
    const none = await cli(['trace', newTraceId()], env);
    expect(none.exitCode).toBe(1);
    expect(none.stdout).toMatch(/no stored row carries trace id/);
    const bad = await cli(['trace', 'not-an-id'], env);
    expect(bad.exitCode).toBe(64);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});
