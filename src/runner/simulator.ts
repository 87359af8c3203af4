/**
 * Simulated orders and fills (shadow mode, core/modes.ts): recorded under their own
 * integration `simulator` with provenance SIM — never as an OK row on a broker integration,
 * so no view can read a simulated fill as a broker that worked.
 */
import { SIMULATOR } from '../core/modes.js';
import { newTraceId } from '../core/trace.js';
import type { EventRow, UsageRecorder } from '../sdk/index.js';
import type { Side } from './features.js';

export { SIMULATOR };

export interface SimulatedFill {
  intent: EventRow;
  fill: EventRow;
  traceId: string;
}

/** An order intent that is never sent and its simulated fill at `mark` (the last close). */
export function simulateOrder(
  usage: UsageRecorder,
  who: { bot_id: string; run_id: string },
  order: { symbol: string; side: Side; qty: number },
  featureKeys: string[],
): SimulatedFill {
  const traceId = newTraceId();
  const { symbol, side, qty } = order;
  const intent = usage.record({
    ...who,
    integration: SIMULATOR,
    operation: 'broker.place_order',
    status: 'OK',
    symbol,
    latency_ms: 0,
    trace_id: traceId,
    metadata: { action: 'place', side, qty, order_type: 'market', provenance: 'SIM', sent: false },
  });
  const fill = usage.record({
    ...who,
    integration: SIMULATOR,
    operation: 'broker.fill',
    status: 'OK',
    symbol,
    records: 1,
    trace_id: traceId,
    metadata: { provenance: 'SIM', side, qty, feature_keys_used: featureKeys },
  });
  return { intent, fill, traceId };
}
