/**
 * Every verdict command answers within its deadline (default 10 s, --timeout) even when the
 * status store goes silent after login: a TCP relay freezes the path after each protocol step
 * (after startup, after the first and second query, mid-result). The answer is UNKNOWN with
 * STATUS_UNAVAILABLE, exit 3, the JSON on stdout. No timing thresholds: the commands must end on
 * their own (the runner's own 60 s kill would read as a failure), with the right verdict.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { Relay, type FreezePoint } from './helpers/relay.js';
import { cli } from './helpers/cli.js';

let db: TestDb;
let home: string;
const relays: Relay[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  home = mkdtempSync(join(tmpdir(), 'obs-deadline-'));
});
afterAll(async () => {
  for (const r of relays) await r.stop();
  rmSync(home, { recursive: true, force: true });
});

async function relayTo(freeze?: FreezePoint): Promise<string> {
  const u = new URL(db.url);
  const r = new Relay({ host: u.hostname, port: Number(u.port || 5432) }, { freeze });
  await r.start();
  relays.push(r);
  return r.url(db.url);
}
const envFor = (url: string) => ({ DATABASE_URL: url, OBSERVATORY_HOME: home });
const codes = (blockers: Array<{ code: string }>) => blockers.map((b) => b.code);

describe('the relay', () => {
  it('unfrozen it carries the session: gate check reaches a real verdict (BLOCKED: no daemon, nothing probed)', async () => {
    const r = await cli(['gate', 'check', '--mode', 'paper', '--json', '--timeout', '20s'], envFor(await relayTo()));
    expect(r.exitCode).toBe(2);
    expect(codes(JSON.parse(r.stdout).blockers)).toContain('DAEMON_STALE');
  });
});

describe('a store that goes silent mid-session', () => {
  it('gate check with the default deadline (10 s) answers UNKNOWN STATUS_UNAVAILABLE, exit 3, when the path freezes after login', async () => {
    const r = await cli(['gate', 'check', '--mode', 'paper', '--json'], envFor(await relayTo('after-startup')));
    expect(r.exitCode).toBe(3);
    const v = JSON.parse(r.stdout);
    expect(v).toMatchObject({ success: false, global_status: 'UNKNOWN', blockers: [{ code: 'STATUS_UNAVAILABLE', integration: 'postgres' }] });
  });

  for (const point of ['after-startup', 'after-query-1', 'after-query-2', 'mid-result'] as const) {
    it(`frozen ${point}: gate check, probe and status --json each answer UNKNOWN / STATUS_UNAVAILABLE within --timeout, exit 3`, async () => {
      const env = envFor(await relayTo(point));
      const [gate, probe, status, human] = await Promise.all([
        cli(['gate', 'check', '--mode', 'paper', '--json', '--timeout', '3s'], env),
        cli(['probe', 'postgres', '--mode', 'paper', '--json', '--timeout', '3s'], env),
        cli(['status', '--json', '--timeout', '3s'], env),
        cli(['gate', 'check', '--mode', 'paper', '--timeout', '3s'], env),
      ]);
      expect(gate.exitCode, gate.stderr).toBe(3);
      expect(JSON.parse(gate.stdout)).toMatchObject({ global_status: 'UNKNOWN', blockers: [{ code: 'STATUS_UNAVAILABLE' }] });
      expect(probe.exitCode, probe.stderr).toBe(3);
      expect(JSON.parse(probe.stdout)).toMatchObject({ probes: [], autonomy: { global_status: 'UNKNOWN', blockers: [{ code: 'STATUS_UNAVAILABLE' }] } });
      expect(status.exitCode, status.stderr).toBe(3);
      expect(JSON.parse(status.stdout)).toMatchObject({
        success: false,
        integrations: [],
        autonomy: { global_status: 'UNKNOWN', blockers: [{ code: 'STATUS_UNAVAILABLE' }] },
      });
      expect(human.exitCode).toBe(3);
      expect(human.stdout).toMatch(/^UNKNOWN autonomy \(paper\)/);
      expect(human.stdout).toMatch(/STATUS_UNAVAILABLE \[postgres\]: status store unreachable: /);
    });
  }

  it('--timeout is checked: a usage error is UNKNOWN too (exit 3), naming the flag', async () => {
    const r = await cli(['gate', 'check', '--timeout', 'soon'], envFor('postgres://u@127.0.0.1:1/x'));
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/--timeout: expected a duration/);
  });
});

describe('status --json with the store down', () => {
  it('prints the JSON answer (STATUS_UNAVAILABLE) on stdout, exit 3, as gate check --json does', async () => {
    const r = await cli(['status', '--json'], envFor('postgres://u@127.0.0.1:1/x'));
    expect(r.exitCode).toBe(3);
    const v = JSON.parse(r.stdout);
    expect(v).toMatchObject({
      success: false,
      mode: 'live',
      integrations: [],
      daemon: null,
      autonomy: { global_status: 'UNKNOWN', blockers: [{ code: 'STATUS_UNAVAILABLE', integration: 'postgres' }], warnings: [] },
    });
    expect(v.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(v.autonomy.blockers[0].message).toMatch(/^status store unreachable: cannot reach the status store at 127\.0\.0\.1:1\/x/);
    // the plain table stays a runtime failure on stderr (exit 1)
    const plain = await cli(['status'], envFor('postgres://u@127.0.0.1:1/x'));
    expect(plain.exitCode).toBe(1);
    expect(plain.stdout).toBe('');
  });
});
