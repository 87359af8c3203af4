/**
 * Configuration: environment + optional JSON file (`--config` / OBSERVATORY_CONFIG) → typed Config.
 * Precedence: environment > file > defaults. Errors name the field and what is expected,
 * never the value (it could be a secret).
 *
 * Everything the daemon would refuse later is refused here, when the config is loaded (exit 78
 * naming the field): the HTTP bind below, and (vendors/registry.ts, loaded with the config by
 * every command) each integration's timing, probe interval included (probe-schedule.ts).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type * as Z from 'zod';
import { lazySchema } from './lazy-zod.js';
import { ConfigError } from './errors.js';
import { parseConnectionUrl } from './db/hosts.js';
import { passwordOfUrl, registerSecret, registerSecretsFromEnv } from './redact.js';
import { configDigest, isTrusted } from './config-trust.js';
import { isLoopback } from './loopback.js';
import {
  calendarSectionSchema,
  compileCalendarConfig,
  EMPTY_CALENDAR_CONFIG,
  KNOWN_GROUPS,
  PRODUCT_GROUPS,
  type CalendarConfig,
  type CalendarSection,
} from './calendar/index.js';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** The config file's schema, built on first use: no file, no zod (see lazy-zod.ts). */
export const configFileSchema = lazySchema((z) => {
  /** Integration overrides are validated in full by the registry; here only their outer shape. */
  const integrationOverride = z.record(z.string(), z.unknown());

  const fileSchema = z
    .object({
      database_url: z.string().min(1).optional(),
      home: z.string().min(1).optional(),
      live_trading_enabled: z.boolean().optional(),
      log_level: z.enum(LOG_LEVELS).optional(),
      http: z
        .object({
          port: z.number().int().min(0).max(65535).optional(),
          bind: z.string().min(1).optional(),
        })
        .strict()
        .optional(),
      daemon: z
        .object({
          heartbeat_interval_ms: z.number().int().min(100).max(3_600_000).optional(),
          stale_after_ms: z.number().int().min(500).max(86_400_000).optional(),
          probe_concurrency: z.number().int().min(1).max(64).optional(),
        })
        .strict()
        .optional(),
      limits: z
        .object({
          ingest_body_bytes: z
            .number()
            .int()
            .min(1024)
            .max(64 * 1024 * 1024)
            .optional(),
          ingest_max_events: z.number().int().min(1).max(100_000).optional(),
          metadata_bytes: z
            .number()
            .int()
            .min(256)
            .max(1024 * 1024)
            .optional(),
          metadata_depth: z.number().int().min(1).max(16).optional(),
        })
        .strict()
        .optional(),
      integrations: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'lowercase name: a-z, 0-9, _'), integrationOverride).optional(),
      risk_limits: z.record(z.string(), z.unknown()).optional(),
      // live mode refuses an integration on a non-default endpoint unless it is named here
      allow_custom_endpoints: z
        .array(z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'expected an integration name: a-z, 0-9, _'))
        .max(64)
        .optional(),
      /** market sessions: operator overrides per product group, maintenance windows per integration (calendar/overrides.ts) */
      calendar: calendarSectionSchema().optional(),
      /** market-time rules of the gate (BOT_DATA_STALE) */
      market: z
        .object({
          /** a running bot's market data is stale after this many OPEN-market seconds without an OK event */
          data_stale_after_s: z.number().int().min(10).max(86_400).optional(),
          /** the product group a bot trades when its market-data events name no known symbol */
          default_group: z.string().min(1).max(64).optional(),
        })
        .strict()
        .optional(),
      trading_state: z
        .object({
          two_person_resume: z.boolean().optional(),
          resume_request_ttl_ms: z.number().int().min(10_000).max(86_400_000).optional(),
          fail_closed_after_ms: z.number().int().min(500).max(600_000).optional(),
          poll_interval_ms: z.number().int().min(100).max(60_000).optional(),
        })
        .strict()
        .optional(),
    })
    .strict();
  return fileSchema;
});

export type ConfigFile = Z.infer<ReturnType<typeof configFileSchema>>;

