/**
 * The gate a bot reads (src/sdk/gate.ts, as usage.gate() / usage.integrationStatus()): the
 * verdict from the status store with core's rules, this bot's own blockers, the config's
 * staleness bound, and fail-closed answers when the store or the config cannot be read.
 */
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { sdkHarness } from './harness.js';
import { writeHeartbeat } from '../../src/core/db/heartbeats.js';
import { loadConfig } from '../../src/core/config.js';
import { loadRegistry } from '../../src/core/vendors/registry.js';
import { VERSION } from '../../src/core/version.js';

const h = sdkHarness();

describe('the gate a bot reads (gate, integrationStatus)', () => {
  const config = () => loadConfig({ env: { PATH: process.env.PATH } });

  it("gate(): the verdict from the store — daemon freshness, and this bot's own blockers", async () => {
    const bot = randomUUID();
    const usage = h.recorder({ botId: bot, config: config() });
    const before = await usage.gate({ mode: 'shadow' });
    expect(before).toMatchObject({ success: true, mode: 'shadow', bot_id: null, global_status: 'BLOCKED' });
    expect(before.blockers.map((b) => b.code)).toContain('DAEMON_STALE');
    expect(before.blockers.every((b) => b.trace_id)).toBe(true);
    // a bot nobody has heard of is blocked for itself
    expect((await usage.gate({ mode: 'shadow', botId: bot })).blockers.map((b) => b.code)).toContain('BOT_UNKNOWN');

    await writeHeartbeat(h.db.pool, {
      daemonId: `sdk-gate-${bot.slice(0, 8)}`,
      version: VERSION,
      hostname: hostname(),
      pid: process.pid,
      startedAt: new Date(),
      leader: true,
      liveTradingEnabled: false,
    });
    const after = await usage.gate({ mode: 'shadow' });
    expect(after.blockers.map((b) => b.code)).not.toContain('DAEMON_STALE');

    // a blocked attempt blocks the bot (not the fleet), with the attempt's trace_id
    const row = usage.recordBlocked({ integration: 'ironbeam', operation: 'broker.place_order' }, 'MISSING_CREDENTIALS');
    await usage.flush();
    const mine = await usage.gate({ mode: 'paper', botId: bot });
    expect(mine.bot_id).toBe(bot);
    expect(mine.blockers).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: 'BOT_BLOCKED_ATTEMPT', integration: 'ironbeam', trace_id: row.trace_id })]),
    );
    expect((await usage.gate({ mode: 'paper' })).blockers.map((b) => b.code)).not.toContain('BOT_BLOCKED_ATTEMPT');
    await usage.close();
  });

  it("gate(): the config's staleness bound decides whether a silent run blocks its bot", async () => {
    const bot = randomUUID();
    const usage = h.recorder({ botId: bot });
    const run = await usage.runs.start({ mode: 'shadow' });
    await h.db.pool.query(`update bot_runs set heartbeat_at = now() - interval '2 minutes' where id = $1`, [run.id]);
    const base = config();
    const strict = { ...base, daemon: { ...base.daemon, staleAfterMs: 60_000 } };
    const lax = { ...base, daemon: { ...base.daemon, staleAfterMs: 600_000 } };
    expect((await usage.gate({ mode: 'shadow', botId: bot, config: strict })).blockers.map((b) => b.code)).toContain('BOT_HEARTBEAT_STALE');
    expect((await usage.gate({ mode: 'shadow', botId: bot, config: lax })).blockers.map((b) => b.code)).not.toContain('BOT_HEARTBEAT_STALE');
    await usage.close();
  });

  it('gate() never throws: an unreadable store is UNKNOWN STATUS_UNAVAILABLE, a config that cannot load is UNKNOWN GATE_INPUT_INVALID; integrationStatus() throws', async () => {
    const { relay, pool } = await h.relayPool();
    await relay.stop();
    const down = h.recorder({ pool, config: config() });
    const verdict = await down.gate({ mode: 'paper', botId: randomUUID() });
    expect(verdict).toMatchObject({ success: false, global_status: 'UNKNOWN' });
    expect(verdict.blockers[0]).toMatchObject({ code: 'STATUS_UNAVAILABLE', integration: 'postgres' });
    await expect(down.integrationStatus()).rejects.toThrow();
    await down.close();
    await pool.end();

    // no config given: loaded from this process's environment — here a config file that does not parse
    const dir = h.tmp();
    writeFileSync(join(dir, 'bad.json'), '{ not json');
    const saved = { OBSERVATORY_CONFIG: process.env.OBSERVATORY_CONFIG, OBSERVATORY_HOME: process.env.OBSERVATORY_HOME };
    process.env.OBSERVATORY_CONFIG = join(dir, 'bad.json');
    process.env.OBSERVATORY_HOME = dir;
    try {
      const usage = h.recorder();
      const bad = await usage.gate({ mode: 'paper' });
      expect(bad).toMatchObject({ success: false, global_status: 'UNKNOWN' });
      expect(bad.blockers[0].code).toBe('GATE_INPUT_INVALID');
      await usage.close();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it("integrationStatus(): every registry integration with the status panel's status", async () => {
    const c = config();
    const usage = h.recorder({ config: c });
    const status = await usage.integrationStatus();
    const names = loadRegistry(c).integrations.map((s) => s.name);
    expect(Object.keys(status).sort()).toEqual([...names].sort());
    for (const s of Object.values(status)) expect(['OK', 'DEGRADED', 'BLOCKED']).toContain(s);
    // nothing configured and never probed: a vendor without credentials is BLOCKED
    expect(status.polygon).toBe('BLOCKED');
    await usage.close();
  });
});
