/**
 * The OpenAPI 3.1 document (GET /api/openapi.json), generated from the route table
 * (daemon/api-spec.ts) — the zod schemas the routes validate with and the views' wire shapes.
 * zod emits JSON Schema 2020-12, which is OpenAPI 3.1's schema dialect; named schemas
 * (`.meta({ id })`) become components, referenced from every operation.
 */
import { z } from 'zod';
import { VERSION } from '../core/version.js';
import { COMMON_RESPONSES, ROUTES, type ResponseSpec, type RouteSpec } from './api-spec.js';

type Json = Record<string, unknown>;

const COMPONENT_PREFIX = '#/components/schemas/';

/**
 * One schema as JSON Schema, its named parts moved to `components` (zod puts them under a local
 * `$defs`; in an OpenAPI document a `$ref` resolves against the document, not the schema).
 */
function toSchema(schema: z.ZodType, components: Json, io: 'input' | 'output'): Json {
  const js = z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any', io, reused: 'inline' }) as Json;
  delete js.$schema;
  const defs = (js.$defs ?? {}) as Json;
  delete js.$defs;
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v && typeof v === 'object') {
      const o: Json = {};
      for (const [k, x] of Object.entries(v)) o[k] = k === '$ref' && typeof x === 'string' ? x.replace('#/$defs/', COMPONENT_PREFIX) : rewrite(x);
      return o;
    }
    return v;
  };
  for (const [name, def] of Object.entries(defs)) components[name] ??= rewrite(def);
  // a named schema at the top comes back as itself, with its id: reference it like the others
  const id = (js.id as string | undefined) ?? undefined;
  if (id) {
    delete js.id;
    components[id] ??= rewrite(js);
    return { $ref: COMPONENT_PREFIX + id };
  }
  return rewrite(js) as Json;
}

const pathOf = (url: string) => url.replace(/:([A-Za-z_]+)/g, '{$1}');

function parameters(route: RouteSpec, components: Json): Json[] {
  const out: Json[] = [];
  for (const [where, obj] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!obj) continue;
    for (const [name, field] of Object.entries(obj.shape as Record<string, z.ZodType>)) {
      const schema = toSchema(field, components, 'output');
      const description = (schema.description as string | undefined) ?? field.description;
      out.push({ name, in: where, required: where === 'path' || !field.safeParse(undefined).success, schema, ...(description ? { description } : {}) });
    }
  }
  return out;
}

function response(r: ResponseSpec, components: Json): Json {
  const type = r.contentType ?? 'application/json';
  return { description: r.description, content: { [type]: { schema: r.schema ? toSchema(r.schema, components, 'output') : { type: 'string' } } } };
}

/** The document; built once per process (the route table does not change while running). */
let built: Json | undefined;
export function openApiDocument(): Json {
  if (built) return built;
  const components: Json = {};
  const paths: Record<string, Json> = {};
  for (const route of ROUTES) {
    const responses: Json = {};
    for (const [status, r] of Object.entries({ ...route.responses, ...COMMON_RESPONSES })) responses[status] = response(r, components);
    const op: Json = {
      operationId: `${route.method.toLowerCase()}${route.url.replace(/[/:{}.-]+([a-z])?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: route.summary,
      tags: [route.tag],
      parameters: parameters(route, components),
      responses,
    };
    if (route.body) op.requestBody = { required: true, content: { 'application/json': { schema: toSchema(route.body, components, 'input') } } };
    if (route.token) op.security = [{ bearer: [] }];
    (paths[pathOf(route.url)] ??= {})[route.method.toLowerCase()] = op;
  }
  built = {
    openapi: '3.1.0',
    info: {
      title: 'Observatory API',
      version: VERSION,
      description:
        'Integration health, proof of use, the variable catalog and the autonomy gate. Every response carries a trace_id (body and x-trace-id header). ' +
        'POST routes need a bearer token (OBSERVATORY_TOKEN, or any named OBSERVATORY_TOKEN_<NAME>); on a non-loopback bind every route but /healthz does. ' +
        'A trading-state change is recorded under the token it came with: api-token:OBSERVATORY_TOKEN, or api-token:<name>.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: { schemas: components, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
  return built;
}
