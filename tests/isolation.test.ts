/**
 * `npm test` passes while `npm start` runs in another terminal and with OBSERVATORY_* exported:
 * this runs tests/isolation-daemon.test.ts in a child vitest with the default port (7311) held
 * by a listener and hostile OBSERVATORY_* / DATABASE_URL values in its environment, and checks
 * it passes and leaves no temporary directory behind.
 */
import { describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { readdirSync } from 'node:fs';
import { tempDir } from './helpers/tmp.js';
import { execa } from 'execa';
import { ROOT } from './helpers/cli.js';
import { adminUrl } from './helpers/db.js';

function hold(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const s = createServer();
    // already taken (a real `npm start`?): the condition holds either way
    s.once('error', () => resolve(null));
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

describe('test isolation under a busy default port and an exported OBSERVATORY_* environment', () => {
  it('a test file that starts a daemon passes and leaves no temporary directory', async () => {
    const server = await hold(7311);
    // the child's own temp dir (TMPDIR): the shared one has other processes' files coming and going
    const tmp = tempDir('obs-isolation-');
    try {
      const r = await execa('npx', ['vitest', 'run', 'tests/isolation-daemon.test.ts'], {
        cwd: ROOT,
        reject: false,
        timeout: 240_000,
        env: {
          TEST_DATABASE_URL: adminUrl(),
          OBSERVATORY_PORT: '7311',
          OBSERVATORY_HOME: '/nonexistent/observatory-home',
          OBSERVATORY_CONFIG: '/nonexistent/observatory.json',
          OBSERVATORY_TOKEN: 'shell-token-that-must-not-leak',
          DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
          POLYGON_API_KEY: 'shell-key',
          NO_COLOR: '1',
          TMPDIR: tmp,
        },
      });
      expect(r.exitCode, String(r.stdout).slice(-2000)).toBe(0);
      expect(String(r.stdout)).toMatch(/2 passed/);
    } finally {
      server?.close();
    }
    // vitest's own cache aside, nothing the tests made is left
    expect(readdirSync(tmp).filter((n) => !n.startsWith('vitest') && !n.startsWith('tsx'))).toEqual([]);
  });
});
