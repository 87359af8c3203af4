/**
 * A configured HTTP probe: method/url, expected statuses (default any 2xx), headers whose
 * values come from env vars, JSON conditions on dotted paths, and a latency ceiling.
 * headersFromEnv values are either an env var name (`"X-Api-Key": "ACME_KEY"`) or a
 * template with `$NAME` / `${NAME}` (`"Authorization": "Bearer $ACME_TOKEN"`).
 * Conditions report the path that failed, never the value found there.
 */
import type { HttpProbeDef, ProbeDef } from '../types.js';
import { envValue } from './env.js';
import { badBody, classifyStatus, isVerdict, send } from './http.js';
import type { RunContext, Verdict } from './module.js';

const VAR_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Env var names a header spec reads. */
function headerEnvNames(spec: string): string[] {
  if (!spec.includes('$')) return [spec];
  return [...spec.matchAll(VAR_REF)].map((m) => m[1] ?? m[2]);
}

/** Env var names an http probe's headers read (plain name or `${NAME}` / `$NAME` references); none for other probes. */
export function headerEnvVars(probe: ProbeDef): string[] {
  if (probe.type !== 'http') return [];
  return Object.values(probe.headersFromEnv ?? {}).flatMap(headerEnvNames);
}

function renderHeader(spec: string, env: NodeJS.ProcessEnv): string {
  if (!spec.includes('$')) return envValue(env, spec) ?? '';
  return spec.replace(VAR_REF, (_m, a: string | undefined, b: string | undefined) => envValue(env, (a ?? b) as string) ?? '');
}

/** `a.b.0.c` lookup through objects and arrays; undefined when any step is missing. */
export function lookupPath(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(seg)) return undefined;
      cur = cur[Number(seg)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return cur;
}

export async function customHttpProbe(def: HttpProbeDef, rc: RunContext, startedAt: number): Promise<Verdict> {
  const method = def.method ?? 'GET';
  const conditions = Object.entries(def.expectJson ?? {});
  if (method === 'HEAD' && conditions.length > 0) return { outcome: 'CHECK_FAILED', message: 'expectJson needs method GET (HEAD has no body)' };
  let url: URL;
  try {
    url = new URL(def.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    return { outcome: 'CHECK_FAILED', message: 'probe url is not a valid http(s) URL' };
  }
  const headerSpecs = Object.entries(def.headersFromEnv ?? {});
  const reply = await send(rc, {
    method,
    url,
    auth: headerSpecs.length ? () => Object.fromEntries(headerSpecs.map(([h, spec]) => [h, renderHeader(spec, rc.env)])) : undefined,
  });
  if (isVerdict(reply)) return reply;
  const expected = def.expectStatus?.length ? def.expectStatus : undefined;
  if (!expected || !expected.includes(reply.status)) {
    const byStatus = classifyStatus(reply.status, reply.host);
    if (byStatus) return byStatus;
    if (expected)
      return { outcome: 'CHECK_FAILED', httpStatus: reply.status, message: `HTTP ${reply.status} from ${reply.host}; expected ${expected.join(' or ')}` };
  }
  if (conditions.length > 0) {
    if (reply.bodyKind !== 'json') return badBody(reply, 'JSON');
    const failed = conditions.filter(([path, want]) => lookupPath(reply.body, path) !== want).map(([path]) => path);
    if (failed.length) return { outcome: 'CHECK_FAILED', httpStatus: reply.status, message: `JSON condition failed at ${failed.join(', ')}` };
  }
  if (def.maxLatencyMs !== undefined) {
    const took = Math.round(performance.now() - startedAt);
    if (took > def.maxLatencyMs)
      return { outcome: 'CHECK_FAILED', httpStatus: reply.status, message: `latency ${took} ms over maxLatencyMs ${def.maxLatencyMs}` };
  }
  return { outcome: 'OK', httpStatus: reply.status };
}
