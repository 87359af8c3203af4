import { describe, expect, it } from 'vitest';
import { freshDatabase } from './helpers/db.js';
import { waitFor } from './helpers/wait.js';
import { spawnCli } from './helpers/cli.js';

describe('observatory daemon (DATABASE_URL)', () => {
  it('heartbeats on schedule, logs JSON to stderr only, and drains on the first SIGTERM', async () => {
    const db = await freshDatabase();
    const d = spawnCli(['daemon'], { DATABASE_URL: db.url, OBSERVATORY_HEARTBEAT_MS: '200', OBSERVATORY_PORT: '0' });
    let stderr = '';
    let stdout = '';
    d.stderr?.on('data', (x) => (stderr += x));
    d.stdout?.on('data', (x) => (stdout += x));
    await waitFor(() => stderr.includes('daemon started'), 30_000, 'start');
    await waitFor(
      async () => {
        const { rows } = await db.pool.query('select count(*)::int as n from daemon_heartbeats where heartbeat_at > started_at');
        return rows[0].n === 1;
      },
      5_000,
      'a scheduled heartbeat',
    );
    d.kill('SIGTERM');
    const r = await d;
    expect(r.exitCode).toBe(0);
    expect(stdout).toBe('');
    for (const line of stderr.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    const { rows } = await db.pool.query('select stopped_at, leader from daemon_heartbeats');
    expect(rows).toHaveLength(1);
    expect(rows[0].stopped_at).not.toBeNull();
    expect(rows[0].leader).toBe(false);
  });

  it('a second signal exits at once', async () => {
    const db = await freshDatabase();
    const d = spawnCli(['daemon'], { DATABASE_URL: db.url, OBSERVATORY_PORT: '0' });
    let stderr = '';
    d.stderr?.on('data', (x) => (stderr += x));
    await waitFor(() => stderr.includes('daemon started'), 30_000, 'start');
    d.kill('SIGINT');
    d.kill('SIGINT');
    const r = await d;
    expect([0, 130]).toContain(r.exitCode);
  });

  it('refuses a database whose schema is newer than the code (exit 76)', async () => {
    const db = await freshDatabase();
    await db.pool.query(`insert into observatory_migrations (version, name) values (999, '999_future')`);
    const r = await spawnCli(['daemon'], { DATABASE_URL: db.url });
    expect(r.exitCode).toBe(76);
    expect(String(r.stderr)).toMatch(/newer than this observatory build.*upgrade observatory/);
  });
});
