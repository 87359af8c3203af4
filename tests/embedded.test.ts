/**
 * The embedded default: `observatory up` with no DATABASE_URL on an empty OBSERVATORY_HOME.
 * Runs as whoever runs the suite (root in CI: the server runs as the postgres user) and, when
 * root, once more as an unprivileged user.
 */
import { describe, expect, it } from 'vitest';
import { chownSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { tempDir } from './helpers/tmp.js';
import { join } from 'node:path';
import pg from 'pg';
import { cli, spawnCli } from './helpers/cli.js';
import { waitFor } from './helpers/wait.js';

function urlOf(home: string): { url: string; dataDir: string; port: number } {
  const state = JSON.parse(readFileSync(join(home, 'embedded.json'), 'utf8')) as { port: number; dataDir: string };
  const pw = readFileSync(join(home, 'pg-password'), 'utf8').trim();
  return { url: `postgres://observatory:${encodeURIComponent(pw)}@127.0.0.1:${state.port}/observatory`, dataDir: state.dataDir, port: state.port };
}

async function scenario(home: string, asUser?: { uid: number; gid: number }) {
  const vendorKey = `canary${Math.random().toString(36).slice(2)}${Date.now()}`;
  const env = { OBSERVATORY_HOME: home, OBSERVATORY_HEARTBEAT_MS: '1500', OBSERVATORY_STALE_AFTER_MS: '4500', POLYGON_API_KEY: vendorKey };
  const up = spawnCli(['up'], env, asUser ?? {});
  let stderr = '';
  up.stderr?.on('data', (d) => (stderr += d));
  try {
    await waitFor(() => stderr.includes('daemon started'), 60_000, 'daemon start');
    expect(statSync(join(home, 'pg-password')).mode & 0o777).toBe(0o600);
    const { url, dataDir, port } = urlOf(home);
    const password = readFileSync(join(home, 'pg-password'), 'utf8').trim();

    // migrated and heartbeating
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const v = await c.query('select max(version)::int as v from observatory_migrations');
      expect(v.rows[0].v).toBeGreaterThanOrEqual(1);
      const first = await c.query('select heartbeat_at from daemon_heartbeats where stopped_at is null');
      expect(first.rowCount).toBe(1);
      await waitFor(
        async () => {
          const again = await c.query('select heartbeat_at from daemon_heartbeats where stopped_at is null');
          return again.rows[0].heartbeat_at.getTime() > first.rows[0].heartbeat_at.getTime();
        },
        5_000,
        'a second heartbeat',
      );
    } finally {
      await c.end();
    }

    // a second observatory process reuses the running server
    const pidBefore = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0];
    // the server never inherits the vendor keys (a superuser could read its environment back)
    if (process.platform === 'linux') expect(readFileSync(`/proc/${pidBefore}/environ`, 'latin1')).not.toContain(vendorKey);
    const second = await cli(['migrate'], env, asUser ? { ...asUser } : {});
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toMatch(/schema up to date/);
    expect(second.stderr).not.toMatch(/embedded PostgreSQL started|initialising/);
    expect(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]).toBe(pidBefore);
    expect(urlOf(home).port).toBe(port);

    // SIGTERM stops the daemon and the server it started
    up.kill('SIGTERM');
    const res = await up;
    expect(res.exitCode).toBe(0);
    expect(stderr).toMatch(/daemon stopped/);
    expect(stderr).toMatch(/embedded PostgreSQL stopped/);
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);

    // the password never appears in any output
    const all = stderr + String(res.stdout) + second.stdout + second.stderr;
    expect(all).not.toContain(password);
    expect(all).not.toContain(encodeURIComponent(password));
    return dataDir;
  } finally {
    if (up.exitCode === null) up.kill('SIGKILL');
  }
}

describe('embedded Postgres default', () => {
  it('`observatory up` on an empty home starts, migrates, heartbeats, is reused, and stops on SIGTERM', async () => {
    const home = tempDir('obs-embedded-');
    const dataDir = await scenario(home);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.runIf(userInfo().uid === 0)('works as an unprivileged user too', async () => {
    const nobody = { uid: 65534, gid: 65534 };
    const home = tempDir('obs-embedded-user-');
    chownSync(home, nobody.uid, nobody.gid);
    const dataDir = await scenario(join(home, 'h'), nobody);
    expect(dataDir.startsWith(home)).toBe(true);
  });

  it('a read of the embedded store when it is not running says how to start it', async () => {
    const home = tempDir('obs-embedded-none-');
    const r = await cli(['daemon'], { OBSERVATORY_HOME: home });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/embedded status store is not running.*observatory up/);
  });
});
