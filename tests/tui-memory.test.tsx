/**
 * The TUI's memory over many refreshes (issue 10, item 13). React's development build records a
 * performance.measure entry per component render and Node's perf timeline keeps every one: an
 * on-call screen grew ~35 MB a minute. Two guards, each failing on the old code:
 *  - the real `observatory tui` (built bin, in tmux) runs React's production build: a
 *    PerformanceObserver preloaded into it counts the measures it creates while refreshing
 *    every 250 ms — none;
 *  - with the development build (as here, NODE_ENV=test), the controller clears the perf
 *    timeline each refresh, so the retained entries stay bounded however long it runs.
 * The hour-long soak with RSS figures is bench/tui-soak.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { BIN, ROOT } from './helpers/cli.js';
import { seedWorld, waitFor } from './tui-fixtures.js';
import { preferProductionReact } from '../src/cli/tui.js';

let db: TestDb;
beforeAll(async () => {
  db = await freshDatabase();
  await seedWorld(db.pool);
});

describe('React build choice', () => {
  it('production unless the caller set NODE_ENV', () => {
    const env: NodeJS.ProcessEnv = {};
    preferProductionReact(env);
    expect(env.NODE_ENV).toBe('production');
    const dev: NodeJS.ProcessEnv = { NODE_ENV: 'development' };
    preferProductionReact(dev);
    expect(dev.NODE_ENV).toBe('development');
  });
});

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
describe.skipIf(!hasTmux)('the real TUI runs the production React build', () => {
  const SOCKET = `obs-tui-mem-${process.pid}`;
  let dir: string;
  afterAll(() => {
    try {
      execFileSync('tmux', ['-L', SOCKET, 'kill-server'], { stdio: 'ignore' });
    } catch {
      /* not started */
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the built TUI for ~16 refreshes at 250 ms; measures created (cleared or not) and still retained. */
  async function runTui(name: string, extraEnv: Record<string, string>): Promise<{ created: number; retained: number }> {
    const out = join(dir, `${name}.measures`);
    const preload = join(dir, `${name}.mjs`);
    writeFileSync(
      preload,
      `import { performance, PerformanceObserver } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
let n = 0;
new PerformanceObserver((list) => { n += list.getEntries().length; }).observe({ entryTypes: ['measure'] });
const done = () => writeFileSync(${JSON.stringify(out)}, n + ' ' + performance.getEntriesByType('measure').length);
setInterval(done, 250).unref();
`,
    );
    const sh = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
    const vars = Object.entries({
      DATABASE_URL: db.url,
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      LANG: 'C.UTF-8',
      NODE_OPTIONS: `--import=${preload}`,
      ...extraEnv,
    })
      .map(([k, v]) => `${k}=${sh(v)}`)
      .join(' ');
    const script = join(dir, `${name}.sh`);
    writeFileSync(script, `exec env -i TERM="$TERM" ${vars} ${sh(process.execPath)} ${sh(BIN)} tui --mode paper --interval 250\n`);
    execFileSync('tmux', ['-L', SOCKET, '-f', '/dev/null', 'new-session', '-d', '-s', name, '-x', '100', '-y', '30', `sh ${sh(script)}`]);
    try {
      // the first frame read from the store (the development build starts slowly)
      await waitFor(
        () => /updated \d+s ago/.test(execFileSync('tmux', ['-L', SOCKET, 'capture-pane', '-p', '-t', name], { encoding: 'utf8' })),
        40_000,
        'a frame with data',
      );
      await new Promise((r) => setTimeout(r, 4_000)); // ~16 refreshes
      const [created, retained] = readFileSync(out, 'utf8').split(' ').map(Number);
      return { created, retained };
    } finally {
      execFileSync('tmux', ['-L', SOCKET, 'kill-session', '-t', name]);
    }
  }

  it('creates no performance measures while refreshing every 250 ms', async () => {
    expect(existsSync(join(ROOT, 'dist', 'cli', 'tui.js')), 'run `npm run build` first').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'obs-tui-mem-'));
    const { created } = await runTui('prod', {});
    expect(created).toBe(0);
  }, 60_000);

  it('with the development build chosen explicitly, the perf timeline is cleared every refresh', async () => {
    const { created, retained } = await runTui('dev', { NODE_ENV: 'development' });
    expect(created, 'the development build marks renders').toBeGreaterThan(20);
    // about one refresh's worth is kept, not all ~16
    expect(retained).toBeLessThan(created / 4);
  }, 60_000);
});
