import { describe, expect, it } from 'vitest';
import { botRuleBlockers, evaluateGate, exitCodeFor, type GateInput } from '../src/core/autonomy.js';
import type { RunView } from '../src/core/db/runs.js';
import { applyProbe, effectiveState } from '../src/core/status.js';
import { getSpec, loadRegistry } from '../src/core/vendors/registry.js';
import type { Blocker, IntegrationState, Mode, ProbeOutcome, ProbeResult, Registry } from '../src/core/types.js';

const NOW = new Date('2025-01-06T14:00:00Z');
const GATE_TRACE = 'a'.repeat(32);
let n = 0;
const trace = () => (++n).toString(16).padStart(32, 'f');

const registry = loadRegistry({ integrations: {}, env: {} });

/**
 * What the broker probes proved by default (core/modes.ts): tradovate on its live host with a
 * live account (carries live), ironbeam on its demo host (carries paper).
 */
const EVIDENCE: Record<string, Pick<ProbeResult, 'environment' | 'accountLive'>> = {
  tradovate: { environment: 'live', accountLive: true },
  ironbeam: { environment: 'demo', accountLive: false },
};

/** A real state, built through the status rules from probe results. */
function probed(
  name: string,
  outcomes: ProbeOutcome[],
  reg: Registry = registry,
  latencyMs = 50,
  evidence: Pick<ProbeResult, 'environment' | 'accountLive' | 'customEndpoint'> = EVIDENCE[name] ?? {},
): IntegrationState {
  const spec = getSpec(reg, name)!;
  let s: IntegrationState | undefined;
  for (const outcome of outcomes) s = applyProbe(spec, s, { outcome, latencyMs, traceId: trace(), ...evidence }, { connected: true, now: NOW });
  return s!;
}
const ok = (name: string, reg?: Registry) => probed(name, ['OK'], reg);
const blocked = (name: string) => probed(name, ['UPSTREAM_5XX', 'UPSTREAM_5XX', 'UPSTREAM_5XX']);
const degraded = (name: string) => probed(name, ['OK', 'UPSTREAM_5XX']);
const missing = (name: string, env: NodeJS.ProcessEnv = {}) => effectiveState(getSpec(registry, name)!, undefined, { connected: false, now: NOW, env });

function allOk(reg: Registry = registry): Map<string, IntegrationState> {
  return new Map(reg.integrations.map((s) => [s.name, ok(s.name, reg)]));
}

function gate(mode: Mode, states: Map<string, IntegrationState>, extra: Partial<GateInput> = {}) {
  return evaluateGate({
    mode,
    registry,
    states,
    store: { reachable: true },
    daemon: { fresh: true, ageMs: 1_000 },
    liveTradingEnabled: true,
    traceId: GATE_TRACE,
    now: NOW,
    ...extra,
  });
}
const codes = (bs: Blocker[]) => bs.map((b) => `${b.code}${b.integration ? `@${b.integration}` : ''}`);

