/**
 * The recorder's public API (src/sdk/recorder.ts) on a real Postgres: track / record /
 * recordBlocked, validation, batching, runs, close().
 */
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { sdkHarness, bars, quiet, capturingLogger } from './harness.js';
import { createUsageRecorder, EventValidationError, reasonCodeOf, type EventRow } from '../../src/sdk/index.js';
import { listEvents } from '../../src/core/db/usage-events.js';
import { lastRun, runningRunsWithStaleHeartbeat } from '../../src/core/db/runs.js';
import { _resetSecretsForTest, registerSecret } from '../../src/core/redact.js';

const h = sdkHarness();

describe('SDK: OK / ERROR / BLOCKED', () => {
  it('track() records OK with latency and records (from a function of the result)', async () => {
    const bot = randomUUID();
    const usage = h.recorder({ botId: bot });
    const result = await usage.track({ ...bars, records: (r: number[]) => r.length, featureKeysUsed: ['md.close'] }, async () => {
      await new Promise((r) => setTimeout(r, 15));
      return [1, 2, 3];
    });
    expect(result).toEqual([1, 2, 3]);
    await usage.close();
    const [ev] = await listEvents(h.db.pool, { botId: bot });
    expect(ev).toMatchObject({
      bot_id: bot,
      status: 'OK',
      records: 3,
      symbol: 'ESZ5',
      timeframe: '1m',
      reason_code: null,
      metadata: { feature_keys_used: ['md.close'] },
    });
    expect(ev.latency_ms).toBeGreaterThanOrEqual(10);
  });

  it('track() records ERROR with a sanitized reason and rethrows the original error', async () => {
    const canary = `canary-${randomUUID()}`;
    registerSecret(canary);
    const bot = randomUUID();
    const usage = h.recorder({ botId: bot });
    const boom = Object.assign(new Error(`upstream said: key=${canary} rejected, Bearer ${canary}`), { code: 'UPSTREAM_5XX' });
    await expect(usage.track(bars, () => Promise.reject(boom))).rejects.toBe(boom);
    // a code that IS the secret must not become the reason code
    const sneaky = Object.assign(new Error('x'), { code: canary });
    await expect(
      usage.track(bars, () => {
        throw sneaky;
      }),
    ).rejects.toBe(sneaky);
    const http = Object.assign(new Error(`503 for ${canary}`), { status: 503 });
    await expect(
      usage.track(bars, async () => {
        throw http;
      }),
    ).rejects.toBe(http);
    await usage.close();
    const { rows } = await h.db.pool.query(
      'select row_to_json(e)::text as j, reason_code from integration_usage_events e where bot_id = $1 order by created_at',
      [bot],
    );
    expect(rows.map((r) => r.reason_code).sort()).toEqual(['ERROR', 'HTTP_503', 'UPSTREAM_5XX']);
    for (const r of rows) {
      expect(r.j).not.toContain(canary);
      expect(JSON.parse(r.j).status).toBe('ERROR');
    }
    expect(rows.some((r) => r.j.includes('[REDACTED]'))).toBe(true);
  });

  it('a bot using only the SDK (no loadConfig) still has its env secrets redacted in what it stores', async () => {
    const canary = `DBK${randomUUID().replace(/-/g, '')}`;
    const name = 'SOMEVENDOR_API_KEY';
    process.env[name] = canary;
    try {
      _resetSecretsForTest(); // as in a fresh bot process: nothing registered yet
      const bot = randomUUID();
      const usage = h.recorder({ botId: bot });
      const boom = new Error(`401 Unauthorized: invalid API key ${canary}`);
      await expect(usage.track(bars, () => Promise.reject(boom))).rejects.toBe(boom);
      usage.recordBlocked({ integration: 'polygon', operation: 'marketdata.bars' }, 'AUTH_REJECTED', `polygon said bad key ${canary}`);
      await usage.close();
      const { rows } = await h.db.pool.query('select row_to_json(e)::text as j from integration_usage_events e where bot_id = $1', [bot]);
      expect(rows).toHaveLength(2);
      for (const r of rows) expect(r.j).not.toContain(canary);
    } finally {
      delete process.env[name];
      _resetSecretsForTest();
    }
  });

  it('reasonCodeOf: safe codes normalized, secret-shaped codes and odd values fall back', () => {
    expect(reasonCodeOf(Object.assign(new Error(), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(reasonCodeOf(Object.assign(new Error(), { code: 'rate-limit.exceeded' }))).toBe('RATE_LIMIT_EXCEEDED');
    expect(reasonCodeOf(Object.assign(new Error(), { code: 'A1B2C3D4E5F6G7H8I9' }))).toBe('ERROR');
    expect(reasonCodeOf(Object.assign(new Error(), { name: 'TimeoutError' }))).toBe('TIMEOUT_ERROR');
    expect(reasonCodeOf('a string')).toBe('ERROR');
    expect(reasonCodeOf(undefined)).toBe('ERROR');
  });

  it('recordBlocked() records BLOCKED with its reason and a sanitized message', async () => {
    const bot = randomUUID();
    const run = randomUUID();
    const usage = h.recorder({ botId: bot });
    const row = usage.recordBlocked(
      { integration: 'ironbeam', operation: 'broker.place_order', runId: run, symbol: 'ESZ5' },
      'MISSING_CREDENTIALS',
      'IRONBEAM_API_KEY is not set; Bearer abcdefghijklmnop',
    );
    await usage.close();
    const [ev] = await listEvents(h.db.pool, { runId: run });
    expect(ev).toMatchObject({
      id: row.id,
      status: 'BLOCKED',
      reason_code: 'MISSING_CREDENTIALS',
      integration: 'ironbeam',
      run_id: run,
      trace_id: row.trace_id,
    });
    expect(ev.metadata.reason_message).toBe('IRONBEAM_API_KEY is not set; Bearer [REDACTED]');
  });

  it('a bad event throws synchronously, does not run fn, and stores nothing', async () => {
    const bot = randomUUID();
    const usage = h.recorder({ botId: bot });
    let ran = false;
    expect(() => usage.track({ integration: 'Not Valid', operation: 'x' }, () => (ran = true))).toThrow(EventValidationError);
    expect(ran).toBe(false);
    expect(() => usage.record({ integration: 'ironbeam', operation: 'broker.fill', status: 'OK' })).toThrow(/metadata\.provenance/);
    expect(() => usage.recordBlocked(bars, 'not a code')).toThrow(EventValidationError);
    try {
      usage.record({ integration: 'polygon', operation: 'marketdata.bars', status: 'NOPE' as 'OK', records: -3 });
    } catch (err) {
      expect((err as EventValidationError).issues.map((i) => i.field).sort()).toEqual(['records', 'status']);
    }
    await usage.close();
    expect((await listEvents(h.db.pool, { botId: bot })).length).toBe(0);
  });

  it('batches by size and by time; close() drains', async () => {
    const bot = randomUUID();
    const usage = h.recorder({ botId: bot, batchSize: 10, flushIntervalMs: 60_000 });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(usage.record({ ...bars, status: 'OK', records: 1 }).id);
    // a full batch goes out on its own; a partial one waits for the (long) timer or close()
    await expect.poll(async () => (await h.stored(ids)).total, { timeout: 5_000 }).toBe(10);
    for (let i = 0; i < 5; i++) ids.push(usage.record({ ...bars, status: 'OK', records: 1 }).id);
    await new Promise((r) => setTimeout(r, 300));
    expect((await h.stored(ids)).total).toBe(10);
    await usage.close();
    expect(await h.stored(ids)).toEqual({ total: 15, distinct: 15 });

    const timed = h.recorder({ botId: bot, batchSize: 1000, flushIntervalMs: 30 });
    const id = timed.record({ ...bars, status: 'OK' }).id;
    await expect.poll(async () => (await h.stored([id])).total, { timeout: 5_000 }).toBe(1);
    await timed.close();
  });

  it('runs: start, heartbeat, finish through the SDK; events flushed before the terminal state', async () => {
    const bot = randomUUID();
    const usage = h.recorder({ botId: bot });
    const run = await usage.runs.start({ botName: `bot-${bot.slice(0, 8)}`, mode: 'paper', jobKind: 'session' });
    expect(run).toMatchObject({ bot_id: bot, status: 'RUNNING', mode: 'paper', job_kind: 'session', ended_at: null });
    const id = usage.record({ ...bars, status: 'OK', run_id: run.id }).id;
    expect(await run.heartbeat()).toBe(true);
    const done = await run.finish('SUCCEEDED');
    expect(await h.stored([id])).toEqual({ total: 1, distinct: 1 });
    expect(done).toMatchObject({ status: 'SUCCEEDED', terminal_state: 'SUCCEEDED' });
    expect(done!.ended_at).not.toBeNull();
    // a retry of the same finish is fine; finishing differently is refused and changes nothing; a heartbeat after the end is refused
    expect((await usage.runs.finish(run.id, 'SUCCEEDED'))!.status).toBe('SUCCEEDED');
    await expect(usage.runs.finish(run.id, 'FAILED', 'LATE')).rejects.toThrow(/already ended SUCCEEDED; a run ends once/);
    expect((await lastRun(h.db.pool, bot))!.status).toBe('SUCCEEDED');
    expect(await usage.runs.heartbeat(run.id)).toBe(false);
    expect((await lastRun(h.db.pool, bot))!.id).toBe(run.id);
    await expect(usage.runs.finish(run.id, 'BLOCKED')).rejects.toThrow(/reasonCode/);

    const r2 = await usage.runs.start({ mode: 'shadow' });
    await h.db.pool.query(`update bot_runs set heartbeat_at = now() - interval '5 minutes' where id = $1`, [r2.id]);
    const stale = await runningRunsWithStaleHeartbeat(h.db.pool, { botId: bot, staleMs: 60_000 });
    expect(stale.map((r) => r.id)).toEqual([r2.id]);
    expect(stale[0].heartbeat_age_s).toBeGreaterThanOrEqual(299);
    expect(await runningRunsWithStaleHeartbeat(h.db.pool, { botId: bot, staleMs: 600_000 })).toEqual([]);
    await usage.close();
  });

  it('close() waits for track() calls still running; an event that ends after close() is spooled, never dropped', async () => {
    const dir = h.tmp();
    const bot = randomUUID();
    const usage = createUsageRecorder({ pool: h.db.pool, botId: bot, spoolPath: join(dir, 'usage-1-1.jsonl'), log: quiet, exitHooks: false });
    const slow = usage.track(bars, () => new Promise((r) => setTimeout(() => r([1, 2]), 150)));
    await usage.close();
    await slow;
    const { rows } = await h.db.pool.query('select count(*)::int as n from integration_usage_events where bot_id = $1', [bot]);
    expect(rows[0].n).toBe(1);
  });
});

describe('track(): facts known only after the call', () => {
  it('metadataOf adds metadata from the result (sanitized); onEvent hands back the event as recorded, OK and ERROR', async () => {
    const canary = `canary-${randomUUID()}`;
    registerSecret(canary);
    const bot = randomUUID();
    const usage = h.recorder({ botId: bot });
    const seen: EventRow[] = [];
    const result = await usage.track(
      {
        integration: 'openai',
        operation: 'llm.chat',
        model: 'gpt-4o-mini',
        metadata: { endpoint: 'chat.completions' },
        metadataOf: (r: { tokens: number }) => ({ prompt_tokens: r.tokens, feature_keys_used: ['ai.regime_classification'], note: `echo ${canary}` }),
        onEvent: (e) => seen.push(e),
      },
      async () => ({ tokens: 42 }),
    );
    expect(result).toEqual({ tokens: 42 });
    expect(seen).toHaveLength(1);
    const boom = Object.assign(new Error('upstream 502'), { status: 502 });
    await expect(usage.track({ ...bars, metadataOf: () => ({ never: true }), onEvent: (e) => seen.push(e) }, () => Promise.reject(boom))).rejects.toBe(boom);
    expect(seen).toHaveLength(2);
    await usage.close();
    const events = await listEvents(h.db.pool, { botId: bot, limit: 10 });
    const ok = events.find((e) => e.id === seen[0].id)!;
    expect(ok).toMatchObject({ status: 'OK', integration: 'openai', trace_id: seen[0].trace_id });
    expect(ok.metadata).toMatchObject({
      model: 'gpt-4o-mini',
      endpoint: 'chat.completions',
      prompt_tokens: 42,
      feature_keys_used: ['ai.regime_classification'],
    });
    expect(JSON.stringify(ok.metadata)).not.toContain(canary);
    expect(seen[0].latency_ms).toEqual(expect.any(Number));
    const err = events.find((e) => e.id === seen[1].id)!;
    expect(err).toMatchObject({ status: 'ERROR', reason_code: 'HTTP_502' });
    expect(seen[1].reason_code).toBe('HTTP_502');
    expect(err.metadata.never).toBeUndefined(); // metadataOf is for results, not failures
    // the sightings count the names metadataOf added
    const { rows } = await h.db.pool.query(`select sightings::int from variable_sightings where variable = 'ai.regime_classification'`);
    expect(rows[0]?.sightings).toBeGreaterThanOrEqual(1);
  });

  it('metadataOf that throws, or gives metadata the rules refuse: the event is stored without it, with a warning; the result is returned', async () => {
    const bot = randomUUID();
    const { log, lines } = capturingLogger();
    const usage = h.recorder({ botId: bot, log });
    const ids: string[] = [];
    const a = await usage.track(
      {
        ...bars,
        records: 3,
        metadataOf: () => {
          throw new Error('bug');
        },
        onEvent: (e) => ids.push(e.id),
      },
      () => 'a',
    );
    const b = await usage.track({ ...bars, metadataOf: () => ({ feature_keys_used: ['Not A Name'] }), onEvent: (e) => ids.push(e.id) }, () => 'b');
    // a throwing onEvent does not replace the call's result either
    const c = await usage.track(
      {
        ...bars,
        onEvent: () => {
          throw new Error('bug');
        },
      },
      () => 'c',
    );
    expect([a, b, c]).toEqual(['a', 'b', 'c']);
    await usage.close();
    const events = await listEvents(h.db.pool, { botId: bot, limit: 10 });
    expect(events).toHaveLength(3);
    const byId = new Map(events.map((e) => [e.id, e]));
    expect(byId.get(ids[0])).toMatchObject({ status: 'OK', records: 3 });
    expect(byId.get(ids[1])!.metadata.feature_keys_used).toBeUndefined();
    const warned = lines.filter((l) => l.level === 'warn').map((l) => String(l.msg));
    expect(warned).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/metadataOf function threw/),
        expect.stringMatching(/metadataOf gave metadata the event rules refuse/),
        expect.stringMatching(/onEvent callback threw/),
      ]),
    );
  });
});
