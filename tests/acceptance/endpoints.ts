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

const READ = 'none on a loopback bind; `Authorization: Bearer $OBSERVATORY_TOKEN` (or any named `$OBSERVATORY_TOKEN_<NAME>`) on any other bind';
const WRITE = '`Authorization: Bearer $OBSERVATORY_TOKEN` (or any named `$OBSERVATORY_TOKEN_<NAME>`) always (checked before the body is read)';
const COMMON = '503 STATUS_UNAVAILABLE (store unreachable); 401 UNAUTHORIZED (token, see auth)';

export const ENDPOINTS: readonly EndpointContract[] = [
  {
    method: 'GET',
    path: '/healthz',
    auth: 'none, on every bind (liveness probes)',
    request: 'query `probe` = ready (default) | live',
    response:
      '200 `{ ok, trace_id, daemon_id, leader, store_reachable }`; readiness: 503 with ok=false when the store cannot be read; `?probe=live`: 200 while the process answers',
    errors: '503 (store unreachable, same body); 400 BAD_REQUEST (probe)',
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
    request: 'query `mode` (default live), `bot` = a bot UUID or name (once), `at` = an ISO instant for the session-dependent rules (once)',
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
    errors: "400 BAD_REQUEST or the field's code (bad field); 415 (not application/json); 401 UNAUTHORIZED; 503 STATUS_UNAVAILABLE",
  },
  {
    method: 'POST',
    path: '/api/runs/:id/heartbeat',
    auth: WRITE,
    request: 'path `id` = run UUID',
    response: '200 `{ success, trace_id }`',
    errors: '400 BAD_REQUEST (id); 404 NOT_FOUND (no RUNNING run); 415 (a body not application/json); 401 UNAUTHORIZED; 503 STATUS_UNAVAILABLE',
  },
  {
    method: 'POST',
    path: '/api/runs/:id/finish',
    auth: WRITE,
    request: 'path `id` = run UUID; JSON `{ terminal_state: SUCCEEDED | FAILED | BLOCKED | CANCELLED, reason_code? }`',
    response: '200 `{ success, trace_id, run }`',
    errors:
      '400 BAD_REQUEST (id, terminal_state, fields); 404 NOT_FOUND; 409 (ended otherwise); 415 (not application/json); 401 UNAUTHORIZED; 503 STATUS_UNAVAILABLE',
  },
  {
    method: 'GET',
    path: '/api/session',
    auth: READ,
    request: "query `group` = a product group (default the config's `market.default_group`), `at` = an ISO instant (default now); each at most once",
    response:
      '200 Session `{ success, trace_id, ts, group, at, time_zone, state (open | closed | break), reason{kind, name}, trade_date, session_open, session_close, early_close, next_open, next_close, seconds_to_next_change, summary, *_local }` (as `session --json`; no store read)',
    errors: '400 BAD_REQUEST (unknown group, malformed `at`, a parameter given twice); 401 UNAUTHORIZED',
  },
  {
    method: 'GET',
    path: '/api/trading-state',
    auth: READ,
    request: 'query `recent` = audit rows to include, 0–1000 (20)',
    response:
      '200 TradingState `{ success, trace_id, ts, global (ACTIVE | REDUCING | HALTED), in_force[], pending[], recent[] }` (as `trading-state --json`; pending: resumes waiting for a second actor)',
    errors: `400 BAD_REQUEST (recent); ${COMMON}`,
  },
  {
    method: 'POST',
    path: '/api/trading-state',
    auth: WRITE,
    request:
      'JSON object `{ command: halt | reduce | resume, scope: global | account | bot | integration, target?, reason, ttl? (30m or an ISO expiry), confirm? }`; a global resume needs `confirm: true`; the actor is the token’s: `api-token:OBSERVATORY_TOKEN`, or `api-token:<name>` for `OBSERVATORY_TOKEN_<NAME>`',
    response:
      '201 TradingChange `{ success, trace_id, ts, change, pending: false, in_force[] }` (as `halt|reduce|resume --json`); 202 with `pending: true` when the two-person rule records a resume request for a second, different actor',
    errors:
      '400 BAD_REQUEST (not an object, command, scope, target unknown or malformed, empty reason, ttl in the past, a global resume without confirm, nothing to resume, the same actor — the same token — confirming) — no row written; 415 (not application/json); 401 UNAUTHORIZED; 503 STATUS_UNAVAILABLE',
  },
  {
    method: 'POST',
    path: '/api/trading-state/check',
    auth: WRITE,
    request:
      'JSON object `{ integration, side: buy | sell, qty > 0, position (signed), action?: new | modify | cancel, bot_id?, user_id?, run_id? }` (ids are UUIDs)',
    response:
      "200 TradingCheck `{ success, trace_id, ts, decision{allowed, state, reason_code (HALTED | REDUCING | null), message, cause}, event_id }` (the SDK's `canPlace`; a refusal is stored as one BLOCKED usage event, its id in `event_id`)",
    errors: '400 BAD_REQUEST naming the field (nothing stored); 415 (not application/json); 401 UNAUTHORIZED; 503 STATUS_UNAVAILABLE',
  },
  {
    method: 'GET',
    path: '/api/trace/:id',
    auth: READ,
    request: 'path `id` = a trace id (32 lowercase hex digits)',
    response:
      '200 Trace `{ success, trace_id, ts, id, found, hits[{ source, at, row }], searched[], truncated[] }` — every stored row carrying the id (probes, usage events, runs, blocker sources, fault drills, variable sightings, trading-state changes), oldest first; `found: 0` when none (as `trace --json`)',
    errors: `400 BAD_REQUEST (id); ${COMMON}`,
  },
  {
    method: 'GET',
    path: '/api/history/:name',
    auth: READ,
    request: 'path `name` = a registered integration; query `since` = a duration 1m–90d (7d)',
    response:
      "200 History `{ success, trace_id, ts, integration, stale_after_s, since, until, current, transitions[], time_in_status_s, uptime_pct, flaps, flap_window_s, outages }` from the integration's probe rows (as `history --json`)",
    errors: `400 BAD_REQUEST (since); 404 NOT_FOUND (integration); ${COMMON}`,
  },
  {
    method: 'GET',
    path: '/api/openapi.json',
    auth: READ,
    request: '—',
    response: "200 the OpenAPI 3.1 document, generated from the route table's zod schemas (src/daemon/api-spec.ts; no store read)",
    errors: '401 UNAUTHORIZED',
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
