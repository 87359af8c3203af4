/**
 * trading_state_changes (migrations/008): the kill switch's append-only audit, and the state in
 * force derived from it. Writers serialise on one advisory lock, so `previous_state` and the
 * two-person check see every earlier row.
 */
import type pg from 'pg';
import { UsageError } from '../errors.js';
import { GLOBAL_TARGET, STATE_OF, type ScopeInForce, type TradingCommand, type TradingScope, type TradingState } from '../trading-state.js';

export { TRADING_STATE_CHANNEL } from './channels.js';

/** One audit row, as every face prints it. */
export interface TradingStateChange {
  id: string;
  scope: TradingScope;
  target: string;
  state: TradingState;
  previous_state: TradingState;
  kind: 'change' | 'request' | 'confirm';
  confirms: string | null;
  actor: string;
  reason: string;
  created_at: string;
  expires_at: string | null;
  trace_id: string;
}

// id and confirms leave as text (bigint); ORDER BY must name the table's column, not this alias
const COLS = `id::text as id, scope, target, state, previous_state, kind, confirms::text as confirms, actor, reason,
              to_json(created_at)#>>'{}' as created_at, to_json(expires_at)#>>'{}' as expires_at, trace_id`;

/** rows still in force: effective kinds, not expired; the newest per scope wins */
const IN_FORCE = `select distinct on (scope, target) ${COLS}
                    from trading_state_changes t
                   where kind <> 'request' and (expires_at is null or expires_at > now())
                   order by t.scope, t.target, t.id desc`;

function toInForce(r: TradingStateChange): ScopeInForce {
  return {
    scope: r.scope,
    target: r.target,
    state: r.state as ScopeInForce['state'],
    actor: r.actor,
    reason: r.reason,
    since: r.created_at,
    expires_at: r.expires_at,
    trace_id: r.trace_id,
    change_id: r.id,
  };
}

/** Every scope whose state is not ACTIVE, and the database's clock. */
export async function readInForce(db: pg.Pool | pg.PoolClient | pg.Client): Promise<{ inForce: ScopeInForce[]; now: Date }> {
  // one row even when nothing is in force (t.* null then): the clock comes in the same round trip
  const { rows } = await db.query<(TradingStateChange | { [k in keyof TradingStateChange]: null }) & { now: Date }>(
    `select t.*, n.now from (select now() as now) n left join (${IN_FORCE}) t on t.state <> 'ACTIVE'`,
  );
  return { inForce: rows.filter((r): r is TradingStateChange & { now: Date } => r.id !== null).map(toInForce), now: rows[0].now };
}

/** Resume requests waiting for a second actor (two-person rule). */
export async function readPending(db: pg.Pool | pg.PoolClient): Promise<TradingStateChange[]> {
  const { rows } = await db.query<TradingStateChange>(
    `select ${COLS} from trading_state_changes r
      where kind = 'request' and expires_at > now()
        and not exists (select 1 from trading_state_changes c where c.confirms = r.id)
        and not exists (select 1 from trading_state_changes n where n.scope = r.scope and n.target = r.target and n.id > r.id and n.kind <> 'request')
      order by r.id desc`,
  );
  return rows;
}

/** The newest audit rows, newest first. */
export async function readHistory(db: pg.Pool | pg.PoolClient, limit = 20): Promise<TradingStateChange[]> {
  const { rows } = await db.query<TradingStateChange>(`select ${COLS} from trading_state_changes t order by t.id desc limit $1`, [limit]);
  return rows;
}

/** Trading-state changes carrying a trace id (`observatory trace`), oldest first. */
export async function changesByTrace(db: pg.Pool, traceId: string, limit: number): Promise<TradingStateChange[]> {
  const { rows } = await db.query<TradingStateChange>(`select ${COLS} from trading_state_changes t where t.trace_id = $1 order by t.id limit $2`, [
    traceId,
    limit,
  ]);
  return rows;
}

async function currentState(c: pg.PoolClient, scope: TradingScope, target: string): Promise<TradingState> {
  const { rows } = await c.query<{ state: TradingState }>(
    `select state from trading_state_changes
      where scope = $1 and target = $2 and kind <> 'request' and (expires_at is null or expires_at > now())
      order by id desc limit 1`,
    [scope, target],
  );
  return rows[0]?.state ?? 'ACTIVE';
}

/** Whether the target names something the store has seen (a bot, an account's user_id) or the registry knows (an integration). */
async function assertTargetKnown(c: pg.PoolClient, scope: TradingScope, target: string, knownIntegrations: readonly string[]): Promise<void> {
  if (scope === 'global') return;
  if (scope === 'integration') {
    if (!knownIntegrations.includes(target)) throw new UsageError(`unknown integration '${target}'`, `known: ${knownIntegrations.join(', ')}`);
    return;
  }
  const sql =
    scope === 'bot'
      ? 'select exists (select 1 from bots where id = $1::uuid) as known'
      : `select exists (select 1 from bot_runs where user_id = $1::uuid)
             or exists (select 1 from integration_usage_events where user_id = $1::uuid) as known`;
  const { rows } = await c.query<{ known: boolean }>(sql, [target]);
  if (!rows[0].known)
    throw new UsageError(
      `unknown ${scope} '${target}': no ${scope === 'bot' ? 'bot with this id' : 'run or usage event with this user_id'} was ever recorded`,
      scope === 'bot' ? 'see `observatory proof` for known bots' : 'an account is the user_id bots record with their runs and events',
    );
}

