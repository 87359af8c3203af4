/**
 * The run itself as usage events (brief acceptance test 2, "runner job/run event(s)"): one
 * `run.start` when the run starts and one `run.finish` with its terminal state, under the
 * `runner` integration, written through the SDK like every other event — besides the bot_runs
 * row. The finish event's status follows the terminal state: SUCCEEDED → OK, BLOCKED →
 * BLOCKED, FAILED / CANCELLED → ERROR, with the run's reason code.
 */
import { RUN_EVENTS } from '../core/event-rules.js';
import type { EventRow, RunHandle, TerminalState, UsageRecorder } from '../sdk/index.js';

export { RUN_EVENTS };

export function recordRunStart(usage: UsageRecorder, run: RunHandle, meta: { mode: string; jobKind: string; iterations: number }): EventRow {
  return usage.record({
    bot_id: run.bot_id,
    run_id: run.id,
    integration: RUN_EVENTS.integration,
    operation: RUN_EVENTS.start,
    status: 'OK',
    trace_id: run.trace_id,
    metadata: { mode: meta.mode, job_kind: meta.jobKind, iterations_requested: meta.iterations },
  });
}

export function recordRunFinish(
  usage: UsageRecorder,
  run: RunHandle,
  end: { mode: string; state: TerminalState; reason: string | null; completed: number; requested: number; latencyMs: number },
): EventRow {
  const status = end.state === 'SUCCEEDED' ? 'OK' : end.state === 'BLOCKED' ? 'BLOCKED' : 'ERROR';
  return usage.record({
    bot_id: run.bot_id,
    run_id: run.id,
    integration: RUN_EVENTS.integration,
    operation: RUN_EVENTS.finish,
    status,
    latency_ms: Math.max(0, Math.round(end.latencyMs)),
    reason_code: status === 'OK' ? null : (end.reason ?? 'RUNNER_ERROR'),
    trace_id: run.trace_id,
    metadata: { mode: end.mode, terminal_state: end.state, iterations_completed: end.completed, iterations_requested: end.requested },
  });
}