export interface Config {
  databaseUrl?: string;
  home: string;
  liveTradingEnabled: boolean;
  logLevel: (typeof LOG_LEVELS)[number];
  /** token: OBSERVATORY_TOKEN; namedTokens: every OBSERVATORY_TOKEN_<NAME> (apiTokens() lists both with their actors) */
  http: { port: number; bind: string; token?: string; namedTokens?: NamedToken[] };
  daemon: { heartbeatIntervalMs: number; staleAfterMs: number; probeConcurrency: number };
  limits: { ingestBodyBytes: number; ingestMaxEvents: number; metadataBytes: number; metadataDepth: number };
  integrations: Record<string, Record<string, unknown>>;
  riskLimits?: Record<string, unknown>;
  /** integrations allowed on a non-default endpoint in live mode (checked against the registry when it loads) */
  allowCustomEndpoints: string[];
  /** the config file's `calendar` section, compiled (EMPTY_CALENDAR_CONFIG without one) */
  calendar?: CalendarConfig;
  market?: MarketConfig;
  /** the kill switch: two-person resume, how long a resume request waits, and the SDK's bounds */
  tradingState: { twoPersonResume: boolean; resumeRequestTtlMs: number; failClosedAfterMs: number; pollIntervalMs: number };
  configPath?: string;
  /** the config file's digest and whether an earlier run validated these exact bytes (config-trust.ts) */
  fileCheck?: FileCheck;
  env: NodeJS.ProcessEnv;
}

export interface MarketConfig {
  /** BOT_DATA_STALE bound, in open-market seconds */
  dataStaleAfterS: number;
  /** product group of a bot whose events name no known symbol */
  defaultGroup: string;
}

export const DEFAULT_MARKET: MarketConfig = Object.freeze({ dataStaleAfterS: 300, defaultGroup: 'equity_index' });

/** A config's calendar section and market rules (a Config built by hand may have neither: no overrides, defaults). */
export const calendarOf = (config: Pick<Config, 'calendar'>): CalendarConfig => config.calendar ?? EMPTY_CALENDAR_CONFIG;
export const marketOf = (config: Pick<Config, 'market'>): MarketConfig => config.market ?? DEFAULT_MARKET;

export interface FileCheck {
  digest: string | undefined;
  trusted: boolean;
  /** where its marker lives: the home from the environment or the default, never from the file itself */
  home: string;
}

function fieldPath(path: PropertyKey[]): string {
  return path.length ? path.map(String).join('.') : '(root)';
}

/** zod's messages describe types, never values; keep it that way and name the field. */
function describeZod(err: Z.ZodError, where: string): ConfigError {
  const issue = err.issues[0];
  const field = fieldPath(issue.path as PropertyKey[]);
  let what = issue.message;
  if (issue.code === 'unrecognized_keys') what = `unknown key(s): ${issue.keys.join(', ')}`;
  return new ConfigError(`${where}: field \`${field}\`: ${what}`, 'fix the field and run again (see README "Configuration")');
}

function readConfigFile(path: string, trustHome: string): { file: ConfigFile; check: FileCheck } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ConfigError(`cannot read config file ${path} (${code})`, 'check the path given by --config / OBSERVATORY_CONFIG');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // position only; the parser's message can quote file content
    const m = /position (\d+)/.exec(String((err as Error).message));
    const pos = m ? Number(m[1]) : undefined;
    const line = pos === undefined ? undefined : text.slice(0, pos).split('\n').length;
    throw new ConfigError(`config file ${path} is not valid JSON${line ? ` (line ${line})` : ''}`, 'fix the JSON syntax');
  }
  const digest = configDigest(text);
  if (isTrusted(trustHome, digest)) return { file: json as ConfigFile, check: { digest, trusted: true, home: trustHome } };
  const parsed = configFileSchema().safeParse(json);
  if (!parsed.success) throw describeZod(parsed.error, `config file ${path}`);
  return { file: parsed.data, check: { digest, trusted: false, home: trustHome } };
}

function envInt(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) throw new ConfigError(`environment: ${name}: expected an integer ${min}–${max}`);
  return Number(raw);
}

function envBool(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`environment: ${name}: expected true or false`);
}

function checkDatabaseUrl(url: string, where: string): string {
  // one host or a libpq host list (h1:5432,h2:5432) with target_session_attrs; throws ConfigError
  parseConnectionUrl(url, where);
  return url;
}

/** A further API token, OBSERVATORY_TOKEN_<NAME>: its own bearer token and its own actor. */
export interface NamedToken {
  /** NAME as written in the variable (A–Z, 0–9, _) */
  name: string;
  token: string;
}

/** A bearer token the API accepts and the actor a change made with it is recorded under. */
export interface ApiToken {
  /** the env var it came from (never its value) */
  env: string;
  actor: string;
  token: string;
}

/** The actor of OBSERVATORY_TOKEN (its variable's name, as before named tokens existed). */
export const API_TOKEN_ACTOR = 'api-token:OBSERVATORY_TOKEN';
export const NAMED_TOKEN_PREFIX = 'OBSERVATORY_TOKEN_';
const TOKEN_NAME = /^[A-Z0-9_]{1,32}$/;
const MIN_TOKEN_LEN = 16;
/** the actor of OBSERVATORY_TOKEN_<NAME> */
export const namedTokenActor = (name: string) => `api-token:${name.toLowerCase()}`;

