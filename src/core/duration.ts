import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "5m", "2h", "90d", "1500ms" or plain seconds → milliseconds. */
export function parseDuration(raw: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!m) throw new UsageError(`${what}: expected a duration like 90s, 5m, 2h or 7d`);
  const ms = Math.round(Number(m[1]) * UNITS[m[2] ?? 's']);
  // under 1 ms rounds to 0, which callers would read as "no bound": refuse it instead
  if (!Number.isFinite(ms) || ms < 1) throw new UsageError(`${what}: expected a positive duration of at least 1ms`);
  return ms;
}
