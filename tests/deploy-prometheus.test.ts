/**
 * deploy/prometheus: the alert rules pass `promtool check rules`, their unit tests pass
 * `promtool test rules`, and every metric they read is one the daemon's /metrics exposes.
 * promtool comes with Debian's `prometheus` package (.ci/run installs it); where it is absent
 * the promtool cases are skipped under a name that says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './helpers/cli.js';
import { freshDatabase } from './helpers/db.js';
import { startApi, type Api } from './helpers/api.js';

const DIR = join(ROOT, 'deploy', 'prometheus');
const RULES = join(DIR, 'observatory-alerts.yml');
const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));
const rules = parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string; labels: Record<string, string> }> }> };
const all = rules.groups.flatMap((g) => g.rules);

describe.skipIf(!promtool)(`promtool${promtool ? '' : ' — SKIPPED: promtool not installed (apt-get install prometheus)'}`, () => {
  let tmp = '';
  beforeAll(() => void (tmp = mkdtempSync(join(tmpdir(), 'obs-prom-'))));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('check rules: every rule parses', async () => {
    const r = await execa(promtool!, ['check', 'rules', RULES], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`SUCCESS: ${all.length} rules found`);
  });

  it('test rules: each alert fires when it should and stays quiet otherwise', async () => {
    const r = await execa(promtool!, ['test', 'rules', 'observatory-alerts.test.yml'], { cwd: DIR, reject: false });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS/);
    expect(r.stdout).not.toMatch(/FAILED/);
  });

  it('the checks can fail: a broken expression and a wrong expectation are reported', async () => {
    const broken = join(tmp, 'broken.yml');
    writeFileSync(broken, readFileSync(RULES, 'utf8').replace('max by (mode) (observatory_autonomy_status', 'max by (mode) (observatory_autonomy_status{'));
    const c = await execa(promtool!, ['check', 'rules', broken], { reject: false });
    expect(c.exitCode).not.toBe(0);
    writeFileSync(join(tmp, 'observatory-alerts.yml'), readFileSync(RULES, 'utf8').replace('severity: critical', 'severity: page'));
    writeFileSync(join(tmp, 't.yml'), readFileSync(join(DIR, 'observatory-alerts.test.yml'), 'utf8'));
    const t = await execa(promtool!, ['test', 'rules', 't.yml'], { cwd: tmp, reject: false });
    expect(t.exitCode).not.toBe(0);
    expect(t.stdout + t.stderr).toMatch(/FAILED/);
  });
});

describe('the rules', () => {
  it('cover the operator alerts: gate blocked per mode, integration blocked, heartbeat stale, no leader, ingest spooling', () => {
    const names = all.map((r) => r.alert);
    for (const a of [
      'ObservatoryGateBlocked',
      'ObservatoryIntegrationBlocked',
      'ObservatoryDaemonHeartbeatStale',
      'ObservatoryNoLeader',
      'ObservatoryIngestSpooling',
    ])
      expect(names).toContain(a);
    for (const r of all) expect(['critical', 'warning']).toContain(r.labels.severity);
  });

  describe('read only metrics the daemon exposes', () => {
    let api: Api;
    beforeAll(async () => {
      api = await startApi(await freshDatabase());
    });
    afterAll(async () => api?.close());

    it('every observatory_* name in an expression has a # HELP line in /metrics', async () => {
      const text = (await api.get('/metrics')).body as string;
      const used = new Set(all.flatMap((r) => r.expr.match(/observatory_[a-z_]+/g) ?? []));
      expect(used.size).toBeGreaterThan(5);
      for (const name of used) expect(text, name).toMatch(new RegExp(`^# HELP ${name} `, 'm'));
    });
  });
});