/** Every token the API accepts, each with its actor: OBSERVATORY_TOKEN first, then the named ones. */
export function apiTokens(http: Config['http']): ApiToken[] {
  const out: ApiToken[] = http.token ? [{ env: 'OBSERVATORY_TOKEN', actor: API_TOKEN_ACTOR, token: http.token }] : [];
  for (const t of http.namedTokens ?? []) out.push({ env: `${NAMED_TOKEN_PREFIX}${t.name}`, actor: namedTokenActor(t.name), token: t.token });
  return out;
}

/**
 * OBSERVATORY_TOKEN_<NAME> variables: NAME 1–32 of A–Z, 0–9, _; a value of at least 16 characters;
 * no two tokens alike (one value with two actors would let one holder be both people of the
 * two-person rule). An empty value is unset, as for OBSERVATORY_TOKEN. Messages name the
 * variable, never its value.
 */
function namedTokensOf(env: NodeJS.ProcessEnv, main: string | undefined): NamedToken[] {
  const out: NamedToken[] = [];
  const seen = new Map<string, string>(main ? [[main, 'OBSERVATORY_TOKEN']] : []);
  for (const key of Object.keys(env).sort()) {
    if (!key.startsWith(NAMED_TOKEN_PREFIX)) continue;
    const value = env[key]?.trim();
    if (!value) continue;
    const name = key.slice(NAMED_TOKEN_PREFIX.length);
    if (!TOKEN_NAME.test(name))
      throw new ConfigError(
        `environment: ${/^[A-Za-z0-9_]{1,80}$/.test(key) ? key : `${NAMED_TOKEN_PREFIX}…`}: a named API token is ${NAMED_TOKEN_PREFIX}<NAME>, NAME 1–32 of A–Z, 0–9, _`,
      );
    if (value.length < MIN_TOKEN_LEN)
      throw new ConfigError(`environment: ${key}: expected at least ${MIN_TOKEN_LEN} characters`, 'generate one with: openssl rand -hex 24');
    const twin = seen.get(value);
    if (twin) throw new ConfigError(`environment: ${key}: the same value as ${twin}; every API token must differ (each is its own actor)`);
    seen.set(value, key);
    out.push({ name, token: value });
  }
  return out;
}

/**
 * The HTTP API answers beyond this host only behind OBSERVATORY_TOKEN. `where` names the field
 * the bind came from; the daemon checks again before it listens (a config built by hand).
 */
export function assertHttpExposure(http: Config['http'], where = 'environment: OBSERVATORY_BIND='): void {
  if (!isLoopback(http.bind) && !http.token && !http.namedTokens?.length)
    throw new ConfigError(`${where}${http.bind} is not loopback; set OBSERVATORY_TOKEN (≥ 16 chars) to serve the API there`);
}

/** Missed daemon heartbeats after which the daemon reads as stale (DAEMON_STALE), at most. */
export const STALE_HEARTBEATS = 3;

/**
 * The daemon's heartbeat period and stale bound, validated together: a dead daemon must read
 * DAEMON_STALE after at most STALE_HEARTBEATS missed beats (the bound defaults to exactly that),
 * and a bound of one period or less would flap on every late beat.
 */