describe('evaluateGate', () => {
  it('everything probed OK ⇒ OK in every mode, exit 0', () => {
    for (const mode of ['live', 'paper', 'shadow'] as const) {
      const g = gate(mode, allOk());
      expect(g).toEqual({ mode, global_status: 'OK', blockers: [], warnings: [], evaluated_at: NOW.toISOString(), trace_id: GATE_TRACE });
      expect(exitCodeFor(g.global_status, true)).toBe(0);
    }
  });

  it('no states at all ⇒ BLOCKED NEVER_PROBED for required integrations (fail-closed), never OK', () => {
    const g = gate('paper', new Map());
    expect(g.global_status).toBe('BLOCKED');
    expect(codes(g.blockers)).toEqual(['NEVER_PROBED@postgres', 'NEVER_PROBED@risk_engine', 'REQUIREMENT_UNMET@databento', 'REQUIREMENT_UNMET@ironbeam']);
    expect(g.blockers[0].trace_id).toBe(GATE_TRACE);
    expect(g.blockers[0].fix).toContain('observatory daemon');
  });

  it('store unreachable ⇒ UNKNOWN with STATUS_UNAVAILABLE, exit 3', () => {
    const g = gate('paper', allOk(), { store: { reachable: false } });
    expect(g.global_status).toBe('UNKNOWN');
    expect(codes(g.blockers)).toEqual(['STATUS_UNAVAILABLE@postgres']);
    expect(g.blockers[0].fix).toContain('DATABASE_URL');
    expect(exitCodeFor(g.global_status)).toBe(3);
  });

  it('no fresh daemon heartbeat ⇒ BLOCKED DAEMON_STALE, exit 2', () => {
    const g = gate('shadow', allOk(), { daemon: { fresh: false, ageMs: 125_000 } });
    expect(g.global_status).toBe('BLOCKED');
    expect(codes(g.blockers)).toEqual(['DAEMON_STALE']);
    expect(g.blockers[0]).toMatchObject({ integration: null, trace_id: GATE_TRACE });
    expect(g.blockers[0].message).toContain('125 s');
    expect(g.blockers[0].fix).toContain('observatory daemon');
    expect(gate('shadow', allOk(), { daemon: { fresh: false, ageMs: null } }).blockers[0].message).toContain('no running daemon');
    // a clean stop says so, with how long ago, rather than "no daemon has written a heartbeat"
    expect(gate('shadow', allOk(), { daemon: { fresh: false, ageMs: null, stoppedAgeMs: 12_400 } }).blockers[0].message).toMatch(
      /^no daemon is running \(the last one stopped about 12 s ago\)/,
    );
    expect(exitCodeFor(g.global_status)).toBe(2);
  });

  it('live without LIVE_TRADING_ENABLED ⇒ LIVE_TRADING_DISABLED; paper and shadow do not care', () => {
    const g = gate('live', allOk(), { liveTradingEnabled: false });
    expect(codes(g.blockers)).toEqual(['LIVE_TRADING_DISABLED']);
    expect(g.blockers[0].fix).toBe("Set LIVE_TRADING_ENABLED=true in the daemon's environment once live trading is approved");
    expect(gate('paper', allOk(), { liveTradingEnabled: false }).global_status).toBe('OK');
    expect(gate('shadow', allOk(), { liveTradingEnabled: false }).global_status).toBe('OK');
  });

  it('a required integration BLOCKED ⇒ BLOCKED with its reason, fix and probe trace id', () => {
    const states = allOk();
    const risk = probed('risk_engine', ['CHECK_FAILED']);
    states.set('risk_engine', risk);
    const g = gate('paper', states);
    expect(g.global_status).toBe('BLOCKED');
    expect(g.blockers).toEqual([
      {
        code: 'CHECK_FAILED',
        message: expect.stringContaining('risk_engine is BLOCKED CHECK_FAILED'),
        fix: expect.stringContaining('risk_limits'),
        integration: 'risk_engine',
        trace_id: risk.lastTraceId,
      },
    ]);
    // shadow does not require the risk engine: there it is an optional warning
    const sh = gate('shadow', states);
    expect(sh.global_status).toBe('DEGRADED');
    expect(codes(sh.warnings)).toEqual(['OPTIONAL_NOT_OK@risk_engine']);
  });

  it('missing credentials on a required integration name only the missing env vars', () => {
    const reg = loadRegistry({ integrations: { openai: { required_for: ['paper'] } }, env: {} });
    const states = allOk(reg);
    states.set('openai', missing('openai'));
    const g = gate('paper', states, { registry: reg });
    expect(g.blockers).toEqual([
      expect.objectContaining({
        code: 'MISSING_CREDENTIALS',
        integration: 'openai',
        fix: "Set secret OPENAI_API_KEY in the daemon's environment",
        trace_id: GATE_TRACE,
      }),
    ]);
  });

  it('fault injected on a required integration shows FAULT_INJECTED with the probe trace id', () => {
    const spec = getSpec(registry, 'postgres')!;
    let s: IntegrationState | undefined = ok('postgres');
    for (let i = 0; i < 3; i++)
      s = applyProbe(spec, s, { outcome: 'UPSTREAM_5XX', httpStatus: 503, latencyMs: 3, traceId: trace(), injected: true }, { connected: true, now: NOW });
    const states = allOk();
    states.set('postgres', s!);
    const g = gate('shadow', states);
    expect(g.blockers).toEqual([
      expect.objectContaining({
        code: 'FAULT_INJECTED',
        integration: 'postgres',
        trace_id: s!.lastTraceId,
        fix: 'A drill is active: `observatory fault clear postgres`',
      }),
    ]);
  });

  it("a recovering integration (cause fixed, successes accumulating) shows the recovering fix, not the old cause's — through every rule", () => {
    const recovering = (name: string) => probed(name, ['UPSTREAM_5XX', 'UPSTREAM_5XX', 'UPSTREAM_5XX', 'OK']);
    const states = allOk();
    states.set('postgres', recovering('postgres')); // required: a blocker
    states.set('openai', recovering('openai')); // optional: a warning
    const g = gate('paper', states);
    expect(states.get('postgres')).toMatchObject({ status: 'BLOCKED', reasonCode: 'UPSTREAM_5XX', reasonMessage: 'recovering: 1 of 2 consecutive successes' });
    expect(codes(g.blockers)).toEqual(['UPSTREAM_5XX@postgres']);
    expect(codes(g.warnings)).toEqual(['OPTIONAL_NOT_OK@openai']);
    for (const b of [...g.blockers, ...g.warnings]) expect(b.fix).toMatch(/^Recovering: probes succeed again; OK after 2 consecutive successes/);
    // a group whose only usable members recover: the group blocker keeps the group's own fix
    states.set('databento', recovering('databento'));
    states.set('polygon', missing('polygon'));
    expect(gate('paper', states).blockers.find((b) => b.code === 'REQUIREMENT_UNMET')?.fix).toMatch(/^Make one of databento, polygon healthy/);
    // once the cause is back (a failure restarts the count), the fix is the cause's again
    const relapsed = probed('postgres', ['UPSTREAM_5XX', 'UPSTREAM_5XX', 'UPSTREAM_5XX', 'OK', 'UPSTREAM_5XX']);
    states.set('postgres', relapsed);
    expect(gate('paper', states).blockers[0].fix).toBe(getSpec(registry, 'postgres')!.fixes.UPSTREAM_5XX);
  });

  it('requirement groups: any one member OK/DEGRADED is enough; none ⇒ REQUIREMENT_UNMET naming all members', () => {
    const states = allOk();
    states.set('ironbeam', missing('ironbeam'));
    expect(gate('live', states).global_status).toBe('OK'); // tradovate carries the group; unconfigured ironbeam is not in use
    states.set('tradovate', blocked('tradovate'));
    const g = gate('live', states);
    // the group blocker points at the configured member and carries its probe's trace id
    expect(codes(g.blockers)).toEqual(['REQUIREMENT_UNMET@tradovate']);
    expect(g.blockers[0].message).toContain('ironbeam BLOCKED MISSING_CREDENTIALS');
    expect(g.blockers[0].message).toContain('tradovate BLOCKED UPSTREAM_5XX');
    // each member's fix for its own cause: ironbeam needs its key, tradovate is failing server-side (its key is set)
    expect(g.blockers[0].fix).toContain('IRONBEAM_API_KEY');
    expect(g.blockers[0].fix).not.toContain('TRADOVATE_CID');
    expect(g.blockers[0].fix).toContain(`tradovate (UPSTREAM_5XX): ${getSpec(registry, 'tradovate')!.fixes.UPSTREAM_5XX}`);
    expect(g.blockers[0].trace_id).toBe(states.get('tradovate')!.lastTraceId);
    // paper needs a broker too (on its demo host); shadow needs none
    expect(codes(gate('paper', states).blockers)).toEqual(['REQUIREMENT_UNMET@tradovate']);
    expect(gate('shadow', states).blockers).toEqual([]);
    // a group met by a DEGRADED member only ⇒ DEGRADED
    states.set('tradovate', degraded('tradovate'));
    const d = gate('live', states);
    expect(d.global_status).toBe('DEGRADED');
    expect(codes(d.warnings)).toEqual(['UPSTREAM_5XX@tradovate']);
  });

  it('live needs a broker proven on its live host with a live account: a demo-proven broker never satisfies live (BROKER_NOT_LIVE)', () => {
    const states = allOk();
    states.set('ironbeam', missing('ironbeam'));
    // tradovate healthy but probed on its demo host: fine for paper, never for live
    states.set('tradovate', probed('tradovate', ['OK'], registry, 50, { environment: 'demo', accountLive: true }));
    const g = gate('live', states);
    expect(g.global_status).toBe('BLOCKED');
    expect(codes(g.blockers)).toEqual(['BROKER_NOT_LIVE@tradovate']);
    expect(g.blockers[0].message).toContain('tradovate OK: its probe ran against the demo host');
    expect(g.blockers[0].fix).toMatch(/^Set TRADOVATE_ENV=live with the live account's credentials \(TRADOVATE_USERNAME, .*\).*observatory probe tradovate/);
    expect(g.blockers[0].trace_id).toBe(states.get('tradovate')!.lastTraceId);
    expect(gate('paper', states).global_status).toBe('OK');
    // live host, but the vendor says the account is not live (Tradovate hasLive / Ironbeam isLive false), or said nothing
    states.set('tradovate', probed('tradovate', ['OK'], registry, 50, { environment: 'live', accountLive: false }));
    expect(gate('live', states).blockers[0]).toMatchObject({ code: 'BROKER_NOT_LIVE', message: expect.stringContaining('no live account') });
    states.set('tradovate', probed('tradovate', ['OK'], registry, 50, { environment: 'live' }));
    expect(gate('live', states).blockers[0]).toMatchObject({ code: 'BROKER_NOT_LIVE', message: expect.stringContaining('did not confirm a live account') });
    // and a live-proven broker is no broker for paper: its orders would reach real money
    states.set('tradovate', probed('tradovate', ['OK'], registry, 50, { environment: 'live', accountLive: true }));
    expect(gate('live', states).global_status).toBe('OK');
    const p = gate('paper', states);
    expect(codes(p.blockers)).toEqual(['REQUIREMENT_UNMET@tradovate']);
    expect(p.blockers[0].message).toContain('paper orders go to the demo host only');
    expect(p.blockers[0].fix).toContain('Unset TRADOVATE_ENV (or set TRADOVATE_ENV=demo)');
    // one live-proven member is enough; a demo one beside it changes nothing
    states.set('ironbeam', probed('ironbeam', ['OK'], registry, 50, { environment: 'demo', accountLive: false }));
    expect(gate('live', states).global_status).toBe('OK');
    expect(gate('paper', states).global_status).toBe('OK');
  });

  it('live refuses an integration on a custom endpoint unless allow_custom_endpoints names it (CUSTOM_ENDPOINT)', () => {
    const states = allOk();
    states.set('polygon', probed('polygon', ['OK'], registry, 50, { customEndpoint: true }));
    const g = gate('live', states);
    expect(codes(g.blockers)).toEqual(['CUSTOM_ENDPOINT@polygon']);
    expect(g.blockers[0].fix).toContain('POLYGON_BASE_URL / integrations.polygon.base_url');
    expect(g.blockers[0].fix).toContain('"allow_custom_endpoints": ["polygon"]');
    // paper and shadow show it (views) but do not block on it
    expect(gate('paper', states).global_status).toBe('OK');
    expect(gate('shadow', states).global_status).toBe('OK');
    // allowed by name in the config file
    const allowed = loadRegistry({ integrations: {}, env: {}, allowCustomEndpoints: ['polygon'] });
    expect(gate('live', states, { registry: allowed }).global_status).toBe('OK');
    // an integration nobody configured is not in use, whatever its last row said
    states.set('polygon', { ...states.get('polygon')!, connected: false, status: 'BLOCKED', reasonCode: 'MISSING_CREDENTIALS' });
    expect(codes(gate('live', states).blockers)).not.toContain('CUSTOM_ENDPOINT@polygon');
  });

  it("a group blocker's fix follows each member's failing cause: a set key is never 'set the key' (503, stale, rejected)", () => {
    const states = allOk();
    const spec = (n: string) => getSpec(registry, n)!;
    // polygon's key is set but it answers 503; databento's key is set but its probe went stale
    states.set('polygon', blocked('polygon'));
    const old = probed('databento', ['OK']);
    states.set('databento', effectiveState(spec('databento'), old, { connected: true, now: new Date(NOW.getTime() + spec('databento').staleAfterMs + 1) }));
    let b = gate('paper', states).blockers.find((x) => x.code === 'REQUIREMENT_UNMET')!;
    expect(b.fix).not.toMatch(/POLYGON_API_KEY|DATABENTO_API_KEY/);
    expect(b.fix).toContain(`polygon (UPSTREAM_5XX): ${spec('polygon').fixes.UPSTREAM_5XX}`);
    expect(b.fix).toContain(`databento (PROBE_STALE): ${spec('databento').fixes.PROBE_STALE}`);
    // a rejected key: check it, not set it; a key that really is missing: set it (names only)
    states.set('polygon', probed('polygon', ['AUTH_REJECTED']));
    states.set('databento', missing('databento', {}));
    b = gate('paper', states).blockers.find((x) => x.code === 'REQUIREMENT_UNMET')!;
    expect(b.fix).toContain(`polygon (AUTH_REJECTED): ${spec('polygon').fixes.AUTH_REJECTED}`);
    expect(b.fix).toContain('databento (MISSING_CREDENTIALS): Set secret DATABENTO_API_KEY');
  });

  it('market data group is required in every mode', () => {
    const states = allOk();
    states.set('databento', blocked('databento'));
    states.set('polygon', missing('polygon'));
    for (const mode of ['live', 'paper', 'shadow'] as const) expect(codes(gate(mode, states).blockers)).toContain('REQUIREMENT_UNMET@databento');
  });

  it('a group whose members were all disabled still blocks its modes', () => {
    const reg = loadRegistry({ integrations: { ironbeam: { enabled: false }, tradovate: { enabled: false } }, env: {} });
    const g = gate('live', allOk(reg), { registry: reg });
    expect(codes(g.blockers)).toEqual(['REQUIREMENT_UNMET']);
    expect(g.blockers[0].trace_id).toBe(GATE_TRACE); // no member, so the evaluation's own trace
    expect(g.blockers[0].message).toContain('no member is enabled');
  });

  it('a required integration disabled in the config file blocks the modes that need it (REQUIREMENT_DISABLED), never OK', () => {
    for (const [name, modes] of [
      ['postgres', ['live', 'paper', 'shadow']],
      ['risk_engine', ['live', 'paper']],
    ] as const) {
      const reg = loadRegistry({ integrations: { [name]: { enabled: false } }, env: {} });
      expect(getSpec(reg, name)).toBeUndefined();
      for (const mode of ['live', 'paper', 'shadow'] as const) {
        const g = gate(mode, allOk(reg), { registry: reg });
        if ((modes as readonly string[]).includes(mode)) {
          expect(g.global_status).toBe('BLOCKED');
          expect(codes(g.blockers)).toEqual([`REQUIREMENT_DISABLED@${name}`]);
          expect(g.blockers[0].message).toBe(`${name} is disabled in the config file, but ${mode} requires it`);
          expect(g.blockers[0].fix).toContain(`integrations.${name}.enabled`);
          expect(g.blockers[0].trace_id).toBe(GATE_TRACE);
        } else expect(g.global_status).toBe('OK'); // shadow never needed risk_engine
      }
    }
    // dropping a mode from a built-in's required_for is the same drop
    const narrowed = loadRegistry({ integrations: { risk_engine: { required_for: ['live'] } }, env: {} });
    const paper = gate('paper', allOk(narrowed), { registry: narrowed });
    expect(codes(paper.blockers)).toEqual(['REQUIREMENT_DISABLED@risk_engine']);
    expect(paper.blockers[0].message).toContain('has paper removed from its required_for');
    // adding a requirement or disabling an optional one drops nothing
    expect(
      gate('paper', allOk(loadRegistry({ integrations: { openai: { enabled: false } }, env: {} })), {
        registry: loadRegistry({ integrations: { openai: { enabled: false } }, env: {} }),
      }).global_status,
    ).toBe('OK');
  });

  it('a required integration DEGRADED ⇒ DEGRADED: exit 0, or 1 with --strict', () => {
    const states = allOk();
    states.set('postgres', probed('postgres', ['OK', 'OK'], registry, 2_000)); // slow
    const g = gate('paper', states);
    expect(g.global_status).toBe('DEGRADED');
    expect(g.blockers).toEqual([]);
    expect(codes(g.warnings)).toEqual(['SLOW_RESPONSE@postgres']);
    expect(exitCodeFor(g.global_status, false)).toBe(0);
    expect(exitCodeFor(g.global_status, true)).toBe(1);
  });

  it('optional integrations: connected but not OK ⇒ DEGRADED (OPTIONAL_NOT_OK with the underlying fix); not configured ⇒ ignored', () => {
    const states = allOk();
    states.set('openai', probed('openai', ['AUTH_REJECTED']));
    const g = gate('paper', states);
    expect(g.global_status).toBe('DEGRADED');
    expect(g.warnings).toEqual([expect.objectContaining({ code: 'OPTIONAL_NOT_OK', integration: 'openai', fix: expect.stringContaining('OPENAI_API_KEY') })]);
    states.set('openai', missing('openai'));
    expect(gate('paper', states).global_status).toBe('OK');
    // a stale optional one is not OK either
    const stale = effectiveState(getSpec(registry, 'openai')!, ok('openai'), { connected: true, now: new Date(NOW.getTime() + 10 * 60_000) });
    states.set('openai', stale);
    expect(codes(gate('paper', states).warnings)).toEqual(['OPTIONAL_NOT_OK@openai']);
  });

  it('per-bot blockers are merged in', () => {
    const bot: Blocker = {
      code: 'BOT_HEARTBEAT_STALE',
      message: 'bot b1 run r1 heartbeat 300 s old',
      fix: 'Restart bot b1',
      integration: null,
      trace_id: 'b'.repeat(32),
    };
    const g = gate('paper', allOk(), { botBlockers: [bot] });
    expect(g.global_status).toBe('BLOCKED');
    expect(g.blockers).toEqual([bot]);
  });

  it('blocker order: gate-level first, then integrations, groups, bots', () => {
    const states = allOk();
    states.set('postgres', blocked('postgres'));
    states.set('databento', blocked('databento'));
    states.set('polygon', blocked('polygon'));
    const bot: Blocker = { code: 'BOT_RUN_FAILED', message: 'm', fix: 'f', integration: null, trace_id: null };
    const g = gate('live', states, { daemon: { fresh: false, ageMs: 99_000 }, liveTradingEnabled: false, botBlockers: [bot] });
    expect(codes(g.blockers)).toEqual([
      'DAEMON_STALE',
      'LIVE_TRADING_DISABLED',
      'UPSTREAM_5XX@postgres',
      expect.stringMatching(/^REQUIREMENT_UNMET/),
      'BOT_RUN_FAILED',
    ]);
  });

  it('accepts states as a plain object too', () => {
    const g = evaluateGate({
      mode: 'shadow',
      registry,
      states: Object.fromEntries(allOk()),
      store: { reachable: true },
      daemon: { fresh: true, ageMs: 0 },
      liveTradingEnabled: false,
      traceId: GATE_TRACE,
    });
    expect(g.global_status).toBe('OK');
  });
});

describe('exitCodeFor', () => {
  it('0 OK, 0/1 DEGRADED (strict), 2 BLOCKED, 3 UNKNOWN', () => {
    expect([exitCodeFor('OK'), exitCodeFor('OK', true)]).toEqual([0, 0]);
    expect([exitCodeFor('DEGRADED'), exitCodeFor('DEGRADED', true)]).toEqual([0, 1]);
    expect([exitCodeFor('BLOCKED'), exitCodeFor('BLOCKED', true)]).toEqual([2, 2]);
    expect([exitCodeFor('UNKNOWN'), exitCodeFor('UNKNOWN', true)]).toEqual([3, 3]);
  });
});

describe('botRuleBlockers (the per-bot rules over facts already read)', () => {
  const run = (over: Partial<RunView>): RunView =>
    ({
      id: 'r1',
      bot_id: 'b1',
      user_id: null,
      mode: 'paper',
      job_kind: 'run',
      status: 'RUNNING',
      started_at: '',
      heartbeat_at: '',
      heartbeat_age_s: 0,
      ended_at: null,
      terminal_state: null,
      reason_code: null,
      trace_id: 't'.repeat(32),
      ...over,
    }) as RunView;
  const attempt = { integration: 'ironbeam', reason_code: '', last_at: '2025-01-06T13:59:00.000Z', last_trace_id: 'a'.repeat(32) };

  it("an unknown bot is BOT_UNKNOWN and nothing else (no trace of its own: the view fills the evaluation's)", () => {
    expect(botRuleBlockers('b1', { known: false, badRun: run({ status: 'FAILED' }), staleRuns: [run({})], blockedAttempts: [attempt] }, 30_000)).toEqual([
      expect.objectContaining({ code: 'BOT_UNKNOWN', message: 'bot b1 has never started a run or written a usage event', integration: null, trace_id: null }),
    ]);
  });

  it('in order: the unresolved bad run, stale heartbeats, blocked attempts — each with its own trace', () => {
    const b = botRuleBlockers(
      'b1',
      {
        known: true,
        badRun: run({ id: 'r0', status: 'FAILED', reason_code: null, trace_id: 'f'.repeat(32) }),
        staleRuns: [run({ id: 'r2', heartbeat_age_s: 94.6 })],
        blockedAttempts: [attempt],
      },
      30_000,
    );
    expect(b.map((x) => [x.code, x.trace_id])).toEqual([
      ['BOT_RUN_FAILED', 'f'.repeat(32)],
      ['BOT_HEARTBEAT_STALE', 't'.repeat(32)],
      ['BOT_BLOCKED_ATTEMPT', 'a'.repeat(32)],
    ]);
    expect(b[0].message).toBe('paper run r0 ended FAILED, and no run has started since');
    expect(b[1].message).toBe('run r2 is RUNNING but its last heartbeat was 95 s ago (limit 30 s)');
    // an attempt without a reason code says so, and its fix still names the integration
    expect(b[2]).toMatchObject({
      integration: 'ironbeam',
      message: 'ironbeam attempt blocked (UNSPECIFIED) at 2025-01-06T13:59:00.000Z, within the last hour',
    });
    expect(b[2].fix).toMatch(/^Resolve the blocking condition for ironbeam/);
    expect(botRuleBlockers('b1', { known: true, badRun: null, staleRuns: [], blockedAttempts: [] }, 30_000)).toEqual([]);
  });
});
