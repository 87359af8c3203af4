/**
 * Bots and their runs/jobs. Unlike usage events, bot_runs rows change: a run starts
 * RUNNING, heartbeats, and ends once in a terminal state. Times come from the database
 * clock (now()), so heartbeat ages never depend on a writer's clock.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ObservatoryError } from '../errors.js';
import { MODES, type Mode } from '../types.js';
import { newTraceId, isTraceId, isUuid } from '../trace.js';
import { REASON_CODE_RE } from '../event-rules.js';
import { isSecretShaped } from '../redact.js';

export const TERMINAL_STATES = ['SUCCEEDED', 'FAILED', 'BLOCKED', 'CANCELLED'] as const;
export type TerminalState = (typeof TERMINAL_STATES)[number];
export type RunStatus = 'RUNNING' | TerminalState;

/** One run as every reader shows it (snake_case, ISO times). */
export interface RunView {
  id: string;
  bot_id: string;
  user_id: string | null;
  mode: Mode;
  job_kind: string;
  status: RunStatus;
  started_at: string;
  heartbeat_at: string;
  /** seconds since the last heartbeat, by the database clock */
  heartbeat_age_s: number;
  ended_at: string | null;
  terminal_state: TerminalState | null;
  reason_code: string | null;
  trace_id: string;
}

export interface StartRunInput {
  botId: string;
  botName?: string;
  mode: Mode;
  jobKind?: string;
  userId?: string | null;
  traceId?: string;
  /** writer-generated id, so a retried start is idempotent; generated when absent */
  runId?: string;
  /**
   * The bot's RUNNING runs silent longer than this are ended FAILED HEARTBEAT_LOST as this one
   * starts (a process killed without a word): a lost run otherwise blocks its bot for good.
   * Default 30 s, the daemon's default staleness bound.
   */
  abandonSilentAfterMs?: number;
}

/** Reason code of a run ended because its process went silent (kill -9, a lost host). */
export const HEARTBEAT_LOST = 'HEARTBEAT_LOST';

export class RunInputError extends ObservatoryError {
  constructor(field: string, message: string) {
    super('RUN_INPUT_INVALID', `run: field \`${field}\`: ${message}`, { exitCode: 64 });
  }
}

/** A run ends once: finishing it again differently (state or reason) is refused, not ignored. */
export class RunConflictError extends ObservatoryError {
  constructor(run: RunView) {
    super('RUN_ALREADY_ENDED', `run ${run.id} already ended ${run.terminal_state}${run.reason_code ? ` (${run.reason_code})` : ''}; a run ends once`, {
      exitCode: 1,
    });
  }
}

export const RUN_COLUMNS = `id, bot_id, user_id, mode, job_kind, status, started_at, heartbeat_at,
  extract(epoch from (now() - heartbeat_at))::float8 as heartbeat_age_s,
  ended_at, terminal_state, reason_code, trace_id`;

function uuid(field: string, v: string | null | undefined, required: boolean): void {
  if (v === undefined || v === null) {
    if (required) throw new RunInputError(field, 'required');
    return;
  }
  if (!isUuid(v)) throw new RunInputError(field, 'expected a UUID');
}

export async function startRun(pool: pg.Pool, input: StartRunInput): Promise<RunView> {
  uuid('botId', input.botId, true);
  uuid('userId', input.userId, false);
  uuid('runId', input.runId, false);
  if (!(MODES as readonly string[]).includes(input.mode)) throw new RunInputError('mode', 'expected live, paper or shadow');
  const jobKind = input.jobKind ?? 'run';
  if (!/^[a-z][a-z0-9_.-]{0,63}$/.test(jobKind)) throw new RunInputError('jobKind', 'expected a lowercase identifier (max 64)');
  if (input.botName !== undefined && !/^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,127}$/.test(input.botName))
    throw new RunInputError('botName', 'expected 1–128 letters, digits, space, _ . : -');
  if (input.traceId !== undefined && !isTraceId(input.traceId)) throw new RunInputError('traceId', 'expected 32 lowercase hex digits');
  if (isSecretShaped(jobKind)) throw new RunInputError('jobKind', 'looks like a credential; refused');
  if (isSecretShaped(input.botName)) throw new RunInputError('botName', 'looks like a credential; refused');
  const runId = input.runId ?? randomUUID();
  const traceId = input.traceId ?? newTraceId();
  try {
    // bot upsert and run insert in one statement: a run never exists without its bot row
    await pool.query(
      `with bot as (
         insert into bots as b (id, name) values ($1, $2)
         on conflict (id) do update set last_seen_at = now(), name = coalesce(excluded.name, b.name)
         returning id
       ), lost as (
         -- ended at its last sign of life, so this run (started now) comes after it
         update bot_runs set status = 'FAILED', terminal_state = 'FAILED', reason_code = '${HEARTBEAT_LOST}', ended_at = heartbeat_at
          where bot_id = $1 and status = 'RUNNING' and id <> $3
            and heartbeat_at < now() - make_interval(secs => $8::float8 / 1000)
       ), run as (
         insert into bot_runs (id, bot_id, user_id, mode, job_kind, status, trace_id)
         select $3, id, $4, $5, $6, 'RUNNING', $7 from bot
         on conflict (id) do nothing
         returning id
       )
       select id from run`,
      [input.botId, input.botName ?? null, runId, input.userId ?? null, input.mode, jobKind, traceId, input.abandonSilentAfterMs ?? 30_000],
    );
  } catch (err) {
    if ((err as { code?: string }).code === '23505' && (err as { constraint?: string }).constraint === 'bots_name_idx')
      throw new RunInputError('botName', 'already used by another bot id');
    throw err;
  }
  const run = await getRun(pool, runId);
  if (!run) throw new ObservatoryError('RUN_NOT_FOUND', 'run vanished right after it was started');
  if (run.bot_id !== input.botId) throw new RunInputError('runId', 'already used by a run of another bot');
  return run;
}

