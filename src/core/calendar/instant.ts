/** Instants given by operators (`--at`, config windows): ISO 8601 with an explicit zone only. */
import { UsageError } from '../errors.js';
import { parseDay } from './civil.js';

const ISO = /^(\d{4}-\d{2}-\d{2})[Tt ]([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.(\d{1,9}))?)?([Zz]|[+-](?:[01]\d|2[0-3]):?[0-5]\d)$/;

export const INSTANT_EXPECTED = 'expected an ISO 8601 instant with a zone, like 2025-11-28T11:00:00-06:00 or 2025-11-28T17:00:00Z';

/**
 * ISO 8601 instant with a zone designator (Z or ±HH:MM) → epoch ms, or undefined. A wall time
 * without a zone is refused: near a DST change it names two instants or none.
 */
export function parseInstant(text: string): number | undefined {
  const m = ISO.exec(text.trim());
  if (!m || parseDay(m[1]) === undefined) return undefined; // Date.parse would roll 2025-02-30 into March
  const frac = (m[5] ?? '').padEnd(3, '0').slice(0, 3);
  let zone = m[6].toUpperCase();
  if (zone !== 'Z' && !zone.includes(':')) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4] ?? '00'}.${frac}${zone}`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** `--at ISO` → epoch ms; a malformed value is a UsageError (exit 64) that does not echo it. */
export function parseAt(raw: string, what = '--at'): number {
  const ms = parseInstant(raw);
  if (ms === undefined) throw new UsageError(`${what}: ${INSTANT_EXPECTED}`);
  return ms;
}
