/**
 * Market data for the reference bot: the bars client of the integration's own module
 * (src/core/vendors/<name>.ts, `client.marketdata`), bound to the registry's base URL; what
 * the vendor sent is normalized here (features.ts) and the latest N bars kept.
 */
import type { IntegrationSpec } from '../core/types.js';
import { moduleOf } from '../core/vendors/index.js';
import type { BarsRequest, BarsResult as VendorBars } from '../core/vendors/module.js';
import { normalizeBars, type Bar } from './features.js';

/** the `--dataset` default (a Databento dataset; other vendors ignore it) */
export { DEFAULT_DATASET } from '../core/vendors/databento.js';
export type { BarsRequest } from '../core/vendors/module.js';

export interface BarsResult extends Omit<VendorBars, 'bars'> {
  /** valid, in time order, at most the number asked for */
  bars: Bar[];
}

export interface MarketDataSource {
  /** the symbol asked for when the operator names none */
  defaultSymbol: string;
  /** usage-event metadata known before the call */
  eventMetadata(opts: { dataset: string }): Record<string, unknown>;
  bars(env: NodeJS.ProcessEnv, req: BarsRequest): Promise<BarsResult>;
}

/** The market-data client for `spec`, or undefined when its module has none (or it is probed by a custom http check). */
export function marketDataOf(spec: IntegrationSpec): MarketDataSource | undefined {
  const client = moduleOf(spec)?.client?.marketdata;
  const baseUrl = spec.probe.type === 'vendor' ? spec.probe.baseUrl : undefined;
  if (!client || baseUrl === undefined) return undefined;
  return {
    defaultSymbol: client.defaultSymbol,
    eventMetadata: (opts) => client.eventMetadata(opts),
    async bars(env, req) {
      const r = await client.bars(baseUrl, env, req);
      return { ...r, bars: normalizeBars(r.bars).slice(-req.bars) };
    },
  };
}