export async function getRun(pool: pg.Pool, runId: string): Promise<RunView | null> {
  uuid('runId', runId, true);
  const { rows } = await pool.query(`select ${RUN_COLUMNS} from bot_runs where id = $1`, [runId]);
  return rows[0] ? toRunView(rows[0]) : null;
}

/** Marks the run alive. False when the run is unknown or already ended (nothing changed). */
export async function heartbeatRun(pool: pg.Pool, runId: string): Promise<boolean> {
  uuid('runId', runId, true);
  const { rowCount } = await pool.query(
    `with r as (update bot_runs set heartbeat_at = now() where id = $1 and status = 'RUNNING' returning bot_id)
     update bots set last_seen_at = now() where id in (select bot_id from r)`,
    [runId],
  );
  // rowCount counts the bots update, which matches exactly when the run was RUNNING
  return (rowCount ?? 0) > 0;
}

/**
 * Ends a RUNNING run. Ending is once: finishing an already-ended run changes nothing and
 * returns the stored row (so a retried finish is harmless). Null when the run is unknown.
 */
export async function finishRun(pool: pg.Pool, runId: string, terminalState: TerminalState, reasonCode?: string | null): Promise<RunView | null> {
  uuid('runId', runId, true);
  if (!(TERMINAL_STATES as readonly string[]).includes(terminalState))
    throw new RunInputError('terminalState', 'expected SUCCEEDED, FAILED, BLOCKED or CANCELLED');
  if (reasonCode != null && !REASON_CODE_RE.test(reasonCode)) throw new RunInputError('reasonCode', 'expected an upper-case code (max 64)');
  if (isSecretShaped(reasonCode)) throw new RunInputError('reasonCode', 'looks like a credential; refused');
  if ((terminalState === 'BLOCKED' || terminalState === 'FAILED') && !reasonCode)
    throw new RunInputError('reasonCode', `required when the run ends ${terminalState}`);
  await pool.query(
    `update bot_runs
        set status = $2, terminal_state = $2, reason_code = $3, ended_at = now(), heartbeat_at = now()
      where id = $1 and status = 'RUNNING'`,
    [runId, terminalState, reasonCode ?? null],
  );
  const run = await getRun(pool, runId);
  // a retry of the same finish is fine; a different end for a run already ended is a conflict
  if (run && (run.terminal_state !== terminalState || (run.reason_code ?? null) !== (reasonCode ?? null))) throw new RunConflictError(run);
  return run;
}

/** The bot's latest run by start time, or null. */
/** A bot's newest run ($1 bot id); also a part of botProof's one statement (db/proof.ts). */
export const LAST_RUN_SQL = `select ${RUN_COLUMNS} from bot_runs where bot_id = $1 order by started_at desc, id desc limit 1`;

export async function lastRun(pool: pg.Pool, botId: string): Promise<RunView | null> {
  uuid('botId', botId, true);
  const { rows } = await pool.query(LAST_RUN_SQL, [botId]);
  return rows[0] ? toRunView(rows[0]) : null;
}

/**
 * The newest run that ended BLOCKED or FAILED with no run started since — it blocks the bot even
 * when an older, overlapping run is still going (ordering by start alone would hide it).
 */
export async function unresolvedBadRun(pool: pg.Pool, botId: string): Promise<RunView | null> {
  uuid('botId', botId, true);
  const { rows } = await pool.query(
    `select ${RUN_COLUMNS} from bot_runs r
      where r.bot_id = $1 and r.status in ('BLOCKED', 'FAILED')
        and not exists (select 1 from bot_runs s where s.bot_id = $1 and s.started_at > r.ended_at)
      order by r.ended_at desc, r.id desc limit 1`,
    [botId],
  );
  return rows[0] ? toRunView(rows[0]) : null;
}

/** RUNNING runs whose last heartbeat is older than staleMs (all bots, or one). */
export async function runningRunsWithStaleHeartbeat(pool: pg.Pool, opts: { botId?: string; staleMs: number }): Promise<RunView[]> {
  uuid('botId', opts.botId, false);
  const { rows } = await pool.query(
    `select ${RUN_COLUMNS} from bot_runs
      where status = 'RUNNING' and heartbeat_at < now() - make_interval(secs => $1::float8 / 1000)
        and ($2::uuid is null or bot_id = $2)
      order by heartbeat_at asc limit 1000`,
    [opts.staleMs, opts.botId ?? null],
  );
  return rows.map(toRunView);
}

export function toRunView(r: Record<string, unknown>): RunView {
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v == null ? null : String(v));
  return {
    id: r.id as string,
    bot_id: r.bot_id as string,
    user_id: (r.user_id as string | null) ?? null,
    mode: r.mode as Mode,
    job_kind: r.job_kind as string,
    status: r.status as RunStatus,
    started_at: iso(r.started_at) as string,
    heartbeat_at: iso(r.heartbeat_at) as string,
    heartbeat_age_s: Math.max(0, Math.round(Number(r.heartbeat_age_s) * 10) / 10),
    ended_at: iso(r.ended_at),
    terminal_state: (r.terminal_state as TerminalState | null) ?? null,
    reason_code: (r.reason_code as string | null) ?? null,
    trace_id: r.trace_id as string,
  };
}
