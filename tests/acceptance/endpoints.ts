/**
 * The contract of every HTTP endpoint (method, auth, request, response, error codes), rendered
 * into FINAL_ACCEPTANCE_GATE.md by generate.ts. The routes themselves are read from the daemon's
 * source (routesInSource), and tests/acceptance-endpoints.test.ts fails when a route has no
 * contract here (or a contract names no route), so a new route cannot go undocumented.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface EndpointContract {
  method: 'GET' | 'POST';
  path: string;
  /** who may call it, on a loopback bind and on any other bind */
  auth: string;
  request: string;
  response: string;
  /** HTTP status and error.code of every refusal (the one error body: daemon/replies.ts) */
  errors: string;
}

const READ = 'none on a loopback bind; `Authorization: Bearer $OBSERVATORY_TOKEN` on any other bind';
const WRITE = '`Authorization: Bearer $OBSERVATORY_TOKEN` always (checked before the body is read)';
const COMMON = '503 STATUS_UNAVAILABLE (store unreachable); 401 UNAUTHORIZED (token, see auth)';

export const ENDPOINTS: readonly EndpointContract[] = [
  {
    method: 'GET',
    path: '/healthz',
    auth: 'none, on every bind (liveness probes)',
    request: '—',
    response: '200 `{ ok, trace_id, daemon_id, leader, store_reachable }`; 503 with ok=false when the store cannot be read',
    errors: '503 (store unreachable, same body)',
  },
  {
    method: 'GET',
    path: '/api/system/status',
    auth: READ,
    request: 'query `mode` = live | paper | shadow (default live)',
    response: '200 SystemStatusView `{ success, trace_id, ts, mode, integrations[], autonomy{global_status, blockers, warnings}, daemon }`',
    errors: `400 BAD_REQUEST (mode); 503 with success=false and an UNKNOWN autonomy (store unreachable); 401 UNAUTHORIZED`,
  },
  {
    method: 'GET',
    path: '/api/integrations/health',
    auth: READ,
    request: 'query `mode` (default live)',
    response: 'the status view; HTTP 200 when autonomy is OK/DEGRADED, 503 when BLOCKED or UNKNOWN (readiness style)',
    errors: '400 BAD_REQUEST (mode); 503 (BLOCKED/UNKNOWN); 401 UNAUTHORIZED',
  },
  {
    method: 'GET',
    path: '/api/system/autonomy',
    auth: READ,
    request: 'query `mode` (default live), `bot` = a bot UUID or name (once)',
    response: '200 AutonomyView `{ success, trace_id, ts, mode, bot_id, bot_ref, global_status, blockers[], warnings[], daemon }`',
    errors: '400 BAD_REQUEST (mode, bot given twice, bot over 256 chars); 400 BOT_AMBIGUOUS `{ candidates[] }`; 503 UNKNOWN (store); 401 UNAUTHORIZED',
  },
  {
    method: 'GET',
    path: '/metrics',
    auth: READ,
    request: '—',
    response: '200 Prometheus text exposition (integration status, probes by status, daemon)',
    errors: '401 UNAUTHORIZED; 503 STATUS_UNAVAILABLE',
  },
  {
    method: 'GET',
    path: '/api/system/bots',
    auth: READ,
    request: 'query `limit` 1–1000 (10), `hours` 1–2160 (24)',
    response: '200 `{ success, trace_id, ts, window_hours, bots[] }` (most active first)',
    errors: `400 BAD_REQUEST (limit, hours); ${COMMON}`,
  },
  {
    method: 'GET',
    path: '/api/system/bots/:id/proof',
    auth: READ,
    request: 'path `id` = a bot UUID or name; query `hours` 1–2160 (24)',
    response: '200 `{ success, trace_id, ts, proof }` (BotProof: last run, per-integration counts, blocked attempts)',
    errors: `400 BAD_REQUEST (hours); 400 BOT_AMBIGUOUS \`{ candidates[] }\`; 404 BOT_UNKNOWN; ${COMMON}`,
  },
  {
    method: 'GET',
    path: '/api/system/variables',
    auth: READ,
    request: '—',
    response:
      '200 `{ success, trace_id, ts, variables[], uncatalogued[] }`; each variable: availability, availability_reason (NO_PRODUCER | SOURCE_DEGRADED | SOURCE_BLOCKED | null), produced_by, source_status, last seen',
    errors: COMMON,
  },
  {
    method: 'GET',
    path: '/api/system/events',
    auth: READ,
    request: 'query `integration`, `bot`, `run`, `status`, `since`, `limit` (each at most once)',
    response: '200 `{ success, trace_id, ts, events[] }` (sanitized, newest first)',
    errors: `400 BAD_REQUEST (unknown or repeated filter, bad value); ${COMMON}`,
  },
  {
    method: 'GET',
    path: '/api/system/integrations/:name/events',
    auth: READ,
    request: 'path `name` = a registered integration; query `limit` 1–200 (20)',
    response: '200 `{ success, trace_id, ts, integration, events[], probes[] }` (the TUI drawer)',
    errors: `400 BAD_REQUEST (limit); 404 NOT_FOUND (integration); ${COMMON}`,
  },
  {
    method: 'POST',
    path: '/api/usage-events',
    auth: WRITE,
    request: '`content-type: application/json`; a JSON array of usage events (the brief schema; `id` makes a replay idempotent)',
    response: '202 `{ success, trace_id, received, stored, duplicates, ids[] }` (a replayed id is not stored twice)',
    errors:
      '400/413 INVALID_EVENTS `{ errors[] }` naming index and field (nothing of the batch stored); 400 BAD_REQUEST (not JSON); 413 (body limit); 415 UNSUPPORTED_MEDIA_TYPE; 401 UNAUTHORIZED; 503 STATUS_UNAVAILABLE / 500 INTERNAL (nothing stored)',
  },
  {
    method: 'POST',
    path: '/api/runs',
    auth: WRITE,
    request: 'JSON object `{ bot_id, bot_name?, mode, job_kind?, run_id?, user_id? }`',
    response: '201 `{ success, trace_id, run }`',
    errors: "400 BAD_REQUEST or the field's code (bad field); 401 UNAUTHORIZED; 503 STATUS_UNAVAILABLE",
  },
  {
    method: 'POST',
    path: '/api/runs/:id/heartbeat',
    auth: WRITE,
    request: 'path `id` = run UUID',
    response: '200 `{ success, trace_id }`',
    errors: '400 BAD_REQUEST (id); 404 NOT_FOUND (no RUNNING run); 401 UNAUTHORIZED; 503 STATUS_UNAVAILABLE',
  },
  {
    method: 'POST',
    path: '/api/runs/:id/finish',
    auth: WRITE,
    request: 'path `id` = run UUID; JSON `{ terminal_state: SUCCEEDED | FAILED | BLOCKED | CANCELLED, reason_code? }`',
    response: '200 `{ success, trace_id, run }`',
    errors: '400 BAD_REQUEST (id, terminal_state, fields); 404 NOT_FOUND; 401 UNAUTHORIZED; 503 STATUS_UNAVAILABLE',
  },
];

/** Every `app.get|post|put|patch|delete('<path>'` registered in the daemon's HTTP sources. */
export function routesInSource(root: string): Array<{ method: string; path: string; file: string }> {
  const dir = join(root, 'src', 'daemon');
  const files = ['http.ts', ...readdirSync(join(dir, 'routes')).map((f) => join('routes', f))].filter((f) => f.endsWith('.ts'));
  const out: Array<{ method: string; path: string; file: string }> = [];
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    for (const m of text.matchAll(/\bapp\.(get|post|put|patch|delete|head|route)\(\s*['"`]([^'"`]+)['"`]/g))
      out.push({ method: m[1].toUpperCase(), path: m[2], file: `src/daemon/${f}` });
  }
  return out;
}

/** The contracts as a Markdown table. */
export function endpointTable(): string[] {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| method | path | auth | request | response | errors |',
    '|---|---|---|---|---|---|',
    ...ENDPOINTS.map((e) => `| ${e.method} | \`${e.path}\` | ${cell(e.auth)} | ${cell(e.request)} | ${cell(e.response)} | ${cell(e.errors)} |`),
  ];
}
