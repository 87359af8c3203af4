/**
 * `gate check`'s start-up path (bench/gate-startup.ts measures it): once a run has kept the
 * zone's offset table in the home cache, the next run reaches the same verdict and market
 * summary without creating an Intl.DateTimeFormat (the first one costs ~115 M instructions), and
 * without loading the modules only other views need or chalk when colour is off.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { tempDir } from './helpers/tmp.js';
import { cli } from './helpers/cli.js';

let db: TestDb;
const dir = tempDir('obs-gate-startup-');
// a preload that reports every Intl.DateTimeFormat made, and every module loaded, on stderr
const hooks = join(dir, 'hooks.mjs');
const preload = join(dir, 'preload.mjs');
writeFileSync(hooks, `export async function load(url, context, next) { process.stderr.write('LOADED ' + url + '\\n'); return next(url, context); }\n`);
writeFileSync(
  preload,
  `import { register } from 'node:module';
register(${JSON.stringify(new URL(`file://${hooks}`).href)});
const Real = Intl.DateTimeFormat;
Intl.DateTimeFormat = new Proxy(Real, { construct(t, a, n) { process.stderr.write('INTL_DATETIMEFORMAT ' + JSON.stringify(a) + '\\n'); return Reflect.construct(t, a, n); } });
`,
);

beforeAll(async () => {
  db = await freshDatabase();
});

describe('gate check start-up', () => {
  it('a warm home: the same verdict and market summary, no Intl.DateTimeFormat, none of the other views’ modules', async () => {
    const env = { DATABASE_URL: db.url, OBSERVATORY_HOME: join(dir, 'home'), NODE_OPTIONS: `--import=${preload}` };
    const cold = await cli(['gate', 'check', '--mode', 'paper'], env);
    const warm = await cli(['gate', 'check', '--mode', 'paper'], env);
    expect(cold.exitCode).toBe(2);
    expect(warm.exitCode).toBe(2);
    const market = (out: string) => out.split('\n').find((l) => l.startsWith('  market: '));
    expect(market(warm.stdout)).toMatch(/^ {2}market: equity_index (open|closed|break)/);
    expect(market(warm.stdout)!.replace(/in \S+( \S+)?$/, '')).toBe(market(cold.stdout)!.replace(/in \S+( \S+)?$/, ''));
    const blockers = (out: string) => out.split('\n').filter((l) => l.startsWith('  ✗ '));
    expect(blockers(warm.stdout)).toEqual(blockers(cold.stdout));

    expect(cold.stderr).toContain('INTL_DATETIMEFORMAT'); // the first run built the table
    expect(warm.stderr).not.toContain('INTL_DATETIMEFORMAT');
    const loaded = warm.stderr.split('\n').filter((l) => l.startsWith('LOADED '));
    expect(loaded.length).toBeGreaterThan(20);
    for (const m of ['/core/views.js', '/core/catalog.js', '/core/db/proof.js', '/core/db/ranking.js', '/core/db/embedded.js', '/chalk/'])
      expect(loaded.filter((l) => l.includes(m))).toEqual([]);
  });
});
