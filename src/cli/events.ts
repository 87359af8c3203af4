/** `observatory events`: sanitized usage events, newest first; --follow streams new ones (LISTEN/NOTIFY + catch-up query). */
import type { CommandContext } from './context.js';
import { openReadStore } from './context.js';
import { EVENTS_CHANNEL, newClient } from '../core/store.js';
import { parseEventFilters } from '../core/event-filters.js';
import { eventsView, readEvents, type EventFilters, type EventView } from '../core/views.js';
import { redactString } from '../core/redact.js';
import { badge, colorEnabled, makeChalk, printErr, printJson, printLine } from './output.js';
import { registryFor } from './registry.js';

export interface EventsOptions {
  integration?: string;
  bot?: string;
  run?: string;
  status?: string;
  since?: string;
  limit: string;
  follow?: boolean;
  json?: boolean;
}

function describeFilters(f: EventFilters): string {
  const parts = Object.entries({
    integration: f.integration,
    bot: f.botId,
    run: f.runId,
    status: f.status,
    since: f.since === undefined ? undefined : new Date(f.since).toISOString(),
  })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(' ') : 'none';
}

export async function run(ctx: CommandContext, opts: EventsOptions): Promise<number> {
  const filters = parseEventFilters(opts);
  // --follow ends on SIGINT/SIGTERM with exit 0: caught from the start, so a signal while the
  // first page is still loading is an ordinary stop, not a kill
  let stop: () => void = () => undefined;
  const stopped = opts.follow ? new Promise<void>((resolve) => (stop = resolve)) : null;
  if (stopped) {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  const store = await openReadStore(ctx);
  const c = await makeChalk(colorEnabled(ctx.globals));
  const print = (e: EventView) => {
    if (opts.json) process.stdout.write(redactString(JSON.stringify(e)) + '\n');
    else
      printLine(
        `${e.created_at} ${badge(c, e.status)} ${e.integration} ${e.operation}` +
          `${e.bot_id ? ` bot=${e.bot_id}` : ''}${e.symbol ? ` ${e.symbol}` : ''}${e.timeframe ? `/${e.timeframe}` : ''}${e.records !== null ? ` records=${e.records}` : ''}` +
          `${e.latency_ms !== null ? ` ${e.latency_ms}ms` : ''}${e.reason_code ? ` ${e.reason_code}` : ''}${e.simulated ? ' [simulated]' : ''} trace_id=${e.trace_id}`,
      );
  };
  try {
    const known = registryFor(ctx.config).integrations.map((i) => i.name);
    if (filters.integration && !known.includes(filters.integration))
      printErr(`note: '${filters.integration}' is not a configured integration (known: ${known.join(', ')}); showing events recorded under that name`);
    if (opts.json && !opts.follow) {
      // one object, the API's GET /api/system/events shape; --follow streams JSON lines instead
      printJson(await eventsView(store.pool, filters));
      return 0;
    }
    const first = await readEvents(store.pool, filters);
    // oldest first on screen so a follow continues naturally below
    for (const e of [...first].reverse()) print(e);
    // at 3 a.m. silence reads as "no problem": say that nothing matched (stderr: stdout stays data)
    if (!first.length && !opts.json) printErr(`no events match${opts.follow ? ' yet; following' : ''} (filters: ${describeFilters(filters)})`);
    if (!opts.follow) return 0;

    let cursor = first[0]?.id;
    const listener = newClient(store.url, { application_name: 'observatory-events-follow' });
    await listener.connect();
    await listener.query(`listen ${EVENTS_CHANNEL}`);
    let pending = Promise.resolve();
    const catchUp = () => {
      pending = pending.then(async () => {
        for (;;) {
          const page = await readEvents(store.pool, { ...filters, since: cursor ? undefined : filters.since, afterId: cursor, limit: 500 });
          for (const e of page) print(e);
          if (page.length) cursor = page[page.length - 1].id;
          if (page.length < 500) break;
        }
      });
      return pending;
    };
    listener.on('notification', () => void catchUp());
    // polling fallback: a lost notification costs at most 2 s
    const poll = setInterval(() => void catchUp(), 2000);
    await Promise.race([stopped, new Promise<void>((_, reject) => listener.on('error', reject))]);
    clearInterval(poll);
    await listener.end().catch(() => undefined);
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await store.close();
  }
}