function daemonTiming(env: NodeJS.ProcessEnv, file: ConfigFile, configPath: string | undefined): { heartbeatIntervalMs: number; staleAfterMs: number } {
  const hbEnv = envInt(env, 'OBSERVATORY_HEARTBEAT_MS', 100, 3_600_000);
  const staleEnv = envInt(env, 'OBSERVATORY_STALE_AFTER_MS', 500, 86_400_000);
  const heartbeatIntervalMs = hbEnv ?? file.daemon?.heartbeat_interval_ms ?? 5_000;
  const staleAfterMs = staleEnv ?? file.daemon?.stale_after_ms ?? STALE_HEARTBEATS * heartbeatIntervalMs;
  if (staleAfterMs <= heartbeatIntervalMs || staleAfterMs > STALE_HEARTBEATS * heartbeatIntervalMs) {
    const staleField = staleEnv !== undefined ? 'environment: OBSERVATORY_STALE_AFTER_MS' : `config file ${configPath}: field \`daemon.stale_after_ms\``;
    const hbField =
      hbEnv !== undefined
        ? 'OBSERVATORY_HEARTBEAT_MS'
        : file.daemon?.heartbeat_interval_ms !== undefined
          ? 'daemon.heartbeat_interval_ms'
          : 'the default heartbeat';
    throw new ConfigError(
      `${staleField}: expected more than 1 and at most ${STALE_HEARTBEATS} heartbeat periods (${hbField} = ${heartbeatIntervalMs} ms: ${heartbeatIntervalMs + 1}–${STALE_HEARTBEATS * heartbeatIntervalMs} ms)`,
      `set both together, or leave the stale bound unset (it defaults to ${STALE_HEARTBEATS} × the heartbeat period)`,
    );
  }
  return { heartbeatIntervalMs, staleAfterMs };
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  configPath?: string;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const configPath = opts.configPath ?? (env.OBSERVATORY_CONFIG || undefined);
  const trustHome = resolve(env.OBSERVATORY_HOME?.trim() || resolve(homedir(), '.observatory'));
  const read = configPath ? readConfigFile(resolve(configPath), trustHome) : undefined;
  const file: ConfigFile = read?.file ?? {};

  const dbFromEnv = env.DATABASE_URL?.trim() || undefined;
  const databaseUrl = dbFromEnv
    ? checkDatabaseUrl(dbFromEnv, 'environment: DATABASE_URL')
    : file.database_url
      ? checkDatabaseUrl(file.database_url, `config file ${configPath}: field \`database_url\``)
      : undefined;
  registerSecret(passwordOfUrl(databaseUrl));

  const home = env.OBSERVATORY_HOME?.trim() || file.home || resolve(homedir(), '.observatory');
  if (!isAbsolute(home) && !env.OBSERVATORY_HOME) throw new ConfigError('config: field `home`: expected an absolute path');

  const logLevelRaw = env.LOG_LEVEL?.trim().toLowerCase() || file.log_level || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevelRaw)) throw new ConfigError(`environment: LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}`);

  const token = env.OBSERVATORY_TOKEN?.trim() || undefined;
  if (token !== undefined && token.length < 16)
    throw new ConfigError('environment: OBSERVATORY_TOKEN: expected at least 16 characters', 'generate one with: openssl rand -hex 24');
  const namedTokens = namedTokensOf(env, token);
  for (const t of namedTokens) registerSecret(t.token);

  const cfg: Config = {
    databaseUrl,
    home: resolve(home),
    liveTradingEnabled: envBool(env, 'LIVE_TRADING_ENABLED') ?? file.live_trading_enabled ?? false,
    logLevel: logLevelRaw as Config['logLevel'],
    http: {
      port: envInt(env, 'OBSERVATORY_PORT', 0, 65535) ?? file.http?.port ?? 7311,
      bind: env.OBSERVATORY_BIND?.trim() || file.http?.bind || '127.0.0.1',
      token,
      namedTokens,
    },
    daemon: { ...daemonTiming(env, file, configPath), probeConcurrency: file.daemon?.probe_concurrency ?? 4 },
    limits: {
      ingestBodyBytes: file.limits?.ingest_body_bytes ?? 8 * 1024 * 1024,
      ingestMaxEvents: file.limits?.ingest_max_events ?? 10_000,
      metadataBytes: file.limits?.metadata_bytes ?? 8192,
      metadataDepth: file.limits?.metadata_depth ?? 4,
    },
    integrations: (file.integrations ?? {}) as Record<string, Record<string, unknown>>,
    riskLimits: file.risk_limits,
    allowCustomEndpoints: [...new Set(file.allow_custom_endpoints ?? [])],
    calendar: compileCalendarConfig(file.calendar as CalendarSection | undefined),
    market: {
      dataStaleAfterS: file.market?.data_stale_after_s ?? DEFAULT_MARKET.dataStaleAfterS,
      defaultGroup: file.market?.default_group ?? DEFAULT_MARKET.defaultGroup,
    },
    tradingState: {
      twoPersonResume: envBool(env, 'OBSERVATORY_TWO_PERSON_RESUME') ?? file.trading_state?.two_person_resume ?? false,
      resumeRequestTtlMs: file.trading_state?.resume_request_ttl_ms ?? 15 * 60_000,
      failClosedAfterMs: file.trading_state?.fail_closed_after_ms ?? 3_000,
      pollIntervalMs: file.trading_state?.poll_interval_ms ?? 500,
    },
    configPath: configPath ? resolve(configPath) : undefined,
    fileCheck: read?.check,
    env,
  };
  if (!Object.hasOwn(PRODUCT_GROUPS, cfg.market!.defaultGroup))
    throw new ConfigError(`config file ${configPath}: field \`market.default_group\`: unknown product group; known groups: ${KNOWN_GROUPS.join(', ')}`);
  assertHttpExposure(cfg.http, env.OBSERVATORY_BIND?.trim() ? undefined : `config file ${configPath}: field \`http.bind\`: `);
  registerSecretsFromEnv(env);
  return cfg;
}
