/**
 * The one parser of event-list filters, shared by `observatory events` and GET /api/system/events:
 * the same words mean the same thing on both, and a bad one is a UsageError naming the filter.
 */
import type { EventFilters } from './db/usage-events.js';
import { EVENT_STATUSES, type EventStatus } from './event-rules.js';
import { parseDuration } from './duration.js';
import { UsageError } from './errors.js';
import { isUuid } from './trace.js';

export interface RawEventFilters {
  integration?: string;
  bot?: string;
  run?: string;
  status?: string;
  /** an ISO time, or a duration back from now (15m, 2h, 7d) */
  since?: string;
  limit?: string | number;
}

/** `flag` names the filter as the caller knows it: `--bot` on the CLI, `bot` in a query string. */
export function parseEventFilters(raw: RawEventFilters, flag: (name: string) => string = (n) => `--${n}`): EventFilters {
  for (const [name, v] of [
    ['bot', raw.bot],
    ['run', raw.run],
  ] as const)
    if (v && !isUuid(v)) throw new UsageError(`${flag(name)}: expected a UUID`);
  const status = raw.status?.toUpperCase();
  if (status && !(EVENT_STATUSES as readonly string[]).includes(status))
    throw new UsageError(`${flag('status')}: expected one of ${EVENT_STATUSES.join(', ')}`);
  const limit = raw.limit === undefined || raw.limit === '' ? 50 : Number(raw.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`${flag('limit')}: expected an integer 1–1000`);
  let since: Date | undefined;
  if (raw.since) {
    const abs = /^\d{4}-\d{2}-\d{2}/.test(raw.since) ? Date.parse(raw.since) : Number.NaN;
    since = Number.isNaN(abs) ? new Date(Date.now() - parseDuration(raw.since, flag('since'))) : new Date(abs);
    if (since.getTime() > Date.now())
      throw new UsageError(`${flag('since')}: that time is in the future; expected an ISO time in the past or a duration like 15m`);
  }
  return {
    integration: raw.integration?.toLowerCase() || undefined,
    botId: raw.bot || undefined,
    runId: raw.run || undefined,
    status: status as EventStatus | undefined,
    since,
    limit,
  };
}
