/**
 * The batcher (src/sdk/batcher.ts) through the recorder, on a real Postgres behind a TCP relay
 * the test cuts: batches stored exactly once across an outage, the spool taking over and
 * failing closed when full, and a batch the store refuses split until the bad row stands alone.
 */
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sdkHarness, bars, quiet, capturingLogger } from './harness.js';
import { createUsageRecorder, SpoolFullError } from '../../src/sdk/index.js';
import { rowToJson, validateBatch } from '../../src/core/events-schema.js';

const h = sdkHarness();

describe('store outages', () => {
  it('store cut mid-stream, then restored: every event stored exactly once', async () => {
    const { relay, pool } = await h.relayPool();
    const bot = randomUUID();
    const spoolPath = join(h.tmp(), 'usage-1-1.jsonl');
    const usage = createUsageRecorder({ pool, botId: bot, spoolPath, batchSize: 20, flushIntervalMs: 5, log: quiet, exitHooks: false });
    const ids: string[] = [];
    const emit = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const r = await usage.track({ ...bars, records: 2, featureKeysUsed: ['md.vwap'] }, async () => i);
        void r;
        if (i % 7 === 0) await new Promise((res) => setImmediate(res));
      }
    };
    // track() returns no id: collect them from what gets stored + spooled via record() instead
    for (let i = 0; i < 150; i++) ids.push(usage.record({ ...bars, status: 'OK', records: 1 }).id);
    const cut = (async () => {
      await new Promise((r) => setTimeout(r, 3));
      await relay.stop(); // connections die mid-batch
    })();
    await emit(50);
    await cut;
    for (let i = 0; i < 150; i++) ids.push(usage.record({ ...bars, status: 'OK', records: 1, metadata: { phase: 'outage' } }).id);
    const during = await usage.flush();
    expect(during.pending).toBe(0);
    expect(usage.stats().storeReachable).toBe(false);
    expect(statSync(spoolPath).size).toBeGreaterThan(0);
    expect(statSync(spoolPath).mode & 0o777).toBe(0o600);
    expect(usage.canTrade()).toBe(true); // spooling is not failing: the spool has room

    await relay.start(); // same port
    await usage.flush();
    await usage.close();
    await pool.end();
    await relay.stop();

    expect(await h.stored(ids)).toEqual({ total: 300, distinct: 300 });
    const { rows } = await h.db.pool.query(`select count(*)::int as n, count(distinct id)::int as d from integration_usage_events where bot_id = $1`, [bot]);
    expect(rows[0]).toEqual({ n: 350, d: 350 });
    // rollups count each stored event once, whatever was replayed
    const roll = await h.db.pool.query(`select sum(calls)::int as calls, sum(records)::int as records from usage_rollups where bot_id = $1`, [bot]);
    expect(roll.rows[0]).toEqual({ calls: 350, records: 300 + 100 });
    const sight = await h.db.pool.query(`select sightings::int from variable_sightings where variable = 'md.vwap'`);
    expect(sight.rows[0].sightings).toBeGreaterThanOrEqual(50);
    // replayed and gone: no spool (own or claimed) left with anything in it
    const dir = dirname(spoolPath);
    for (const f of readdirSync(dir).filter((n) => n.startsWith('usage-'))) expect(readFileSync(join(dir, f), 'utf8'), f).toBe('');
  });

  it('stats() stay exact across an outage mid-stream: every event counted once, wherever it went', async () => {
    const { relay, pool } = await h.relayPool();
    const bot = randomUUID();
    const usage = createUsageRecorder({
      pool,
      botId: bot,
      spoolPath: join(h.tmp(), 'usage-1-1.jsonl'),
      batchSize: 50,
      flushIntervalMs: 5,
      log: quiet,
      exitHooks: false,
    });
    const N = 3000;
    const tracked: Array<Promise<unknown>> = [];
    for (let i = 0; i < N; i++) {
      if (i % 3 === 0) tracked.push(usage.track({ ...bars, records: 1 }, async () => i));
      else usage.record({ ...bars, status: 'OK', records: 1 });
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
      // cut while batches are in flight (some commit with their acknowledgement lost), then restore
      if (i === 1000) await relay.stop();
      if (i === 2000) {
        await usage.flush();
        await relay.start();
      }
    }
    await Promise.all(tracked);
    await usage.flush();
    await usage.close();
    await pool.end();
    await relay.stop();
    const { rows } = await h.db.pool.query(`select count(*)::int as n from integration_usage_events where bot_id = $1`, [bot]);
    expect(rows[0].n).toBe(N);
    const s = usage.stats();
    expect(s.spooled).toBeGreaterThan(0); // the outage happened
    expect({ recorded: s.recorded, stored: s.stored, straightPlusReplayed: s.inserted + s.replayed, pending: s.pending }).toEqual({
      recorded: N,
      stored: N,
      straightPlusReplayed: N,
      pending: 0,
    });
    expect(s.replayedOrphans).toBe(0);
    expect(s.deadLettered).toBe(0);
  });

  it('spool full ⇒ logged loudly and fail closed until the store is back', async () => {
    const { relay, pool } = await h.relayPool();
    const bot = randomUUID();
    const { log, lines } = capturingLogger();
    const usage = createUsageRecorder({
      pool,
      botId: bot,
      spoolPath: join(h.tmp(), 'usage-1-1.jsonl'),
      batchSize: 5,
      flushIntervalMs: 5,
      maxSpoolBytes: 4_000,
      log,
      exitHooks: false,
    });
    await relay.stop();
    const ids: string[] = [];
    for (let i = 0; i < 200 && usage.canTrade(); i++) {
      ids.push(usage.record({ ...bars, status: 'OK', records: 1 }).id);
      await usage.flush();
    }
    expect(usage.canTrade()).toBe(false);
    expect(usage.stats().spoolFull).toBe(true);
    expect(lines.some((l) => l.level === 'error' && /SPOOL FULL/.test(String(l.msg)))).toBe(true);
    let ran = false;
    expect(() => usage.track(bars, () => (ran = true))).toThrow(SpoolFullError);
    expect(ran).toBe(false);
    try {
      usage.record({ ...bars, status: 'OK' });
    } catch (err) {
      expect((err as SpoolFullError).code).toBe('SPOOL_FULL');
    }

    await relay.start();
    await usage.flush();
    expect(usage.canTrade()).toBe(true);
    await usage.track(bars, () => 1);
    await usage.close();
    await pool.end();
    await relay.stop();
    expect(await h.stored(ids)).toEqual({ total: ids.length, distinct: ids.length });
    expect(ids.length).toBeGreaterThan(5);
  });
});

