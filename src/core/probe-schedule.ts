/**
 * Which probe intervals can be scheduled: the daemon runs one cron task per integration, and a
 * cron step must divide its unit, so an interval must divide a minute, an hour or a day. The
 * registry refuses any other interval when the config is loaded; the scheduler reads the cron
 * expression from here.
 */

export const PROBE_INTERVAL_RULE = 'expected an interval that divides a minute, an hour or a day (e.g. 5000, 30000, 60000, 300000)';

/** The cron expression (with seconds) for `intervalMs`, or null when no cron step fits it. */
export function probeCron(intervalMs: number): string | null {
  const s = intervalMs / 1000;
  if (Number.isInteger(s) && s >= 1 && s < 60 && 60 % s === 0) return `*/${s} * * * * *`;
  const m = s / 60;
  if (Number.isInteger(m) && m >= 1 && m < 60 && 60 % m === 0) return `0 */${m} * * * *`;
  const h = m / 60;
  if (Number.isInteger(h) && h >= 1 && h <= 24 && 24 % h === 0) return `0 0 */${h} * * *`;
  return null;
}
