/**
 * What the header may claim, from what was read — and nothing else: UNKNOWN before the first
 * read, during an outage, and when the display itself has stopped refreshing.
 */
import type { GateStatus } from '../core/types.js';
import type { TuiData } from './controller.js';

/** Reads older than this make the display itself stale (a stuck query must not keep green up). */
export function viewStaleAfterMs(intervalMs: number): number {
  return Math.max(4 * intervalMs, 10_000);
}

export function displayStale(data: TuiData, now: number): boolean {
  return data.updatedAt !== null && data.status !== null && now - data.updatedAt > viewStaleAfterMs(data.intervalMs);
}

export function headerStatus(data: TuiData, now: number): GateStatus {
  if (!data.status || data.outage || displayStale(data, now)) return 'UNKNOWN';
  return data.status.autonomy.global_status;
}
