/**
 * A daemon started by a test through the CLI helpers binds a free port and reads nothing from
 * the caller's shell. tests/isolation.test.ts runs this file again with the default port taken
 * and OBSERVATORY_* exported, as on a machine where `npm start` runs in another terminal.
 */
import { describe, expect, it } from 'vitest';
import { freshDatabase } from './helpers/db.js';
import { spawnCli } from './helpers/cli.js';
import { waitFor } from './helpers/wait.js';
import { ISOLATED_ENV } from './helpers/isolate-env.js';

describe('test isolation', () => {
  it('no OBSERVATORY_*, DATABASE_URL or vendor key from the shell reaches a test', () => {
    expect(Object.keys(process.env).filter((k) => ISOLATED_ENV.test(k))).toEqual([]);
  });

  it('a daemon spawned without a port binds a free one, never the default 7311', async () => {
    const db = await freshDatabase();
    const d = spawnCli(['daemon'], { DATABASE_URL: db.url, LOG_LEVEL: 'info' });
    let log = '';
    d.stderr?.on('data', (x) => (log += x));
    try {
      const port = await waitFor(
        () => {
          const m = /"port":(\d+),"msg":"HTTP API listening"/.exec(log);
          return m ? Number(m[1]) : undefined;
        },
        30_000,
        'HTTP API listening',
      );
      expect(port).toBeGreaterThan(0);
      expect(port).not.toBe(7311);
    } finally {
      d.kill('SIGTERM');
      await d;
    }
  });
});
