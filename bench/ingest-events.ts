/**
 * The events bench/ingest.ts generates, shared with its loader process (bench/ingest-loader.ts):
 * six operations of four integrations round-robin over the bots, one in 50 BLOCKED, stamped
 * within the last hour.
 */
import { randomBytes } from 'node:crypto';
import type { EventInput } from '../src/core/events-schema.js';
import { newEventId } from '../src/core/trace.js';

export const OPS: Array<[string, string, Record<string, unknown>?]> = [
  ['databento', 'marketdata.bars'],
  ['polygon', 'marketdata.bars'],
  ['ironbeam', 'broker.place_order'],
  ['ironbeam', 'broker.fill', { provenance: 'PAPER' }],
  ['openai', 'llm.chat', { model: 'gpt-4o-mini', purpose: 'coaching' }],
  ['risk_engine', 'risk.check'],
];

export function events(n: number, bots: string[]): EventInput[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => {
    const [integration, operation, meta] = OPS[i % OPS.length];
    const blocked = i % 50 === 0;
    return {
      // the SDK's own ids (time-ordered UUIDv7), as a bot that lets the SDK assign them gets
      id: newEventId(),
      created_at: new Date(now - (i % 3_600_000)).toISOString(),
      bot_id: bots[i % bots.length],
      run_id: null,
      integration,
      operation,
      status: blocked ? 'BLOCKED' : 'OK',
      reason_code: blocked ? 'MISSING_CREDENTIALS' : null,
      latency_ms: i % 500,
      symbol: 'ESZ5',
      timeframe: '1m',
      records: operation === 'marketdata.bars' ? 100 : 1,
      trace_id: randomBytes(16).toString('hex'),
      metadata: { ...(meta ?? {}), feature_keys_used: ['md.close', 'md.vwap'] },
    };
  });
}
