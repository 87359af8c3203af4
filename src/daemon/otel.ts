/**
 * Opt-in OpenTelemetry export (OTEL_EXPORTER_OTLP_ENDPOINT): stored usage events as OTLP/HTTP
 * JSON spans, one per event. Daemon side, from the store, on the probe leader only: ingest never
 * waits on a collector (events are stored first, whatever the collector does), a collector that
 * is down only delays export (the cursor stays put and the batch is retried, a bounded number of
 * times per tick), and each event is exported by one daemon. Hand-written encoder + fetch (the
 * official exporters need a newer Node).
 *
 * Attributes: the GenAI semantic conventions for OpenAI calls (gen_ai.provider.name,
 * gen_ai.operation.name, gen_ai.request.model, gen_ai.usage.input_tokens / output_tokens) and a
 * trading.* namespace for the rest. Never a prompt, a completion or a metadata value beyond the
 * model name and token counts; every string passes the sanitizer.
 */
import type { DaemonContext, DaemonService } from './daemon.js';
import { readEvents, type EventView } from '../core/views.js';
import { newSpanId } from '../core/trace.js';
import { redactString } from '../core/redact.js';
import { VERSION } from '../core/version.js';

type AnyValue = { stringValue: string } | { intValue: string } | { boolValue: boolean };
interface KeyValue {
  key: string;
  value: AnyValue;
}

const str = (key: string, v: unknown): KeyValue[] => (typeof v === 'string' && v ? [{ key, value: { stringValue: redactString(v).slice(0, 256) } }] : []);
const int = (key: string, v: unknown): KeyValue[] => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? [{ key, value: { intValue: String(v) } }] : []);

/** OTLP span kind CLIENT (3): the bot called out to the integration. Status: 1 OK, 2 ERROR. */
const SPAN_KIND_CLIENT = 3;

function genAiAttributes(e: EventView): { name: string; attrs: KeyValue[] } | undefined {
  if (e.integration !== 'openai') return undefined;
  const m = e.metadata;
  // llm.chat → chat; the operation's last segment names the GenAI operation
  const op = e.operation.split('.').pop() ?? e.operation;
  const operation = op === 'chat' || op === 'completions' || op === 'chat_completions' ? 'chat' : op;
  const model = typeof m.model === 'string' ? m.model : undefined;
  const input = m.input_tokens ?? m.prompt_tokens;
  const output = m.output_tokens ?? m.completion_tokens;
  return {
    name: model ? `${operation} ${redactString(model)}` : operation,
    attrs: [
      ...str('gen_ai.provider.name', 'openai'),
      ...str('gen_ai.operation.name', operation),
      ...str('gen_ai.request.model', model),
      ...int('gen_ai.usage.input_tokens', input),
      ...int('gen_ai.usage.output_tokens', output),
    ],
  };
}

/** One usage event as one OTLP span (its trace id is the event's: the span joins the bot's trace). */
export function eventSpan(e: EventView): Record<string, unknown> {
  const endNs = BigInt(Date.parse(e.created_at)) * 1_000_000n;
  const startNs = endNs - BigInt(e.latency_ms ?? 0) * 1_000_000n;
  const gen = genAiAttributes(e);
  const attributes: KeyValue[] = [
    ...(gen?.attrs ?? []),
    ...str('trading.integration', e.integration),
    ...str('trading.operation', e.operation),
    ...str('trading.status', e.status),
    ...str('trading.reason_code', e.reason_code),
    ...str('trading.bot_id', e.bot_id),
    ...str('trading.run_id', e.run_id),
    ...str('trading.event_id', e.id),
    ...str('trading.symbol', e.symbol),
    ...str('trading.timeframe', e.timeframe),
    ...int('trading.records', e.records),
    ...int('trading.latency_ms', e.latency_ms),
  ];
  return {
    traceId: e.trace_id,
    spanId: newSpanId(),
    name: gen?.name ?? `${e.integration} ${e.operation}`,
    kind: SPAN_KIND_CLIENT,
    startTimeUnixNano: startNs.toString(),
    endTimeUnixNano: endNs.toString(),
    attributes,
    status: e.status === 'OK' ? { code: 1 } : { code: 2, message: redactString(e.reason_code ?? e.status) },
  };
}

/** The OTLP/HTTP JSON body (ExportTraceServiceRequest) for a batch of events. */
export function exportRequest(events: readonly EventView[]): Record<string, unknown> {
  return {
    resourceSpans: [
      {
        resource: { attributes: [...str('service.name', 'observatory'), ...str('service.version', VERSION)] },
        scopeSpans: [{ scope: { name: 'observatory.usage_events', version: VERSION }, spans: events.map(eventSpan) }],
      },
    ],
  };
}

/** `${endpoint}/v1/traces`, or the signal-specific endpoint as given. */
export function tracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (specific) return specific;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

export interface OtelOptions {
  url: string;
  intervalMs?: number;
  batchSize?: number;
  /** attempts per tick before the batch waits for the next tick */
  attempts?: number;
  timeoutMs?: number;
}

export class OtelExportService implements DaemonService {
  readonly name = 'otel';
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  /** the last event exported (events after it, oldest first, go next); undefined until the first tick */
  private cursor?: string;
  private started = false;
  stats = { exported: 0, failures: 0 };

  constructor(private readonly opts: OtelOptions) {}

  async start(ctx: DaemonContext): Promise<void> {
    this.started = true;
    const every = this.opts.intervalMs ?? 5_000;
    const tick = () => {
      if (!this.started) return;
      this.running = this.tick(ctx)
        .catch((err) => ctx.log.warn({ err: redactString(String(err)) }, 'OTLP export tick failed'))
        .finally(() => {
          if (this.started) this.timer = setTimeout(tick, every).unref();
        });
    };
    this.timer = setTimeout(tick, 0).unref();
    ctx.log.info({ url: redactString(this.opts.url) }, 'OTLP export of usage events enabled');
  }

  /** One round: the events after the cursor, sent with bounded retries; the cursor moves only on success. */
  async tick(ctx: DaemonContext): Promise<number> {
    if (!ctx.isLeader()) return 0;
    if (this.cursor === undefined) {
      // start from now: the newest stored event is the cursor (no backfill of history)
      const [newest] = await readEvents(ctx.store.pool, { limit: 1 });
      this.cursor = newest?.id ?? '';
      if (!newest) return 0;
    }
    const batch = await readEvents(ctx.store.pool, { afterId: this.cursor || undefined, limit: this.opts.batchSize ?? 500 });
    if (!batch.length) return 0;
    const body = JSON.stringify(exportRequest(batch));
    const attempts = this.opts.attempts ?? 3;
    for (let i = 0; i < attempts; i++) {
      try {
        const res = await fetch(this.opts.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5_000),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.cursor = batch[batch.length - 1].id;
          this.stats.exported += batch.length;
          return batch.length;
        }
        // 4xx other than 429: the collector refuses this batch for good; skip it rather than loop on it
        if (res.status >= 400 && res.status < 500 && res.status !== 429) {
          ctx.log.warn({ status: res.status, events: batch.length }, 'OTLP collector refused a batch; skipped');
          this.cursor = batch[batch.length - 1].id;
          return 0;
        }
      } catch {
        // network error or timeout: retried below
      }
      this.stats.failures++;
      await new Promise((r) => setTimeout(r, Math.min(2_000, 200 * 2 ** i)).unref());
    }
    ctx.log.warn({ events: batch.length }, 'OTLP collector unreachable; the batch stays stored and is retried next round');
    return 0;
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
