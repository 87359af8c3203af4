/**
 * observatory/sdk — what a bot imports:
 *
 *   import { createUsageRecorder } from 'observatory/sdk';
 *
 * The public API and its types only; the parts behind it (batcher, spool, process hooks) are
 * not part of the contract.
 */
export { createUsageRecorder } from './recorder.js';
export type { UsageRecorder, UsageRecorderOptions, UsageContext, TrackContext, RunHandle, UsageStats, FlushResult, Durability } from './recorder.js';
export { EventValidationError, SpoolFullError, RecorderClosedError, reasonCodeOf } from './errors.js';
export type { GateQuery, GateSource, GateVerdict } from './gate.js';
export type { EventInput, EventRow, EventIssue, EventStatus, Provenance } from '../core/events-schema.js';
export type { RunView, StartRunInput, TerminalState } from '../core/db/runs.js';
export type { Blocker, GateStatus, Mode, Status } from '../core/types.js';
export type { PlaceRequest, PlaceResult, TradingStateSnapshot, TradingWatchOptions, OrderIntent, PlaceDecision, ScopeInForce } from './trading-state.js';
export type { TradingStateWatch } from './trading-state.js';
export type { TradingState, TradingScope, OrderSide, OrderAction } from '../core/trading-state.js';
export { reducesExposure } from '../core/trading-state.js';
