/**
 * OTLP/HTTP receiver stand-in (an OpenTelemetry Collector's otlp receiver, HTTP, JSON encoding),
 * following the OTLP specification's HTTP transport and opentelemetry-proto's
 * ExportTraceServiceRequest / ExportTraceServiceResponse JSON mapping: POST /v1/traces with
 * content-type application/json answers 200 and `{}` (a full success); a malformed body 400 with a
 * google.rpc.Status body; while "down" 503 with Retry-After (the spec's retryable answer).
 * Tests only; never imported by src/.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class OtlpReceiver {
  private server?: Server;
  /** every accepted ExportTraceServiceRequest */
  readonly requests: Array<Record<string, any>> = [];
  /** requests refused while down */
  refused = 0;
  down = false;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(body));
        };
        if (req.method !== 'POST' || req.url !== '/v1/traces') return reply(404, { code: 5, message: 'not found' });
        if (this.down) {
          this.refused++;
          return reply(503, { code: 14, message: 'unavailable' }, { 'retry-after': '1' });
        }
        if (!/^application\/json/.test(req.headers['content-type'] ?? '')) return reply(415, { code: 3, message: 'unsupported content type' });
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (!Array.isArray(body.resourceSpans)) throw new Error('resourceSpans');
          this.requests.push(body);
          reply(200, {});
        } catch {
          reply(400, { code: 3, message: 'malformed ExportTraceServiceRequest' });
        }
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  /** every span received, flattened */
  spans(): Array<Record<string, any>> {
    return this.requests.flatMap((r) => r.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans)));
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}
