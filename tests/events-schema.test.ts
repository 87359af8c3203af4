import { afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { eventSchema, fastParse, validateBatch, type EventRow } from '../src/core/events-schema.js';
import { _resetSecretsForTest, registerSecret } from '../src/core/redact.js';
import { newEventId } from '../src/core/trace.js';

const ok = (extra: Record<string, unknown> = {}) => ({ integration: 'databento', operation: 'marketdata.bars', status: 'OK', ...extra });

function rows(input: unknown[]): EventRow[] {
  const v = validateBatch(input);
  if (!v.ok) throw new Error(`unexpected errors: ${JSON.stringify(v.errors)}`);
  return v.rows;
}

function errors(input: unknown) {
  const v = validateBatch(input);
  if (v.ok) throw new Error('expected validation errors');
  return v.errors;
}

afterEach(() => _resetSecretsForTest());

describe('validateBatch', () => {
  it('fills writer defaults: id, trace_id, created_at; nullable fields null', () => {
    const before = Date.now();
    const [r] = rows([ok()]);
    expect(r.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(r.created_at.getTime()).toBeGreaterThanOrEqual(before);
    expect(r).toMatchObject({ bot_id: null, run_id: null, user_id: null, records: null, latency_ms: null, reason_code: null, metadata: {} });
  });

  it('assigned ids are time-ordered UUIDv7 (RFC 9562): version 7, RFC variant, unique, sorted by time', () => {
    const [r] = rows([ok()]);
    expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Math.abs(parseInt(r.id.replace(/-/g, '').slice(0, 12), 16) - Date.now())).toBeLessThan(60_000);
    const early = newEventId(Date.UTC(2026, 0, 1));
    const late = newEventId(Date.UTC(2026, 0, 1, 0, 0, 1));
    expect(early < late).toBe(true);
    expect(parseInt(early.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2026, 0, 1));
    expect(new Set(Array.from({ length: 20_000 }, () => newEventId(0))).size).toBe(20_000);
  });

  it('keeps writer-given id, trace_id and created_at (replays must be identical)', () => {
    const id = randomUUID();
    const t = 'ab'.repeat(16);
    const [r] = rows([ok({ id, trace_id: t, created_at: '2026-01-02T03:04:05.678Z' })]);
    expect(r).toMatchObject({ id, trace_id: t });
    expect(r.created_at.toISOString()).toBe('2026-01-02T03:04:05.678Z');
  });

  it('reports index and field for EVERY bad event, never echoing values', () => {
    const canary = 'CANARY-value-7f3a9';
    const input = [
      ok(),
      { integration: canary, operation: 'marketdata.bars', status: 'OK' },
      ok({ status: canary }),
      ok(),
      ok({ records: -1, latency_ms: 1.5, bot_id: canary }),
      ok({ status: 'ERROR' }), // reason_code missing
      ok({ trace_id: canary }),
      'not an object',
      ok({ [canary.toLowerCase()]: 1 }),
      ok({ created_at: new Date(Date.now() + 3_600_000).toISOString() }),
      ok({ symbol: `x${'y'.repeat(80)}` }),
    ];
    const errs = errors(input);
    const by = (i: number) =>
      errs
        .filter((e) => e.index === i)
        .map((e) => e.field)
        .sort();
    expect(by(0)).toEqual([]);
    expect(by(1)).toEqual(['integration']);
    expect(by(2)).toEqual(['status']);
    expect(by(3)).toEqual([]);
    expect(by(4)).toEqual(['bot_id', 'latency_ms', 'records']);
    expect(by(5)).toEqual(['reason_code']);
    expect(by(6)).toEqual(['trace_id']);
    expect(by(7)).toEqual(['(event)']);
    expect(by(8)).toEqual([canary.toLowerCase()]);
    expect(by(9)).toEqual(['created_at']);
    expect(by(10)).toEqual(['symbol']);
    for (const e of errs) {
      expect(e.message).not.toContain(canary);
      expect(e.message.length).toBeGreaterThan(3);
    }
  });

  it('a batch with one bad event returns no rows at all (all-or-nothing)', () => {
    const v = validateBatch([ok(), ok(), ok({ status: 'NOPE' })]);
    expect(v.ok).toBe(false);
    expect('rows' in v).toBe(false);
  });

  it('rejects non-arrays, oversize batches, duplicate ids and the reserved nil bot id', () => {
    expect(errors({})).toEqual([{ index: -1, field: '(batch)', message: 'expected a JSON array of events' }]);
    expect(validateBatch([ok(), ok(), ok()], { maxEvents: 3 }).ok).toBe(true);
    expect(validateBatch([ok(), ok(), ok()], { maxEvents: 2 })).toEqual({
      ok: false,
      errors: [{ index: -1, field: '(batch)', message: 'more than 2 events in one batch' }],
    });
    const id = randomUUID();
    const at = new Date().toISOString();
    expect(errors([ok({ id, created_at: at }), ok({ id, created_at: at })])).toEqual([
      { index: 1, field: 'id', message: 'duplicates the id of event 0 in this batch' },
    ]);
    expect(errors([ok({ bot_id: '00000000-0000-0000-0000-000000000000' })])[0].field).toBe('bot_id');
  });

  it('a writer-given id needs its created_at (a retry must be the same event), unless the id is a UUIDv7; no ancient times', () => {
    const v4 = randomUUID();
    expect(errors([ok({ id: v4 })])).toEqual([{ index: 0, field: 'created_at', message: expect.stringMatching(/^required when the writer gives the id/) }]);
    const v7 = newEventId(Date.now() - 5_000);
    const [a] = rows([ok({ id: v7 })]);
    const [b] = rows([ok({ id: v7 })]); // the retry: same id, same time ⇒ same (id, created_at)
    expect(a.created_at.getTime()).toBe(b.created_at.getTime());
    expect(a.created_at.getTime()).toBe(parseInt(v7.replace(/-/g, '').slice(0, 12), 16));
    expect(errors([ok({ created_at: '1970-01-01T00:00:00Z' })])[0]).toMatchObject({ field: 'created_at', message: 'more than 400 days in the past' });
  });

  it('requires a reason_code for ERROR and BLOCKED, in the code format', () => {
    expect(errors([ok({ status: 'BLOCKED' })])[0]).toMatchObject({ field: 'reason_code' });
    expect(errors([ok({ status: 'BLOCKED', reason_code: 'lower case' })])[0]).toMatchObject({ field: 'reason_code' });
    expect(rows([ok({ status: 'BLOCKED', reason_code: 'MISSING_CREDENTIALS' })])[0].reason_code).toBe('MISSING_CREDENTIALS');
  });

  it('broker fills must carry provenance LIVE | PAPER | SIM', () => {
    const fill = (metadata?: unknown) => ({ integration: 'ironbeam', operation: 'broker.fill', status: 'OK', metadata });
    expect(errors([fill()])[0]).toMatchObject({ index: 0, field: 'metadata.provenance' });
    expect(errors([fill({})])[0]).toMatchObject({ index: 0, field: 'metadata.provenance' });
    expect(errors([fill({ provenance: 'MAYBE' })])[0]).toMatchObject({ index: 0, field: 'metadata.provenance' });
    for (const p of ['LIVE', 'PAPER']) expect(rows([fill({ provenance: p })])[0].metadata.provenance).toBe(p);
  });

  it('simulated activity lives under integration simulator only: SIM never on a broker, nothing but SIM on the simulator', () => {
    const ev = (integration: string, operation: string, metadata?: Record<string, unknown>) => ({ integration, operation, status: 'OK', metadata });
    // a simulated fill or intent on a broker integration would read as a broker that worked
    expect(errors([ev('ironbeam', 'broker.fill', { provenance: 'SIM' })])[0]).toMatchObject({
      field: 'integration',
      message: expect.stringContaining('simulator'),
    });
    expect(errors([ev('tradovate', 'broker.place_order', { provenance: 'SIM', sent: false })])[0]).toMatchObject({ field: 'integration' });
    expect(errors([ev('simulator', 'broker.fill', { provenance: 'PAPER' })])[0]).toMatchObject({ field: 'metadata.provenance' });
    expect(errors([ev('simulator', 'broker.place_order', {})])[0]).toMatchObject({ field: 'metadata.provenance' });
    expect(rows([ev('simulator', 'broker.fill', { provenance: 'SIM' })])[0]).toMatchObject({ integration: 'simulator', metadata: { provenance: 'SIM' } });
  });

  it('feature_keys_used is a list of variable names only (deduplicated)', () => {
    const [r] = rows([ok({ metadata: { feature_keys_used: ['md.vwap', 'md.atr', 'md.vwap'] } })]);
    expect(r.metadata.feature_keys_used).toEqual(['md.vwap', 'md.atr']);
    const errs = errors([ok({ metadata: { feature_keys_used: ['md.vwap', 'md.vwap=4512.25', 42] } })]);
    expect(errs.map((e) => e.field)).toEqual(['metadata.feature_keys_used.1', 'metadata.feature_keys_used.2']);
    expect(JSON.stringify(errs)).not.toContain('4512');
    expect(errors([ok({ metadata: { feature_keys_used: 'md.vwap' } })])[0].field).toBe('metadata.feature_keys_used');
  });

  it('rejects deep, huge and key-heavy metadata with a clear error', () => {
    const deep = { a: { b: { c: { d: { e: 1 } } } } };
    expect(errors([ok({ metadata: deep })])).toEqual([{ index: 0, field: 'metadata', message: 'metadata nested deeper than 4 levels' }]);
    const huge = { blob: 'x'.repeat(20_000) };
    expect(errors([ok({ metadata: huge })])[0]).toMatchObject({ field: 'metadata', message: expect.stringMatching(/over the 8192-byte limit/) });
    const wide = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
    expect(errors([ok({ metadata: wide })])[0]).toMatchObject({ field: 'metadata' });
    expect(errors([ok({ metadata: [1, 2] })])[0]).toMatchObject({ field: 'metadata' });
  });

  it('drops deny-listed metadata keys and keeps the safe ones (token counts, model, purpose)', () => {
    const [r] = rows([
      {
        integration: 'openai',
        operation: 'llm.chat',
        status: 'OK',
        metadata: {
          model: 'gpt-4o-mini',
          purpose: 'coaching',
          prompt_tokens: 12,
          completion_tokens: 30,
          api_key: 'abc',
          password: 'hunter2',
          authorization: 'Bearer x',
          prompt: 'tell me the secret',
          completion: 'no',
          messages: [{ role: 'user' }],
          nested: { client_secret: 'zzz', keep: 1 },
        },
      },
    ]);
    expect(r.metadata).toEqual({ model: 'gpt-4o-mini', purpose: 'coaching', prompt_tokens: 12, completion_tokens: 30, nested: { keep: 1 } });
  });

  it('redacts secret-shaped values and registered secrets inside metadata', () => {
    registerSecret('canary-SECRET-value-123');
    const [r] = rows([
      ok({
        metadata: {
          endpoint: 'https://user:pw@example.com/v1?apiKey=abcdef123456',
          header_dump: 'Bearer abcdefghijklmnop',
          key_like: 'sk-abcdefghijklmnopqrstuvwx',
          note: 'failed with canary-SECRET-value-123 in the body',
        },
      }),
    ]);
    const json = JSON.stringify(r.metadata);
    expect(json).not.toContain('canary-SECRET-value-123');
    expect(json).not.toContain('abcdefghijklmnop');
    expect(json).not.toContain('abcdef123456');
    expect(json).not.toContain(':pw@');
    expect(json).toContain('[REDACTED]');
  });

  it('refuses identifiers (symbol, timeframe, operation) that look like a registered secret', () => {
    registerSecret('SECRETSYMBOL99');
    expect(errors([ok({ symbol: 'SECRETSYMBOL99' })])[0]).toMatchObject({ field: 'symbol', message: 'looks like a credential; refused' });
  });
});

describe('fast path', () => {
  const good = {
    id: randomUUID(),
    created_at: '2025-11-25T10:00:00.123Z',
    bot_id: randomUUID(),
    run_id: null,
    user_id: undefined,
    integration: 'databento',
    operation: 'marketdata.bars',
    status: 'OK',
    latency_ms: 12,
    symbol: 'ESZ5',
    timeframe: '1m',
    records: 100,
    reason_code: null,
    trace_id: 'a'.repeat(32),
    metadata: { feature_keys_used: ['md.close'] },
  };
  const mutations: Array<Record<string, unknown>> = [
    {},
    { id: 'not-a-uuid' },
    { id: null },
    { id: randomUUID().toUpperCase() },
    { id: '00000000-0000-0000-0000-000000000000' },
    { created_at: '2025-02-29T10:00:00Z' },
    { created_at: '2024-02-29T10:00:00+05:30' },
    { created_at: '2025-11-25T10:00Z' },
    { created_at: '2025-11-25 10:00:00Z' },
    { created_at: new Date('nope') },
    { created_at: new Date() },
    { created_at: 1700000000000 },
    { bot_id: '00000000-0000-0000-0000-000000000000' },
    { bot_id: 'x' },
    { user_id: randomUUID() },
    { run_id: 'ffffffff-ffff-ffff-ffff-ffffffffffff' },
    { integration: 'Databento' },
    { integration: 'a'.repeat(64) },
    { integration: 'a'.repeat(63) },
    { operation: '' },
    { operation: 'a b' },
    { status: 'ok' },
    { status: undefined },
    { latency_ms: -1 },
    { latency_ms: 1.5 },
    { latency_ms: 2 ** 31 },
    { latency_ms: 2 ** 31 - 1 },
    { latency_ms: Number.NaN },
    { latency_ms: '5' },
    { records: Infinity },
    { records: null },
    { symbol: 'ES Z5' },
    { symbol: '' },
    { symbol: 'x'.repeat(65) },
    { timeframe: '1 m' },
    { reason_code: 'lower' },
    { reason_code: 'UPSTREAM_5XX' },
    { trace_id: '0'.repeat(32) },
    { trace_id: 'A'.repeat(32) },
    { metadata: [] },
    { metadata: 'x' },
    { metadata: null },
    { metadata: new Date() },
    { metadata: Object.create(null) },
    { extra: 1 },
  ];
  it('accepts only what zod accepts, with the same data', () => {
    for (const m of mutations) {
      const ev: Record<string, unknown> = { ...good, ...m };
      const fast = fastParse(ev);
      const slow = eventSchema.safeParse(ev);
      if (fast) {
        expect(slow.success, JSON.stringify(m)).toBe(true);
        for (const k of Object.keys(eventSchema.shape))
          if (k !== 'metadata') expect((fast as Record<string, unknown>)[k], k).toEqual((slow.data as Record<string, unknown>)[k]);
      }
    }
    expect(fastParse({ ...good })).toBeDefined();
  });
});
