/**
 * Opt-in OTLP export (daemon/otel.ts) against a local OTLP/HTTP receiver stand-in: stored usage
 * events become spans with the GenAI conventions for OpenAI calls and trading.* for the rest,
 * never a prompt or a metadata value beyond model and token counts; a collector that is down
 * costs retries (bounded), never an event — the batch is exported once it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { OtlpReceiver } from './standins/otlp.js';
import { OtelExportService, tracesUrl } from '../src/daemon/otel.js';
import { daemonServices } from '../src/daemon/services.js';
import { insertEvents } from '../src/core/ingest.js';
import { validateBatch } from '../src/core/events-schema.js';
import { loadConfig } from '../src/core/config.js';
import { createLogger } from '../src/core/log.js';
import { newTraceId } from '../src/core/trace.js';
import { ConfigError } from '../src/core/errors.js';
import type { DaemonContext } from '../src/daemon/daemon.js';

let db: TestDb;
let receiver: OtlpReceiver;
let ctx: DaemonContext;
const bot = randomUUID();
const CANARY = 'sk-otelcanary0123456789abcdefghij';

async function store(events: Array<Record<string, unknown>>) {
  const batch = validateBatch(events, { maxEvents: 100 });
  if (!batch.ok) throw new Error(JSON.stringify(batch.errors));
  await insertEvents(db.pool, batch.rows);
  return batch.rows;
}

beforeAll(async () => {
  db = await freshDatabase();
  receiver = await new OtlpReceiver().start();
  ctx = {
    config: loadConfig({ env: { DATABASE_URL: db.url } }),
    log: createLogger('silent'),
    store: { pool: db.pool, url: db.url, describe: 'test', close: async () => undefined },
    daemonId: 'otel-test',
    isLeader: () => true,
    setLeader: () => undefined,
  };
});
afterAll(async () => receiver?.close());

describe('OTLP export of usage events', () => {
  it('spans: GenAI attributes for OpenAI calls, trading.* for the rest; the event trace id; no prompt, no other metadata', async () => {
    const exporter = new OtelExportService({ url: `${receiver.url}/v1/traces`, attempts: 1 });
    expect(await exporter.tick(ctx)).toBe(0); // first tick: the cursor starts at now
    const llmTrace = newTraceId();
    await store([
      {
        integration: 'openai',
        operation: 'llm.chat',
        status: 'OK',
        bot_id: bot,
        latency_ms: 420,
        trace_id: llmTrace,
        metadata: { model: 'gpt-4o-mini', prompt_tokens: 57, completion_tokens: 3, purpose: 'regime_classification', note: CANARY },
      },
      {
        integration: 'polygon',
        operation: 'marketdata.bars',
        status: 'ERROR',
        reason_code: 'UPSTREAM_5XX',
        bot_id: bot,
        symbol: 'ESZ5',
        timeframe: '1m',
        records: 0,
      },
    ]);
    expect(await exporter.tick(ctx)).toBe(2);
    const spans = receiver.spans();
    expect(spans).toHaveLength(2);
    const attrs = (s: any) => Object.fromEntries(s.attributes.map((a: any) => [a.key, a.value.stringValue ?? a.value.intValue]));
    const llm = spans.find((s) => s.traceId === llmTrace)!;
    expect(llm.name).toBe('chat gpt-4o-mini');
    expect(attrs(llm)).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': '57',
      'gen_ai.usage.output_tokens': '3',
      'trading.bot_id': bot,
      'trading.status': 'OK',
    });
    expect(BigInt(llm.endTimeUnixNano) - BigInt(llm.startTimeUnixNano)).toBe(420_000_000n);
    expect(llm.status).toEqual({ code: 1 });
    const bars = spans.find((s) => s.traceId !== llmTrace)!;
    expect(attrs(bars)).toMatchObject({
      'trading.integration': 'polygon',
      'trading.symbol': 'ESZ5',
      'trading.reason_code': 'UPSTREAM_5XX',
      'trading.records': '0',
    });
    expect(Object.keys(attrs(bars)).some((k) => k.startsWith('gen_ai.'))).toBe(false);
    expect(bars.status).toEqual({ code: 2, message: 'UPSTREAM_5XX' });
    const wire = JSON.stringify(receiver.requests);
    expect(wire).not.toContain(CANARY);
    expect(wire).not.toContain('regime_classification');
    expect(receiver.requests[0].resourceSpans[0].resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'observatory' } });
  });

  it('a collector that is down: bounded retries, events stay stored, exported once it is back', async () => {
    const exporter = new OtelExportService({ url: `${receiver.url}/v1/traces`, attempts: 2 });
    await exporter.tick(ctx); // cursor at now
    const before = receiver.spans().length;
    receiver.down = true;
    const rows = await store([{ integration: 'polygon', operation: 'marketdata.bars', status: 'OK', bot_id: bot, records: 5 }]);
    expect(await exporter.tick(ctx)).toBe(0);
    expect(receiver.refused).toBe(2);
    expect(exporter.stats.failures).toBe(2);
    const { rows: stored } = await db.pool.query('select id from integration_usage_events where id = $1', [rows[0].id]);
    expect(stored).toHaveLength(1);
    receiver.down = false;
    expect(await exporter.tick(ctx)).toBe(1);
    const after = receiver.spans().slice(before);
    expect(after.map((s) => s.attributes.find((a: any) => a.key === 'trading.event_id').value.stringValue)).toEqual([rows[0].id]);
  });

  it('only the probe leader exports (one copy per event across daemons)', async () => {
    const exporter = new OtelExportService({ url: `${receiver.url}/v1/traces` });
    expect(await exporter.tick({ ...ctx, isLeader: () => false })).toBe(0);
  });

  it('off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; a bad endpoint is a config error', async () => {
    expect(tracesUrl({})).toBeUndefined();
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' })).toBe('http://127.0.0.1:4318/v1/traces');
    const names = async (env: Record<string, string>) => (await daemonServices(loadConfig({ env: { DATABASE_URL: db.url, ...env } }))).map((s) => s.name);
    expect(await names({})).not.toContain('otel');
    expect(await names({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url })).toContain('otel');
    await expect(names({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).rejects.toBeInstanceOf(ConfigError);
  });
});
