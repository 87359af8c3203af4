/**
 * The plain rules of a usage event (statuses, provenances, name patterns, limits) — no zod, so
 * read paths (proof, runs, the gate) can use them without loading the validator.
 * events-schema.ts re-exports all of it.
 */

export const EVENT_STATUSES = ['OK', 'ERROR', 'BLOCKED'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

export const PROVENANCES = ['LIVE', 'PAPER', 'SIM'] as const;
export type Provenance = (typeof PROVENANCES)[number];

export const INTEGRATION_RE = /^[a-z][a-z0-9_]{0,62}$/;
export const REASON_CODE_RE = /^[A-Z][A-Z0-9_]{0,63}$/;
/** Operation names are identifiers ("broker.place_order"), not free text: no room for a value. */
export const OPERATION_RE = /^[A-Za-z][A-Za-z0-9_.:/-]{0,127}$/;
/** Variable / feature names: `md.vwap`, `risk.drawdown_pct`. Names only, never values. */
export const VARIABLE_NAME_RE = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+){0,7}$/;

/** Broker fill operation: its metadata must say where the fill came from. */
export const FILL_OPERATION = 'broker.fill';
export const MAX_FEATURE_KEYS = 256;
/** Clock skew allowed for writer-stamped times; later than this is a writer bug. */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;
/** Older than this is history, not activity: it would land in the default partition, which retention cannot drop. */
export const MAX_AGE_MS = 400 * 86_400_000;
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * A run's own usage events (brief acceptance test 2: "runner job/run event(s)"): the runner
 * records the start and the terminal state of each run under this integration, besides the
 * bot_runs row.
 */
export const RUN_EVENTS = Object.freeze({ integration: 'runner', start: 'run.start', finish: 'run.finish' } as const);