describe('nothing lost, nothing duplicated (review cases)', () => {
  it('a row the store refuses is dead-lettered alone — the rest of its batch is stored, and a spool holding it still replays', async () => {
    // a real database refusal (22023) for one marked row, as a constraint added later would give
    await h.db.pool.query(`create or replace function test_poison() returns trigger language plpgsql as $$
      begin if new.symbol = 'POISON' then raise exception 'poisoned row' using errcode = '22023'; end if; return new; end $$`);
    await h.db.pool.query(`create trigger test_poison before insert on integration_usage_events for each row execute function test_poison()`);
    try {
      const dir = h.tmp();
      const bot = randomUUID();
      const usage = createUsageRecorder({ pool: h.db.pool, botId: bot, spoolPath: join(dir, 'usage-1-1.jsonl'), batchSize: 10, log: quiet, exitHooks: false });
      const ids = Array.from({ length: 10 }, (_, i) => usage.record({ ...bars, status: 'OK', symbol: i === 4 ? 'POISON' : 'ES' }).id);
      await usage.close();
      expect(await h.stored(ids)).toEqual({ total: 9, distinct: 9 });
      const dead = readFileSync(join(dir, 'usage-1-1.jsonl.rejected'), 'utf8').trim().split('\n');
      expect(dead.map((l) => JSON.parse(l).id)).toEqual([ids[4]]);
      // the same poison in a spool left on disk: replayed around it, never stuck
      const spoolDir = h.tmp();
      const v = validateBatch(Array.from({ length: 6 }, (_, i) => ({ ...bars, status: 'OK', bot_id: bot, symbol: i === 2 ? 'POISON' : 'NQ' })));
      if (!v.ok) throw new Error('bad fixture');
      writeFileSync(join(spoolDir, 'usage-1-1.jsonl'), v.rows.map((r) => JSON.stringify(rowToJson(r))).join('\n') + '\n');
      const next = createUsageRecorder({ pool: h.db.pool, spoolPath: join(spoolDir, 'usage-1-1.jsonl'), log: quiet, exitHooks: false });
      const r = await next.flush();
      await next.close();
      expect(next.stats().storeReachable).toBe(true);
      expect(r.spooled).toBe(0);
      expect(await h.stored(v.rows.map((x) => x.id))).toEqual({ total: 5, distinct: 5 });
    } finally {
      await h.db.pool.query('drop trigger test_poison on integration_usage_events');
    }
  });
});
