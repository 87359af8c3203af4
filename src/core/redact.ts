/**
 * The ONE sanitizer. Every sink — logger, database writers, API serializer, CLI/TUI
 * formatters, error messages — passes text through here before it leaves the process.
 *
 * Two layers:
 *  1. exact needles: the value of every secret env var, plus its base64 (at every byte
 *     alignment, so it is caught inside a longer base64 blob such as basic auth),
 *     base64url, URL-encoded and JSON-escaped forms;
 *  2. shapes: bearer/basic credentials, passwords in URLs, key-ish query params,
 *     `sk-…` keys, "password": "…" pairs.
 */

import { vendorCredentialPairs, vendorSecretEnv } from './vendors/index.js';

export const REDACTED = '[REDACTED]';

/** Platform env vars whose values are secrets; the vendors' own come from their modules. */
const PLATFORM_SECRET_ENV = ['OBSERVATORY_TOKEN', 'PGPASSWORD'] as const;
/** Families of them: the named API tokens OBSERVATORY_TOKEN_<NAME> (config.ts), whatever SECRET_NAME below says. */
const PLATFORM_SECRET_PREFIXES = ['OBSERVATORY_TOKEN_'] as const;
const hasSecretPrefix = (name: string) => PLATFORM_SECRET_PREFIXES.some((p) => name.startsWith(p));

let builtinSecretEnv: ReadonlySet<string> | undefined;

/**
 * Env var names whose values are always treated as secrets, whatever the registry says: every
 * module's secret env vars (vendors/index.ts) plus the platform's. Read on first use, never at
 * load: the vendor modules import this file (see the cycle note in vendors/index.ts).
 */
export function builtinSecretEnvNames(): ReadonlySet<string> {
  return (builtinSecretEnv ??= new Set([...vendorSecretEnv(), ...PLATFORM_SECRET_ENV]));
}

/** Any env var whose name looks like a credential is a secret too. */
const SECRET_NAME = /(KEY|SECRET|TOKEN|PASSWORD|PASSWD|PASS|CREDENTIAL|AUTH|CID)(_|$)/i;

/** Shorter values would redact ordinary words; such "secrets" are rejected by config instead. */
const MIN_SECRET_LEN = 4;

const needles = new Set<string>();
let needleList: string[] = [];

function rebuild(): void {
  // longest first so a secret that contains another is replaced whole
  needleList = [...needles].sort((a, b) => b.length - a.length);
  // verdicts depend on the registered secrets
  redactCache.clear();
}

function base64Needles(value: string): string[] {
  const raw = Buffer.from(value, 'utf8');
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const enc = Buffer.concat([Buffer.alloc(shift), raw]).toString('base64');
    // keep only characters determined by the secret's own bytes
    const start = shift === 0 ? 0 : 4;
    const end = Math.floor((shift + raw.length) / 3) * 4;
    const piece = enc.slice(start, end);
    if (piece.length >= 8) out.push(piece, piece.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  const full = raw.toString('base64');
  out.push(full, full.replace(/=+$/, ''), raw.toString('base64url'));
  return out;
}

/** Registers a secret value (and its encodings) so it can never be emitted. */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== 'string') return;
  const v = value.trim();
  if (v.length < MIN_SECRET_LEN) return;
  const forms = new Set<string>([v, encodeURIComponent(v), JSON.stringify(v).slice(1, -1), ...base64Needles(v)]);
  try {
    forms.add(encodeURIComponent(v).replace(/%20/g, '+'));
  } catch {
    /* ignore */
  }
  const before = needles.size;
  for (const f of forms) if (f.length >= MIN_SECRET_LEN) needles.add(f);
  // registering again (every recorder, every error line) must not throw the caches away
  if (needles.size !== before) rebuild();
}

/** Registers a user:password pair as used by basic auth. */
export function registerCredentialPair(user: string | undefined, pass: string | undefined): void {
  if (!user && !pass) return;
  const pair = Buffer.from(`${user ?? ''}:${pass ?? ''}`).toString('base64');
  if (!needles.has(pair)) {
    needles.add(pair);
    rebuild();
  }
  registerSecret(pass);
}

export function isSecretEnvName(name: string): boolean {
  return builtinSecretEnvNames().has(name) || hasSecretPrefix(name) || SECRET_NAME.test(name);
}

/** Registers the values of every secret-looking env var, plus any extra names given. */
export function registerSecretsFromEnv(env: NodeJS.ProcessEnv = process.env, extraNames: Iterable<string> = []): void {
  const names = new Set<string>([...builtinSecretEnvNames(), ...extraNames]);
  for (const k of Object.keys(env)) if (SECRET_NAME.test(k) || hasSecretPrefix(k)) names.add(k);
  for (const n of names) registerSecret(env[n]);
  // pairs sent base64-encoded as basic auth (null: empty password, e.g. a key as the user name)
  for (const [user, pass] of vendorCredentialPairs()) registerCredentialPair(env[user], pass === null ? '' : env[pass]);
  for (const urlVar of ['DATABASE_URL', 'TEST_DATABASE_URL']) registerSecret(passwordOfUrl(env[urlVar]));
}

