/**
 * deploy/: the systemd units pass `systemd-analyze verify` with no complaint at all (it exits 0
 * on unknown keys, so its output is checked, not only its code), and the Kubernetes manifests
 * parse and say what they promise: two daemons, liveness on /healthz that survives a store
 * outage, readiness that ignores the gate, a probe CronJob, a disruption budget — with the probe
 * paths checked against the real HTTP server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { parseAllDocuments } from 'yaml';
import { BIN, ROOT } from './helpers/cli.js';
import { adminUrl, freshDatabase } from './helpers/db.js';
import { withDatabase } from './helpers/urls.js';
import { startApi, type Api } from './helpers/api.js';

const SYSTEMD = join(ROOT, 'deploy', 'systemd');
const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
const INSTALLED_BIN = '/usr/local/bin/observatory';

describe.skipIf(!analyze)(`systemd units${analyze ? '' : ' — SKIPPED: systemd-analyze not installed'}`, () => {
  let tmp = '';
  beforeAll(() => void (tmp = mkdtempSync(join(tmpdir(), 'obs-systemd-'))));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const units = readdirSync(SYSTEMD).filter((f) => /\.(service|timer)$/.test(f));

  /** the units as shipped, with ExecStart pointed at this checkout's bin (verify checks the binary exists) */
  function stage(edit: (name: string, text: string) => string = (_n, t) => t): string[] {
    return units.map((u) => {
      const text = readFileSync(join(SYSTEMD, u), 'utf8');
      expect(text.includes(INSTALLED_BIN) || u.endsWith('.timer'), u).toBe(true);
      const path = join(tmp, u);
      writeFileSync(path, edit(u, text.replaceAll(INSTALLED_BIN, BIN)));
      return path;
    });
  }
  const verify = (paths: string[]) => execa(analyze!, ['verify', '--man=no', ...paths], { reject: false, env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } });

  it('verify: exit 0 and not one warning', async () => {
    expect(units.sort()).toEqual(['observatory-daemon.service', 'observatory-probe.service', 'observatory-probe.timer']);
    const r = await verify(stage());
    expect(r.exitCode, r.stderr).toBe(0);
    expect((r.stdout + r.stderr).trim()).toBe('');
  });

  it('the check reads the output: a misspelt key exits 0 but is reported', async () => {
    const r = await verify(stage((n, t) => (n.endsWith('.timer') ? t.replace('OnUnitActiveSec=', 'OnUnitActiveSecs=') : t)));
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/Unknown key 'OnUnitActiveSecs'/);
  });

  it('the timer starts the probe round; the round counts BLOCKED/DEGRADED verdicts as a run, UNKNOWN as a failure', () => {
    const timer = readFileSync(join(SYSTEMD, 'observatory-probe.timer'), 'utf8');
    expect(timer).toMatch(/^Unit=observatory-probe\.service$/m);
    const probe = readFileSync(join(SYSTEMD, 'observatory-probe.service'), 'utf8');
    expect(probe).toMatch(/^ExecStart=\/usr\/local\/bin\/observatory probe --all$/m);
    expect(probe).toMatch(/^SuccessExitStatus=1 2$/m);
    expect(probe).toMatch(/^Type=oneshot$/m);
    const daemon = readFileSync(join(SYSTEMD, 'observatory-daemon.service'), 'utf8');
    expect(daemon).toMatch(/^ExecStart=\/usr\/local\/bin\/observatory daemon$/m);
    expect(daemon).toMatch(/^RestartPreventExitStatus=64 78$/m);
  });
});

describe('Kubernetes manifests', () => {
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy', 'kubernetes', 'observatory.yaml'), 'utf8'));
  const objects = docs.map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as any;
  });
  const byKind = (kind: string) => objects.find((o) => o.kind === kind);
  const deployment = byKind('Deployment');
  const container = deployment.spec.template.spec.containers[0];
  let api: Api;
  let deadApi: Api;
  let dead: pg.Pool;

  beforeAll(async () => {
    api = await startApi(await freshDatabase());
    const missing = withDatabase(adminUrl(), `obs_t_missing_${randomBytes(4).toString('hex')}`);
    dead = new pg.Pool({ connectionString: missing, max: 1 });
    deadApi = await startApi({ pool: dead, url: missing });
  });
  afterAll(async () => {
    await api?.close();
    await deadApi?.close();
    await dead?.end();
  });

  it('a Deployment of two daemons, a Service, a PodDisruptionBudget and a probe CronJob', () => {
    expect(objects.map((o) => `${o.apiVersion} ${o.kind}`).sort()).toEqual([
      'apps/v1 Deployment',
      'batch/v1 CronJob',
      'policy/v1 PodDisruptionBudget',
      'v1 Service',
    ]);
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
    expect(container.args).toEqual(['daemon']);
    const pdb = byKind('PodDisruptionBudget');
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(pdb.spec.minAvailable).toBeGreaterThanOrEqual(1);
    expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    expect(byKind('Service').spec.selector).toEqual(deployment.spec.selector.matchLabels);
  });

  it('probes: liveness on /healthz stays 200 through a store outage; readiness is 200 while the gate is BLOCKED', async () => {
    const live = container.livenessProbe.httpGet;
    const ready = container.readinessProbe.httpGet;
    expect(live.path).toMatch(/^\/healthz/);
    expect(ready.path).toMatch(/^\/healthz/);
    const port = container.ports.find((p: { name: string }) => p.name === live.port).containerPort;
    expect(container.env.find((e: { name: string }) => e.name === 'OBSERVATORY_PORT').value).toBe(String(port));
    // a fresh store: nothing probed, so autonomy is BLOCKED — the pod must stay in service
    expect((await api.get('/api/system/autonomy')).body.global_status).toBe('BLOCKED');
    expect((await api.get(ready.path)).status).toBe(200);
    expect((await api.get(live.path)).status).toBe(200);
    // a store that cannot be read: not ready (the Service stops routing), still alive (no restart loop)
    expect((await deadApi.get(ready.path)).status).toBe(503);
    expect((await deadApi.get(live.path)).status).toBe(200);
  });

  it('secrets only by reference; a non-loopback bind has its token from the Secret', () => {
    const text = JSON.stringify(objects);
    expect(text).not.toMatch(/postgres:\/\/[^"]*@|OBSERVATORY_TOKEN"\s*,\s*"value"/);
    expect(container.env.find((e: { name: string }) => e.name === 'OBSERVATORY_BIND').value).toBe('0.0.0.0');
    expect(container.envFrom).toEqual([{ secretRef: { name: 'observatory-env' } }]);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
  });

  it('the CronJob runs one probe round a minute, never two at once; only UNKNOWN (3) fails the Job', async () => {
    const cron = byKind('CronJob');
    expect(cron.spec.schedule).toBe('* * * * *');
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const script = pod.containers[0].command.at(-1) as string;
    expect(script).toContain('observatory probe --all');
    // the wrapper's exit mapping, run for real
    for (const [code, want] of [
      [0, 0],
      [1, 0],
      [2, 0],
      [3, 3],
      [64, 64],
    ]) {
      const r = await execa('sh', ['-c', script.replace('observatory probe --all', `(exit ${code})`)], { reject: false });
      expect(r.exitCode, `probe exit ${code}`).toBe(want);
    }
  });
});
