/** `observatory fault inject|list|clear`: drills stored in the database, honoured by the leading daemon. */
import { userInfo, hostname } from 'node:os';
import type { CommandContext } from './context.js';
import { openReadStore } from './context.js';
import { assertKnown, registryFor } from './registry.js';
import { activeFaults, clearFaults, injectFault } from '../core/drills.js';
import { parseDuration } from '../core/duration.js';
import { newTraceId } from '../core/trace.js';
import { UsageError } from '../core/errors.js';
import { printErr, printJson, printLine } from './output.js';
import { readDaemonInfo } from '../core/views.js';

export interface InjectOptions {
  status?: string;
  latencyMs?: string;
  ttl: string;
  json?: boolean;
}

export async function inject(ctx: CommandContext, name: string, opts: InjectOptions): Promise<number> {
  const registry = registryFor(ctx.config);
  assertKnown(registry, [name]);
  const httpStatus = opts.status === undefined ? undefined : Number(opts.status);
  if (httpStatus !== undefined && !(Number.isInteger(httpStatus) && httpStatus >= 100 && httpStatus <= 599))
    throw new UsageError('--status: expected an HTTP status 100–599 (e.g. 503)');
  const latencyMs = opts.latencyMs === undefined ? undefined : Number(opts.latencyMs);
  if (latencyMs !== undefined && !(Number.isInteger(latencyMs) && latencyMs >= 0 && latencyMs <= 600_000))
    throw new UsageError('--latency-ms: expected an integer 0–600000');
  if (httpStatus === undefined && latencyMs === undefined)
    throw new UsageError('give --status and/or --latency-ms', 'e.g. observatory fault inject databento --status 503 --ttl 5m');
  const ttlMs = parseDuration(opts.ttl, '--ttl');
  if (ttlMs > 86_400_000) throw new UsageError('--ttl: at most 24h — a drill must end by itself');
  const store = await openReadStore(ctx);
  try {
    const f = await injectFault(store.pool, {
      integration: name,
      httpStatus,
      latencyMs,
      ttlMs,
      createdBy: `${userInfo().username}@${hostname()}`,
      traceId: newTraceId(),
    });
    // a drill nobody plays proves nothing: say so when no daemon is leading the probes
    const daemon = await readDaemonInfo(store.pool, ctx.config.daemon.staleAfterMs);
    if (!daemon.leader)
      printErr(
        `warning: no running daemon leads the probes right now — the drill takes effect when one does (observatory up), or on \`observatory probe ${name}\``,
      );
    if (opts.json) printJson(f);
    else
      printLine(
        `fault injected on ${name}: ${httpStatus ? `HTTP ${httpStatus}` : ''}${httpStatus && latencyMs ? ' + ' : ''}${latencyMs ? `${latencyMs} ms latency` : ''} until ${f.expires_at} (id ${f.id}, trace_id ${f.trace_id}); clear with: observatory fault clear ${name}`,
      );
    return 0;
  } finally {
    await store.close();
  }
}

export async function list(ctx: CommandContext, opts: { json?: boolean }): Promise<number> {
  const store = await openReadStore(ctx);
  try {
    const faults = await activeFaults(store.pool);
    if (opts.json) printJson({ faults });
    else if (!faults.length) printLine('no active faults');
    else
      for (const f of faults)
        printLine(
          `${f.integration}  ${f.http_status ? `HTTP ${f.http_status}` : '-'}  ${f.latency_ms ? `+${f.latency_ms} ms` : '-'}  expires ${f.expires_at}  by ${f.created_by ?? '?'}  id ${f.id}`,
        );
    return 0;
  } finally {
    await store.close();
  }
}

export async function clear(ctx: CommandContext, name: string | undefined, opts: { all?: boolean; json?: boolean }): Promise<number> {
  if (!name && !opts.all) throw new UsageError('name the integration whose faults to clear, or pass --all');
  if (name && opts.all) throw new UsageError('give an integration name or --all, not both');
  if (name) assertKnown(registryFor(ctx.config), [name]);
  const store = await openReadStore(ctx);
  try {
    const n = await clearFaults(store.pool, name);
    if (opts.json) printJson({ cleared: n, integration: name ?? null });
    else printLine(`cleared ${n} active fault(s)${name ? ` on ${name}` : ''}`);
    return 0;
  } finally {
    await store.close();
  }
}