export function passwordOfUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    // libpq also takes the password as a query parameter (?password=…)
    return u.password ? decodeURIComponent(u.password) : (u.searchParams.get('password') ?? undefined);
  } catch {
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:([^@\s]*)@/i.exec(url);
    return m?.[1];
  }
}

/** For tests only: forget registered secrets. */
export function _resetSecretsForTest(): void {
  needles.clear();
  rebuild();
}

/**
 * The password slot of a documentation example, not a credential: the word itself
 * (`postgres://user:password@host:port/db`, as --help and error messages teach), an angle-bracket
 * or env-reference placeholder (`<password>`, `${PGPASSWORD}`), or a mask (`***`, `xxx`, `...`).
 * A real password that happens to be one of these still goes when registered (needles above).
 */
const PLACEHOLDER_PASSWORD = /^(?:password|passwd|pass|pwd|<[a-z][a-z0-9_-]*>|\$\{?[A-Z_][A-Z0-9_]*\}?|\*+|x{3,}|\.{3}|…)$/i;

const SHAPES: Array<[RegExp, string | ((match: string, ...groups: string[]) => string)]> = [
  [/\b(Bearer)\s+[A-Za-z0-9._~+/=-]{6,}/gi, `$1 ${REDACTED}`],
  [/\b(Basic)\s+[A-Za-z0-9+/=]{6,}/gi, `$1 ${REDACTED}`],
  // scheme://user:password@host (the documentation's own placeholder stays readable)
  [/\b([a-z][a-z0-9+.-]*:\/\/[^:/@\s"']*):([^@\s/"']+)@/gi, (m, head: string, pw: string) => (PLACEHOLDER_PASSWORD.test(pw) ? m : `${head}:${REDACTED}@`)],
  // key-ish query or form params
  [
    /([?&;]|\b)((?:api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|token|secret|client[_-]?secret|password|passwd|pwd|sig|signature|key|cid|sec)=)[^&\s#"'<>]+/gi,
    `$1$2${REDACTED}`,
  ],
  // OpenAI-style keys
  [/\bsk-[A-Za-z0-9_-]{12,}/g, REDACTED],
  // "password": "…" in JSON text
  [
    /("(?:password|passwd|secret|token|api[_-]?key|apiKey|access[_-]?token|accessToken|authorization|mdAccessToken|sec|cid)"\s*:\s*")(?:[^"\\]|\\.)*"/gi,
    `$1${REDACTED}"`,
  ],
  // Authorization: anything
  [/\b(authorization|x-api-key|api-key|cookie|set-cookie)(\s*[:=]\s*)[^\r\n,;]+/gi, `$1$2${REDACTED}`],
];

/**
 * A superset of what every SHAPES pattern needs to match (each one requires one of these,
 * case-insensitively): a string without any of them cannot match a shape, so the shape pass is
 * skipped. Keep it in step with SHAPES (tests/redact.test.ts exercises every shape).
 */
const SHAPE_TRIGGER = /bearer|basic|:\/\/|=|sk-|"|authorization|api-key|cookie/i;

/**
 * Metadata values repeat (model names, purposes, variable names): results for short strings are
 * memoized. The map is emptied whenever a secret is registered (rebuild) and when it is full.
 */
const redactCache = new Map<string, string>();
const REDACT_CACHE_MAX = 4096;
const REDACT_CACHE_MAX_LEN = 256;

function redactUncached(input: string): string {
  let s = input;
  for (const n of needleList) if (s.includes(n)) s = s.split(n).join(REDACTED);
  if (SHAPE_TRIGGER.test(s)) for (const [re, rep] of SHAPES) s = typeof rep === 'string' ? s.replace(re, rep) : s.replace(re, rep);
  return s;
}

/** Redacts one string. Idempotent. */
export function redactString(input: string): string {
  if (input.length > REDACT_CACHE_MAX_LEN) return redactUncached(input);
  const hit = redactCache.get(input);
  if (hit !== undefined) return hit;
  const out = redactUncached(input);
  if (redactCache.size >= REDACT_CACHE_MAX) redactCache.clear();
  redactCache.set(input, out);
  return out;
}

/**
 * An identifier the sanitizer would change looks like a secret: writers refuse it rather than
 * store it. (Identifiers are short, so redactString's own memo — cleared whenever the registered
 * secrets change — makes repeats cheap.)
 */
export function isSecretShaped(v: string | null | undefined): boolean {
  return typeof v === 'string' && redactString(v) !== v;
}

/** Metadata keys that are never stored or shown, whatever their value. */
const DENY_KEY =
  /^(password|passwd|pwd|secret|client_secret|token|access_token|refresh_token|id_token|api_key|apikey|api-key|key|authorization|auth|cookie|set-cookie|session|credentials?|private_key|prompt|prompts|completion|completions|messages|response_text|content|sec|cid)$/i;
const DENY_KEY_PART =
  /(password|passwd|passphrase|secret|token|api[_-]?key|subscription[_-]?key|authorization|(^|[_-])auth([_-]|$)|bearer|signature|session[_-]?(id|key)|cookie|credential|private[_-]?key|prompt|completion)/i;

function deniedUncached(key: string): boolean {
  // token counts are allowed metadata (brief: "token counts")
  if (/^(prompt|completion|total)_tokens$/i.test(key) || /^tokens?_(in|out|total|used)$/i.test(key)) return false;
  return DENY_KEY.test(key) || DENY_KEY_PART.test(key);
}

/** Key verdicts are pure functions of the key: memoized for short keys (bounded map). */
const deniedCache = new Map<string, boolean>();
export function isDeniedKey(key: string): boolean {
  let v = deniedCache.get(key);
  if (v !== undefined) return v;
  v = deniedUncached(key);
  if (key.length <= 128) {
    if (deniedCache.size >= 4096) deniedCache.clear();
    deniedCache.set(key, v);
  }
  return v;
}

/** Recursively redacts strings in a JSON-ish value and drops deny-listed keys. */
export function redactDeep<T>(value: T): T {
  return walk(value, 0) as T;
}

function walk(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return redactString(v);
  if (v === null || typeof v !== 'object') return v;
  if (depth > 32) return REDACTED;
  if (v instanceof Date) return v;
  if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    // a key is data too: one that holds a secret (or its shape) is dropped with its value
    if (isDeniedKey(k) || redactString(k) !== k) continue;
    out[k] = walk(x, depth + 1);
  }
  return out;
}

export interface MetadataLimits {
  maxBytes: number;
  maxDepth: number;
  maxKeys: number;
}

export const DEFAULT_METADATA_LIMITS: MetadataLimits = { maxBytes: 8192, maxDepth: 4, maxKeys: 64 };

export class MetadataRejected extends Error {
  readonly code = 'METADATA_REJECTED';
}

// PostgreSQL's jsonb refuses NUL and unpaired UTF-16 surrogates: one such string would make
// its whole batch fail forever (and a spool holding it never replay). Refuse it up front.
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE = new RegExp(`\\u0000|${UNPAIRED_SURROGATE.source}`);
const UNPAIRED_SURROGATES = new RegExp(UNPAIRED_SURROGATE.source, 'g');
function checkText(s: string, what: string): void {
  if (UNSTORABLE.test(s)) throw new MetadataRejected(`metadata holds ${what} with a NUL character or invalid Unicode (unpaired surrogate)`);
}

/**
 * Sanitizes event metadata for storage: deny-listed keys dropped, strings redacted,
 * depth / key count / size bounded — past a bound it throws (callers report it as a 4xx).
 */
export function sanitizeMetadata(meta: unknown, limits: MetadataLimits = DEFAULT_METADATA_LIMITS): Record<string, unknown> {
  if (meta === undefined || meta === null) return {};
  if (typeof meta !== 'object' || Array.isArray(meta)) throw new MetadataRejected('metadata must be a JSON object');
  let keys = 0;
  const check = (v: unknown, depth: number): void => {
    if (typeof v === 'string') return checkText(v, 'a value');
    if (typeof v === 'number' && !Number.isFinite(v)) throw new MetadataRejected('metadata holds a number that is not finite (NaN, Infinity or out of range)');
    if (v === null || typeof v !== 'object') return;
    if (!Array.isArray(v)) for (const k of Object.keys(v)) checkText(k, 'a key');
    if (depth > limits.maxDepth) throw new MetadataRejected(`metadata nested deeper than ${limits.maxDepth} levels`);
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
    keys += entries.length;
    if (keys > limits.maxKeys * 16) throw new MetadataRejected(`metadata has more than ${limits.maxKeys * 16} entries`);
    for (const [, x] of entries) check(x, depth + 1);
  };
  check(meta, 1);
  if (Object.keys(meta).length > limits.maxKeys) throw new MetadataRejected(`metadata has more than ${limits.maxKeys} top-level keys`);
  const clean = redactDeep(meta) as Record<string, unknown>;
  const size = Buffer.byteLength(JSON.stringify(clean));
  if (size > limits.maxBytes) throw new MetadataRejected(`metadata is ${size} bytes, over the ${limits.maxBytes}-byte limit`);
  return clean;
}

export interface SanitizedError {
  code: string;
  message: string;
}

/**
 * Reduces any thrown thing to a stable code plus a one-line, redacted, bounded message.
 * Nothing else about an error (stack, request config, headers, bodies) may leave a boundary.
 */
export function sanitizeError(err: unknown, fallbackCode = 'ERROR'): SanitizedError {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const rawCode = typeof e?.code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(e.code) ? e.code : fallbackCode;
  const rawMsg = typeof e?.message === 'string' ? e.message : typeof err === 'string' ? err : String(fallbackCode);
  return { code: redactString(rawCode), message: oneLine(redactString(rawMsg)) };
}

export function oneLine(s: string, max = 300): string {
  // control characters (NUL included) and unpaired surrogates: never storable, never useful on a terminal
  const flat = s
    .replace(/\s+/g, ' ')
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(UNPAIRED_SURROGATES, '\uFFFD')
    .trim();
  if (flat.length <= max) return flat;
  // cut on a code point boundary: never leave half a surrogate pair behind
  const cut = flat.slice(0, max - 1);
  return `${/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut}…`;
}