export interface TradingCommandInput {
  command: TradingCommand;
  scope: TradingScope;
  target: string;
  reason: string;
  actor: string;
  /** expiry of a halt/reduce: ms from now on the database's clock, or an instant */
  ttlMs?: number;
  until?: Date;
  /** a resume needs a second, different actor (config trading_state.two_person_resume) */
  twoPerson: boolean;
  /** how long a resume request waits for its second actor */
  requestTtlMs: number;
  knownIntegrations: readonly string[];
  traceId: string;
}

export interface TradingCommandResult {
  change: TradingStateChange;
  /** true: a resume request recorded, waiting for a second actor; the state is unchanged */
  pending: boolean;
}

/**
 * Records a halt / reduce / resume as one row, or refuses it (UsageError, nothing written):
 * unknown target, resume with nothing to resume, expiry in the past, confirmation by the
 * requesting actor. One transaction under one advisory lock.
 */
export async function applyTradingCommand(pool: pg.Pool, input: TradingCommandInput): Promise<TradingCommandResult> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(`select pg_advisory_xact_lock(hashtext('observatory_trading_state'))`);
    await assertTargetKnown(client, input.scope, input.target, input.knownIntegrations);
    const previous = await currentState(client, input.scope, input.target);
    const state = STATE_OF[input.command];
    let expires: { sql: string; param: unknown } = { sql: '$9::timestamptz', param: null };
    if (input.command === 'resume') {
      if (input.ttlMs !== undefined || input.until) throw new UsageError('resume takes no --ttl: it lifts the state until someone sets it again');
      if (previous === 'ACTIVE')
        throw new UsageError(
          `nothing to resume: ${input.scope === 'global' ? 'global' : `${input.scope} ${input.target}`} is ACTIVE`,
          'see `observatory trading-state`',
        );
    } else if (input.until) {
      const { rows } = await client.query<{ future: boolean }>('select $1::timestamptz > now() as future', [input.until.toISOString()]);
      if (!rows[0].future) throw new UsageError(`--ttl: the expiry ${input.until.toISOString()} is in the past`);
      expires = { sql: '$9::timestamptz', param: input.until.toISOString() };
    } else if (input.ttlMs !== undefined) {
      if (!(input.ttlMs > 0)) throw new UsageError('--ttl: the expiry is in the past');
      expires = { sql: 'now() + make_interval(secs => $9::float8 / 1000)', param: input.ttlMs };
    }

    let kind: TradingStateChange['kind'] = 'change';
    let confirms: string | null = null;
    if (input.command === 'resume' && input.twoPerson) {
      const pending = (await readPending(client)).find((p) => p.scope === input.scope && p.target === input.target);
      if (!pending) {
        kind = 'request';
        expires = { sql: 'now() + make_interval(secs => $9::float8 / 1000)', param: input.requestTtlMs };
      } else {
        if (pending.actor === input.actor)
          throw new UsageError(
            `the resume of ${input.scope === 'global' ? 'global' : `${input.scope} ${input.target}`} was requested by ${input.actor}: a second, different actor must confirm it`,
          );
        kind = 'confirm';
        confirms = pending.id;
      }
    }
    const { rows } = await client.query<TradingStateChange>(
      `insert into trading_state_changes (scope, target, state, previous_state, kind, confirms, actor, reason, expires_at, trace_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8, ${expires.sql}, $10)
       returning ${COLS}`,
      [input.scope, input.target, state, previous, kind, confirms, input.actor, input.reason, expires.param, input.traceId],
    );
    await client.query('commit');
    return { change: rows[0], pending: kind === 'request' };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** The accounts (user_ids) a bot's runs were recorded under, for the gate's account scope. */
export async function accountsOfBot(db: pg.Pool, botId: string): Promise<string[]> {
  const { rows } = await db.query<{ user_id: string }>(
    `select distinct user_id::text as user_id from (
       select user_id from bot_runs where bot_id = $1::uuid and user_id is not null order by started_at desc limit 20) r`,
    [botId],
  );
  return rows.map((r) => r.user_id);
}

/**
 * Orders refused by the trading state (BLOCKED usage events with reason HALTED / REDUCING) written
 * after `since` (null: from now on), and the instant counted up to — the next call's `since`.
 * Reads only the newest slice of the created_at index.
 */
export async function refusalsSince(db: pg.Pool, since: Date | null): Promise<{ counts: Record<'HALTED' | 'REDUCING', number>; upTo: Date }> {
  const { rows } = await db.query<{ reason_code: string | null; n: number; up_to: Date }>(
    `with b as (select now() as up_to)
     select e.reason_code, count(e.id)::int as n, b.up_to
       from b left join integration_usage_events e
         on e.created_at > coalesce($1::timestamptz, b.up_to) and e.created_at <= b.up_to
        and e.status = 'BLOCKED' and e.reason_code in ('HALTED', 'REDUCING')
      group by e.reason_code, b.up_to`,
    [since ? since.toISOString() : null],
  );
  const counts = { HALTED: 0, REDUCING: 0 };
  for (const r of rows) if (r.reason_code === 'HALTED' || r.reason_code === 'REDUCING') counts[r.reason_code] = r.n;
  return { counts, upTo: rows[0].up_to };
}

export { GLOBAL_TARGET };
