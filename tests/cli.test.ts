import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { BIN, baseEnv, cli } from './helpers/cli.js';
import { freshDatabase } from './helpers/db.js';
import { tempDir } from './helpers/tmp.js';

const pkg = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')));

function tmpFile(name: string, content: string): string {
  const dir = tempDir('obs-cli-');
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe('observatory CLI basics', () => {
  it('--help lists every command with a one-line purpose', async () => {
    const r = await cli(['--help']);
    expect(r.exitCode).toBe(0);
    for (const cmd of ['up', 'daemon', 'migrate']) expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b.*\\S`, 'm'));
    expect(r.stdout).toMatch(/Exit codes:/);
    expect(r.stderr).toBe('');
  });

  it('--version prints the package version', async () => {
    const r = await cli(['--version']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('an unknown command exits 64 with a one-line hint on stderr', async () => {
    const r = await cli(['frobnicate']);
    expect(r.exitCode).toBe(64);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/unknown command 'frobnicate'.*--help/);
  });

  it('an unknown flag exits 64 with a one-line hint on stderr', async () => {
    const r = await cli(['migrate', '--bogus']);
    expect(r.exitCode).toBe(64);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
  });

  it('help shown because no command ran is a usage error (64), never 0; -V under gate check is 3; asked-for help is 0', async () => {
    expect((await cli([])).exitCode).toBe(64);
    expect((await cli(['gate'])).exitCode).toBe(64);
    expect((await cli(['help', 'nosuch'])).exitCode).toBe(64);
    expect((await cli(['gate', 'check', '-V'])).exitCode).toBe(3);
    expect((await cli(['help'])).exitCode).toBe(0);
    expect((await cli(['gate', '--help'])).exitCode).toBe(0);
  });

  it('--max-age under 1 ms is refused (it would round to "no bound"), with the gate\'s exit code 3', async () => {
    const r = await cli(['gate', 'check', '--max-age', '0.4ms'], { DATABASE_URL: 'postgres://u@127.0.0.1:1/x' });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/--max-age: expected a positive duration of at least 1ms/);
  });

  it('gate check / probe --json answer UNKNOWN in their JSON shape even when no verdict could be attempted', async () => {
    const dead = { DATABASE_URL: 'postgres://u@127.0.0.1:1/x' };
    const badFlag = await cli(['gate', 'check', '--mode', 'bogus', '--json'], dead);
    expect(badFlag.exitCode).toBe(3);
    const a = JSON.parse(badFlag.stdout);
    expect(a).toMatchObject({ success: false, global_status: 'UNKNOWN', mode: 'live', warnings: [], daemon: null });
    expect(a.blockers).toEqual([expect.objectContaining({ code: 'GATE_INPUT_INVALID', trace_id: a.trace_id, fix: expect.any(String) })]);
    const p = tmpFile('bad.json', JSON.stringify({ daemon: { heartbeat_interval_ms: 'soon' } }));
    const badConfig = await cli(['-c', p, 'gate', 'check', '--mode', 'paper', '--json'], dead);
    expect(badConfig.exitCode).toBe(3);
    expect(JSON.parse(badConfig.stdout)).toMatchObject({ mode: 'paper', global_status: 'UNKNOWN', blockers: [{ code: 'GATE_INPUT_INVALID' }] });
    const probe = await cli(['probe', '--all', '--json'], dead);
    expect(probe.exitCode).toBe(3);
    expect(JSON.parse(probe.stdout)).toMatchObject({ probes: [], autonomy: { global_status: 'UNKNOWN', blockers: [{ code: 'STATUS_UNAVAILABLE' }] } });
  });

  it('a typo in a filter is a usage error naming the choices, not an empty answer', async () => {
    const r = await cli(['variables', '--group', 'nosuch'], { DATABASE_URL: 'postgres://u@127.0.0.1:1/x' });
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toMatch(/unknown group 'nosuch'.*market_data, order_execution, risk, ai/);
  });

  it("an error that teaches the URL form shows the documentation's example as written, not redacted", async () => {
    const r = await cli(['status'], { DATABASE_URL: '::not a url' });
    expect(r.exitCode).toBe(78);
    expect(r.stderr).toContain('expected postgres://user:password@host:port/database');
    expect(r.stderr).not.toContain('[REDACTED]');
  });

  it('a build that cannot load exits 3 for gate check and probe (never 1, read as DEGRADED by --strict), 1 otherwise', async () => {
    const dir = tempDir('obs-broken-');
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'dist'));
    copyFileSync(BIN, join(dir, 'bin', 'observatory'));
    mkdirSync(join(dir, 'dist', 'cli'));
    writeFileSync(join(dir, 'dist', 'cli', 'index.js'), 'export { NOPE } from "./missing.js";\n');
    const run = (args: string[]) => execa(process.execPath, [join(dir, 'bin', 'observatory'), ...args], { reject: false, env: baseEnv() });
    const g = await run(['gate', 'check', '--strict']);
    expect(g.exitCode).toBe(3);
    expect(g.stderr).toMatch(/cannot load .*rebuild with `npm run build`/);
    expect((await run(['probe', '--all'])).exitCode).toBe(3);
    expect((await run(['status'])).exitCode).toBe(1);
  });

  it('a secret pasted as a flag value is not echoed back by the usage error', async () => {
    const key = 'PolyKeyCanary0123456789XYZ';
    const r = await cli(['gate', 'check', '--mode', key], { POLYGON_API_KEY: key, DATABASE_URL: 'postgres://u@127.0.0.1:1/x' });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/--mode/);
    expect(r.stderr + r.stdout).not.toContain(key);
  });

  it('global options before the command keep the verdict exit code: `-c FILE gate check` with a bad config is 3, not 78', async () => {
    const p = tmpFile('bad.json', JSON.stringify({ daemon: { heartbeat_interval_ms: 'soon' } }));
    const r = await cli(['-c', p, 'gate', 'check']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/daemon\.heartbeat_interval_ms/);
    const plain = await cli(['-c', p, 'migrate']);
    expect(plain.exitCode).toBe(78);
  });

  it('a config file of the wrong shape exits 78 naming the field, without echoing the value', async () => {
    const canary = 'CANARY-cfg-8e1f2b7c';
    const p = tmpFile('bad.json', JSON.stringify({ daemon: { heartbeat_interval_ms: canary } }));
    const r = await cli(['--config', p, 'migrate'], { DATABASE_URL: 'postgres://u@127.0.0.1:1/x' });
    expect(r.exitCode).toBe(78);
    expect(r.stderr).toMatch(/daemon\.heartbeat_interval_ms/);
    expect(r.stderr).toMatch(/expected number/);
    expect(r.stderr + r.stdout).not.toContain(canary);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('unknown config keys, invalid JSON, a missing file and a bad env var each exit 78', async () => {
    const unknown = tmpFile('u.json', JSON.stringify({ colour: 'blue' }));
    let r = await cli(['--config', unknown, 'migrate']);
    expect(r.exitCode).toBe(78);
    expect(r.stderr).toMatch(/unknown key\(s\): colour/);

    const broken = tmpFile('b.json', '{"http": {"port": 1');
    r = await cli(['migrate'], { OBSERVATORY_CONFIG: broken });
    expect(r.exitCode).toBe(78);
    expect(r.stderr).toMatch(/not valid JSON/);

    r = await cli(['--config', '/nonexistent/observatory.json', 'migrate']);
    expect(r.exitCode).toBe(78);
    expect(r.stderr).toMatch(/cannot read config file .*ENOENT/);

    r = await cli(['migrate'], { OBSERVATORY_PORT: 'seventy' });
    expect(r.exitCode).toBe(78);
    expect(r.stderr).toMatch(/OBSERVATORY_PORT/);
    expect(r.stderr).not.toContain('seventy');

    r = await cli(['migrate'], { DATABASE_URL: 'mysql://root:hunter2pass@db/x' });
    expect(r.exitCode).toBe(78);
    expect(r.stderr).toMatch(/DATABASE_URL/);
    expect(r.stderr).not.toContain('hunter2pass');
  });

  it('a dead database gives a one-line error without the password from DATABASE_URL', async () => {
    const pw = 'CANARY-dbpw-3c9d1a7e';
    const r = await cli(['migrate'], { DATABASE_URL: `postgres://obs:${pw}@127.0.0.1:1/observatory` });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/cannot reach the status store at 127\.0\.0\.1:1\/observatory/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const all = r.stdout + r.stderr;
    for (const form of [pw, Buffer.from(pw).toString('base64'), encodeURIComponent(pw)]) expect(all).not.toContain(form);
  });

  it('a reader that closes the pipe early does not crash the gate: its verdict still is the exit code', async () => {
    const db = await freshDatabase();
    // `true` exits without reading: every write of the gate's report meets a closed pipe
    const r = await execa('bash', ['-c', '"$0" gate check --mode paper | true; exit ${PIPESTATUS[0]}', BIN], {
      env: baseEnv({ DATABASE_URL: db.url }),
      extendEnv: false,
      reject: false,
    });
    expect(r.exitCode).toBe(2); // BLOCKED: no daemon has ever run against this database
    expect(String(r.stderr)).not.toMatch(/EPIPE|Unhandled/);
  });
});
