/**
 * Dependency attribution: a BLOCKED integration says how many bots it stops (bots that used it
 * in the last 24 h), in Panel A's row and on the gate's blocker; a bot's own gate names the
 * upstream integration with the integration's trace_id — one incident for every bot the outage
 * stops — beside its own blocked attempts (its evidence).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { autonomyView, systemStatusView } from '../src/core/views.js';
import { loadConfig } from '../src/core/config.js';
import { loadRegistry } from '../src/core/vendors/registry.js';
import { insertEvents, startRun } from '../src/core/ingest.js';
import { validateBatch } from '../src/core/events-schema.js';
import { writeHeartbeat } from '../src/core/db/heartbeats.js';
import { newTraceId } from '../src/core/trace.js';

let db: TestDb;
const config = loadConfig({ env: { POLYGON_API_KEY: 'k', OPENAI_API_KEY: 'k' } });
const registry = loadRegistry(config);
const bots = Array.from({ length: 3 }, () => randomUUID());
const outage = newTraceId();

beforeAll(async () => {
  db = await freshDatabase();
  await writeHeartbeat(db.pool, { daemonId: 'd', version: 't', hostname: 'h', pid: 1, startedAt: new Date(), leader: true, liveTradingEnabled: false });
  // openai is down (optional for paper: a warning globally, but a blocker for the bots that use it)
  await db.pool.query(
    `insert into integration_state (integration, connected, status, reason_code, reason_message, last_probe_at, last_trace_id, consecutive_failures)
     values ('openai', true, 'BLOCKED', 'UPSTREAM_5XX', 'HTTP 503', now(), $1, 3),
            ('polygon', true, 'OK', null, null, now(), $2, 0)`,
    [outage, newTraceId()],
  );
  const events = bots.flatMap((b) => [
    { integration: 'openai', operation: 'llm.chat', status: 'BLOCKED', reason_code: 'UPSTREAM_5XX', bot_id: b },
    { integration: 'polygon', operation: 'marketdata.bars', status: 'OK', bot_id: b },
  ]);
  // a fourth bot never used openai: not counted, not blocked by it
  events.push({ integration: 'polygon', operation: 'marketdata.bars', status: 'OK', bot_id: randomUUID() });
  const batch = validateBatch(events, { maxEvents: 100 });
  if (!batch.ok) throw new Error(JSON.stringify(batch.errors));
  await insertEvents(db.pool, batch.rows);
  for (const b of bots) await startRun(db.pool, { botId: b, mode: 'paper' });
});

describe('dependency attribution', () => {
  it("Panel A's row: blocks_bots on the BLOCKED integration, null on the others", async () => {
    const v = await systemStatusView(db.pool, registry, config, { mode: 'paper' });
    const by = Object.fromEntries(v.integrations.map((r) => [r.name, r]));
    expect(by.openai).toMatchObject({ status: 'BLOCKED', blocks_bots: 3 });
    expect(by.polygon.blocks_bots).toBeNull();
  });

  it("each bot's gate names the upstream integration with the outage's one trace_id; its own attempts stay as evidence", async () => {
    const answers = await Promise.all(bots.map((b) => autonomyView(db.pool, registry, config, { mode: 'paper', botId: b })));
    for (const a of answers) {
      const up = a.blockers.filter((x) => x.integration === 'openai' && x.code !== 'BOT_BLOCKED_ATTEMPT');
      expect(up).toHaveLength(1);
      expect(up[0]).toMatchObject({ code: 'UPSTREAM_5XX', trace_id: outage, blocks_bots: 3 });
      expect(up[0].message).toBe('this bot uses openai, which is BLOCKED UPSTREAM_5XX: HTTP 503 (the outage blocks 3 bots)');
    }
    // one incident: every bot's blocker carries the same id
    expect(new Set(answers.map((a) => a.blockers.find((x) => x.integration === 'openai' && x.code !== 'BOT_BLOCKED_ATTEMPT')!.trace_id)).size).toBe(1);
  });

  it('a required integration blocked globally carries the count on the global blocker, not again per bot', async () => {
    await db.pool.query(`update integration_state set status = 'BLOCKED', reason_code = 'AUTH_REJECTED', last_trace_id = $1 where integration = 'polygon'`, [
      newTraceId(),
    ]);
    const a = await autonomyView(db.pool, registry, config, { mode: 'paper', botId: bots[0] });
    const polygon = a.blockers.filter((x) => x.integration === 'polygon');
    expect(polygon.length).toBeGreaterThanOrEqual(1);
    expect(polygon.every((x) => !x.message.startsWith('this bot uses'))).toBe(true);
    expect(polygon.some((x) => x.blocks_bots === 4)).toBe(true);
  });
});
