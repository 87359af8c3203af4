/**
 * What a bot reads before it trades: the autonomy gate for its mode (with its own blockers)
 * and each integration's current status. Computed by core over the status store the recorder
 * writes to, with the rules `observatory gate check` and the daemon's
 * GET /api/system/autonomy use — one derivation, so the bot needs no daemon address and
 * gets the same verdict. Fail-closed: a store that cannot be read, or a config that cannot be
 * loaded, is UNKNOWN (never the last good answer).
 */
import type pg from 'pg';
import { loadConfig, type Config } from '../core/config.js';
import type { Mode, Registry, Status } from '../core/types.js';
import { loadRegistry } from '../core/vendors/registry.js';
import { autonomyView, statusByIntegration, unknownAutonomy, type AutonomyView } from '../core/views.js';

/** The gate's answer: global_status OK / DEGRADED / BLOCKED / UNKNOWN, with blockers and warnings (each with code, fix, trace_id). */
export type GateVerdict = AutonomyView;

export interface GateSource {
  /** the observatory's config (registry, staleness bound); default: loaded from this process's environment */
  config?: Config;
  /** default: the registry of `config` */
  registry?: Registry;
}

export interface GateQuery extends GateSource {
  mode: Mode;
  /** the bot asking: its own blockers (a blocked attempt, a stale run…) count too */
  botId?: string;
  traceId?: string;
}

function sourceOf(q: GateSource, fallback: GateSource): { config: Config; registry: Registry } {
  const config = q.config ?? fallback.config ?? loadConfig({ env: process.env });
  return { config, registry: q.registry ?? (q.config ? undefined : fallback.registry) ?? loadRegistry(config) };
}

export async function readGate(pool: pg.Pool, q: GateQuery, fallback: GateSource = {}): Promise<GateVerdict> {
  let src: { config: Config; registry: Registry };
  try {
    src = sourceOf(q, fallback);
  } catch (err) {
    return unknownAutonomy(err, { mode: q.mode, botId: q.botId ?? null, traceId: q.traceId });
  }
  return autonomyView(pool, src.registry, src.config, { mode: q.mode, botId: q.botId, traceId: q.traceId });
}

/** Each integration's status through the same rules as the status panel; throws when the store cannot be read. */
export async function readIntegrationStatus(pool: pg.Pool, q: GateSource = {}, fallback: GateSource = {}): Promise<Record<string, Status>> {
  const src = sourceOf(q, fallback);
  return statusByIntegration(pool, src.registry, src.config);
}
