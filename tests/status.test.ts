import { describe, expect, it } from 'vitest';
import { applyProbe, effectiveState, fixForState, STATUS_RULES } from '../src/core/status.js';
import { getSpec, loadRegistry } from '../src/core/vendors/registry.js';
import type { IntegrationSpec, IntegrationState, ProbeOutcome, ProbeResult } from '../src/core/types.js';
import { REASON_CODES } from '../src/core/types.js';

const registry = loadRegistry({ integrations: {}, env: {} });
const databento = getSpec(registry, 'databento')!;
const risk = getSpec(registry, 'risk_engine')!;
const T0 = new Date('2025-01-06T14:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
let n = 0;
const trace = () => (++n).toString(16).padStart(32, '0');

const result = (outcome: ProbeOutcome, extra: Partial<ProbeResult> = {}): ProbeResult => ({ outcome, latencyMs: 100, traceId: trace(), ...extra });

/** Feeds results in order, one per 30 s, and returns every intermediate state. */
function run(spec: IntegrationSpec, results: ProbeResult[], start?: IntegrationState): IntegrationState[] {
  const out: IntegrationState[] = [];
  let s = start;
  results.forEach((r, i) => {
    s = applyProbe(spec, s, r, { connected: true, now: at(30 * (i + 1)) });
    out.push(s);
  });
  return out;
}
const statuses = (xs: IntegrationState[]) => xs.map((s) => `${s.status}${s.reasonCode ? `:${s.reasonCode}` : ''}`);
const tuned = (o: Partial<IntegrationSpec>): IntegrationSpec => ({ ...databento, ...o });

describe('applyProbe — the status table', () => {
  it('success ⇒ OK; a first-ever success is OK at once, with evidence fields set', () => {
    const r = result('OK', { latencyMs: 42 });
    const s = applyProbe(databento, undefined, r, { connected: true, now: T0 });
    expect(s).toEqual({
      integration: 'databento',
      connected: true,
      status: 'OK',
      reasonCode: null,
      reasonMessage: null,
      lastProbeAt: T0,
      lastOkAt: T0,
      latencyMs: 42,
      consecutiveFailures: 0,
      consecutiveSuccesses: 1,
      lastTraceId: r.traceId,
      injected: false,
      environment: null,
      accountLive: null,
      customEndpoint: false,
    });
  });

  it('a NEVER_PROBED or MISSING_CREDENTIALS row is not evidence: the first real success is OK at once', () => {
    const never = effectiveState(databento, undefined, { connected: true, now: T0 });
    expect(applyProbe(databento, never, result('OK'), { connected: true, now: T0 }).status).toBe('OK');
    const missing = run(databento, [result('MISSING_CREDENTIALS'), result('MISSING_CREDENTIALS')]);
    expect(statuses(missing)).toEqual(['BLOCKED:MISSING_CREDENTIALS', 'BLOCKED:MISSING_CREDENTIALS']);
    expect(statuses(run(databento, [result('OK')], missing[1]))).toEqual(['OK']);
  });

  it('timeout / network / 5xx: DEGRADED from failures_before_degraded, BLOCKED from failures_before_blocked', () => {
    for (const outcome of ['UPSTREAM_5XX', 'UPSTREAM_TIMEOUT', 'UPSTREAM_NETWORK', 'UPSTREAM_4XX', 'UPSTREAM_BAD_RESPONSE'] as const) {
      const xs = run(databento, [result('OK'), result(outcome), result(outcome), result(outcome), result(outcome)]);
      expect(statuses(xs)).toEqual(['OK', `DEGRADED:${outcome}`, `DEGRADED:${outcome}`, `BLOCKED:${outcome}`, `BLOCKED:${outcome}`]);
      expect(xs[3].consecutiveFailures).toBe(3);
      expect(xs[3].lastOkAt).toEqual(at(30));
    }
  });

  it('one blip does not flap: under failures_before_degraded the previous verdict holds', () => {
    const spec = tuned({ failuresBeforeDegraded: 2, failuresBeforeBlocked: 4 });
    const xs = run(spec, [
      result('OK'),
      result('UPSTREAM_TIMEOUT'),
      result('OK'),
      result('UPSTREAM_5XX'),
      result('UPSTREAM_5XX'),
      result('UPSTREAM_5XX'),
      result('UPSTREAM_5XX'),
    ]);
    expect(statuses(xs)).toEqual(['OK', 'OK', 'OK', 'OK', 'DEGRADED:UPSTREAM_5XX', 'DEGRADED:UPSTREAM_5XX', 'BLOCKED:UPSTREAM_5XX']);
    // the blip is still recorded: counters, trace and latency move on
    expect(xs[1].consecutiveFailures).toBe(1);
    expect(xs[1].lastTraceId).not.toBe(xs[0].lastTraceId);
  });

  it('a failure before any success is BLOCKED whatever the threshold: it never improves on NEVER_PROBED', () => {
    const spec = tuned({ failuresBeforeDegraded: 3, failuresBeforeBlocked: 5 });
    expect(statuses(run(spec, [result('UPSTREAM_5XX')]))).toEqual(['BLOCKED:UPSTREAM_5XX']);
    const never = effectiveState(spec, undefined, { connected: true, now: T0 });
    expect(statuses(run(spec, [result('UPSTREAM_TIMEOUT')], never))).toEqual(['BLOCKED:UPSTREAM_TIMEOUT']);
    // once it has succeeded, the hysteresis applies as before
    expect(statuses(run(spec, [result('OK'), result('UPSTREAM_5XX')]))).toEqual(['OK', 'OK']);
  });

  it('recovery needs successes_before_ok successes in a row; a failure restarts the count', () => {
    const fails = run(databento, [result('UPSTREAM_5XX'), result('UPSTREAM_5XX'), result('UPSTREAM_5XX')]);
    expect(fails[2].status).toBe('BLOCKED');
    const xs = run(databento, [result('OK'), result('UPSTREAM_5XX'), result('OK'), result('OK')], fails[2]);
    expect(statuses(xs)).toEqual(['BLOCKED:UPSTREAM_5XX', 'BLOCKED:UPSTREAM_5XX', 'BLOCKED:UPSTREAM_5XX', 'OK']);
    expect(xs[0].reasonMessage).toBe('recovering: 1 of 2 consecutive successes');
    expect(xs[0].lastOkAt).toEqual(at(30)); // the probe did succeed
    // what to do now is wait, not redo the fix for the old cause
    expect(fixForState(databento, xs[0])).toMatch(/^Recovering: probes succeed again; OK after 2 consecutive successes/);
    expect(fixForState(databento, xs[1])).toBe(fixForState(databento, fails[2]));
    const three = tuned({ successesBeforeOk: 3 });
    expect(statuses(run(three, [result('OK'), result('OK'), result('OK')], fails[2]))).toEqual(['BLOCKED:UPSTREAM_5XX', 'BLOCKED:UPSTREAM_5XX', 'OK']);
    const degraded = run(databento, [result('OK'), result('UPSTREAM_TIMEOUT')]);
    expect(statuses(run(databento, [result('OK'), result('OK')], degraded[1]))).toEqual(['DEGRADED:UPSTREAM_TIMEOUT', 'OK']);
  });

  it('401 and 403 ⇒ BLOCKED AUTH_REJECTED at once', () => {
    for (const httpStatus of [401, 403]) {
      const xs = run(databento, [result('OK'), result('AUTH_REJECTED', { httpStatus, message: `HTTP ${httpStatus} from hist.databento.com` })]);
      expect(statuses(xs)).toEqual(['OK', 'BLOCKED:AUTH_REJECTED']);
      expect(xs[1].reasonMessage).toBe(`HTTP ${httpStatus} from hist.databento.com`);
    }
  });

  it('429 before any success (never probed, no credentials, only failures so far) stays BLOCKED: a rate limit proves nothing about the key', () => {
    const never = effectiveState(databento, undefined, { connected: true, now: T0 });
    const xs = run(databento, [result('RATE_LIMITED', { httpStatus: 429 }), result('RATE_LIMITED', { httpStatus: 429 })], never);
    expect(statuses(xs)).toEqual(['BLOCKED:RATE_LIMITED', 'BLOCKED:RATE_LIMITED']);
    expect(xs[0].reasonMessage).toMatch(/no successful probe yet/);
    expect(statuses(run(databento, [result('RATE_LIMITED')]))).toEqual(['BLOCKED:RATE_LIMITED']);
    const missing = run(databento, [result('MISSING_CREDENTIALS')])[0];
    expect(statuses(run(databento, [result('RATE_LIMITED')], missing))).toEqual(['BLOCKED:RATE_LIMITED']);
    // a probe run without the credentials (connected false) proves nothing either, whatever came before
    const ok = run(databento, [result('OK')])[0];
    expect(applyProbe(databento, ok, result('RATE_LIMITED'), { connected: false, now: at(60) }).status).toBe('BLOCKED');
    // then real successes lift it as usual (the normal run of successes after a failure)
    expect(statuses(run(databento, [result('OK'), result('OK')], xs[1]))).toEqual(['BLOCKED:RATE_LIMITED', 'OK']);
  });

  it('429 ⇒ DEGRADED RATE_LIMITED, and never worse however long it lasts', () => {
    const xs = run(databento, [result('OK'), ...Array.from({ length: 6 }, () => result('RATE_LIMITED', { httpStatus: 429 }))]);
    expect(new Set(statuses(xs.slice(1)))).toEqual(new Set(['DEGRADED:RATE_LIMITED']));
    // never an improvement: vendors rate-limit before they check the key, so after BLOCKED
    // (an outage or a rejected key) a 429 keeps the verdict and its reason
    const blocked = run(databento, [result('UPSTREAM_5XX'), result('UPSTREAM_5XX'), result('UPSTREAM_5XX')])[2];
    expect(statuses(run(databento, [result('RATE_LIMITED')], blocked))).toEqual(['BLOCKED:UPSTREAM_5XX']);
    const rejected = run(databento, [result('AUTH_REJECTED', { httpStatus: 401 })])[0];
    expect(statuses(run(databento, [result('RATE_LIMITED'), result('RATE_LIMITED')], rejected))).toEqual(['BLOCKED:AUTH_REJECTED', 'BLOCKED:AUTH_REJECTED']);
    // under failures_before_degraded, a lone 429 leaves OK alone
    expect(statuses(run(tuned({ failuresBeforeDegraded: 2 }), [result('OK'), result('RATE_LIMITED')]))).toEqual(['OK', 'OK']);
  });

  it('MISSING_CREDENTIALS ⇒ BLOCKED at once', () => {
    const xs = run(databento, [result('OK'), result('MISSING_CREDENTIALS', { latencyMs: 0 })]);
    expect(statuses(xs)).toEqual(['OK', 'BLOCKED:MISSING_CREDENTIALS']);
    expect(xs[1].latencyMs).toBeNull(); // no request was made: no latency, not "0 ms"
  });

  it('success over degraded_latency_ms ⇒ DEGRADED SLOW_RESPONSE; fast again ⇒ OK', () => {
    const xs = run(databento, [result('OK'), result('OK', { latencyMs: 1_501 }), result('OK', { latencyMs: 1_500 })]);
    expect(statuses(xs)).toEqual(['OK', 'DEGRADED:SLOW_RESPONSE', 'OK']);
    expect(xs[1].reasonMessage).toBe('latency 1501 ms over 1500 ms');
    expect(xs[1].lastOkAt).toEqual(at(60));
    expect(statuses(run(databento, [result('OK', { latencyMs: 4_000 })]))).toEqual(['DEGRADED:SLOW_RESPONSE']);
  });

  it('a failed self-check (risk engine) ⇒ CHECK_FAILED, BLOCKED at once (its threshold is 1)', () => {
    expect(risk.failuresBeforeBlocked).toBe(1);
    const xs = run(risk, [result('OK'), result('CHECK_FAILED', { message: 'max_position_contracts must be > 0' })]);
    expect(statuses(xs)).toEqual(['OK', 'BLOCKED:CHECK_FAILED']);
    expect(xs[1].reasonMessage).toBe('max_position_contracts must be > 0');
  });

  it('fault injected ⇒ FAULT_INJECTED, with the status the injected outcome yields through the same thresholds', () => {
    const inj = (outcome: ProbeOutcome, extra: Partial<ProbeResult> = {}) =>
      result(outcome, { injected: true, httpStatus: 503, message: 'fault injected: HTTP 503', ...extra });
    const xs = run(databento, [result('OK'), inj('UPSTREAM_5XX'), inj('UPSTREAM_5XX'), inj('UPSTREAM_5XX')]);
    expect(statuses(xs)).toEqual(['OK', 'DEGRADED:FAULT_INJECTED', 'DEGRADED:FAULT_INJECTED', 'BLOCKED:FAULT_INJECTED']);
    expect(xs[3].injected).toBe(true);
    expect(xs[3].reasonMessage).toBe('fault injected: HTTP 503');
    // the trace id of the probe that produced the verdict
    expect(xs[3].lastTraceId).toMatch(/^[0-9a-f]{32}$/);
    expect(xs[3].lastTraceId).not.toBe(xs[2].lastTraceId);
    // cleared: recovery follows the normal rule
    expect(statuses(run(databento, [result('OK'), result('OK')], xs[3]))).toEqual(['BLOCKED:FAULT_INJECTED', 'OK']);
    expect(statuses(run(databento, [result('OK'), inj('OK', { latencyMs: 3_000 })]))).toEqual(['OK', 'DEGRADED:FAULT_INJECTED']);
    expect(statuses(run(databento, [inj('AUTH_REJECTED', { httpStatus: 401 })]))).toEqual(['BLOCKED:FAULT_INJECTED']);
    expect(statuses(run(databento, [result('OK'), inj('RATE_LIMITED')]))).toEqual(['OK', 'DEGRADED:FAULT_INJECTED']);
  });

  it('an injected success (a 2xx drill) is never OK and is no evidence: no last-OK time, no recovery progress', () => {
    const ok200 = () => result('OK', { injected: true, httpStatus: 200, latencyMs: 5, message: 'fault injected: HTTP 200' });
    const xs = run(databento, [ok200(), ok200()]);
    expect(statuses(xs)).toEqual(['BLOCKED:FAULT_INJECTED', 'BLOCKED:FAULT_INJECTED']);
    expect(xs[1]).toMatchObject({ lastOkAt: null, consecutiveSuccesses: 0 });
    const blocked = run(databento, [result('UPSTREAM_5XX'), result('UPSTREAM_5XX'), result('UPSTREAM_5XX')])[2];
    // after the drill, recovery still needs its real successes
    expect(statuses(run(databento, [ok200(), result('OK'), result('OK')], blocked))).toEqual(['BLOCKED:FAULT_INJECTED', 'BLOCKED:FAULT_INJECTED', 'OK']);
  });

  it('records what the prober saw: connected flag, latency, trace id, message', () => {
    const r = result('UPSTREAM_NETWORK', { latencyMs: 7, message: 'ECONNREFUSED 127.0.0.1:9' });
    const s = applyProbe(databento, undefined, r, { connected: false, now: T0 });
    expect(s).toMatchObject({ connected: false, latencyMs: 7, lastTraceId: r.traceId, reasonMessage: 'ECONNREFUSED 127.0.0.1:9', lastOkAt: null });
  });
});

describe('effectiveState — what readers show', () => {
  const fresh = applyProbe(databento, undefined, result('OK'), { connected: true, now: T0 });

  it('no state ⇒ BLOCKED NEVER_PROBED, never OK', () => {
    const s = effectiveState(databento, undefined, { connected: true, now: T0 });
    expect(s).toMatchObject({ status: 'BLOCKED', reasonCode: 'NEVER_PROBED', lastProbeAt: null, lastOkAt: null, lastTraceId: null });
    // a row without a probe time is not evidence either
    const forged = { ...fresh, lastProbeAt: null };
    expect(effectiveState(databento, forged, { connected: true, now: T0 }).reasonCode).toBe('NEVER_PROBED');
  });

  it('missing credentials override a better, older row; names only the missing vars', () => {
    const ib = getSpec(registry, 'ironbeam')!;
    const okRow = applyProbe(ib, undefined, result('OK'), { connected: true, now: T0 });
    // Ironbeam's auth needs the user name and the key (a password only for enterprise users)
    const env = { IRONBEAM_USERNAME: 'canary-user-value', IRONBEAM_PASSWORD: 'canary-pass-value', IRONBEAM_API_KEY: '' };
    const s = effectiveState(ib, okRow, { connected: false, now: at(1), env });
    expect(s).toMatchObject({ status: 'BLOCKED', reasonCode: 'MISSING_CREDENTIALS', connected: false, missingEnv: ['IRONBEAM_API_KEY'], lastOkAt: T0 });
    expect(s.reasonMessage).toBe('missing or empty: IRONBEAM_API_KEY');
    expect(JSON.stringify(s)).not.toContain('canary');
    expect(fixForState(ib, s)).toBe("Set secret IRONBEAM_API_KEY in the daemon's environment");
    const noRow = effectiveState(ib, undefined, { connected: false, now: T0 });
    expect(noRow.reasonCode).toBe('MISSING_CREDENTIALS');
    expect(fixForState(ib, noRow)).toBe("Set secret IRONBEAM_USERNAME, IRONBEAM_API_KEY in the daemon's environment");
  });

  it('last probe older than stale_after_ms ⇒ BLOCKED PROBE_STALE (at the bound still fresh)', () => {
    expect(databento.staleAfterMs).toBe(90_000);
    expect(effectiveState(databento, fresh, { connected: true, now: at(90) })).toEqual(fresh);
    const stale = effectiveState(databento, fresh, { connected: true, now: at(91) });
    expect(stale).toMatchObject({ status: 'BLOCKED', reasonCode: 'PROBE_STALE', lastOkAt: T0, lastTraceId: fresh.lastTraceId });
    expect(stale.reasonMessage).toBe('last probe 91 s ago, over the 90 s bound');
    expect(fixForState(databento, stale)).toContain('observatory daemon');
  });

  it('a probe stamped in the future (clocks disagree) ⇒ BLOCKED PROBE_STALE, never fresh for longer', () => {
    expect(effectiveState(databento, fresh, { connected: true, now: new Date(T0.getTime() - 4_000) })).toEqual(fresh);
    const future = effectiveState(databento, fresh, { connected: true, now: new Date(T0.getTime() - 3_600_000) });
    expect(future).toMatchObject({ status: 'BLOCKED', reasonCode: 'PROBE_STALE' });
    expect(future.reasonMessage).toBe("last probe is stamped 3600 s in the future: the prober's and the database's clocks disagree");
  });

  it('otherwise the stored state, unchanged', () => {
    const degraded = run(databento, [result('OK'), result('UPSTREAM_5XX')])[1];
    expect(effectiveState(databento, degraded, { connected: true, now: at(61) })).toEqual(degraded);
    expect(fixForState(databento, fresh)).toBeNull();
  });
});

describe('STATUS_RULES', () => {
  it('documents every status reason code, each one a known code', () => {
    const codes = STATUS_RULES.map((r) => r.reasonCode);
    for (const c of ['MISSING_CREDENTIALS', 'NEVER_PROBED', 'PROBE_STALE', 'AUTH_REJECTED', 'RATE_LIMITED', 'SLOW_RESPONSE', 'FAULT_INJECTED', null])
      expect(codes).toContain(c);
    for (const c of codes) if (c) expect(REASON_CODES).toContain(c);
  });
});
