/**
 * `gate check` start-up against the floor (node + pg connect + one query), median of N runs,
 * without and with a config file: the first run of a file validates it (loading zod), later runs of
 * the same bytes skip that (src/core/config-trust.ts). Prints figures; not a test.
 *
 *   npm run build && BENCH_DATABASE_URL=postgres://… npx tsx bench/gate-startup.ts [--runs 15]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from '../tests/helpers/cli.js';

const url = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('set BENCH_DATABASE_URL (a migrated observatory database, or any: the gate then says UNKNOWN)\n');
  process.exit(64);
}
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;

const dir = mkdtempSync(join(tmpdir(), 'obs-gate-bench-'));
const floor = join(dir, 'floor.mjs');
writeFileSync(
  floor,
  `import pg from ${JSON.stringify(join(ROOT, 'node_modules', 'pg', 'lib', 'index.js'))};
const c = new pg.Client({ connectionString: process.env.DATABASE_URL }); await c.connect(); await c.query('select 1'); await c.end();\n`,
);
const config = join(dir, 'observatory.json');
writeFileSync(config, JSON.stringify({ integrations: { polygon: { interval_ms: 60000 } }, risk_limits: { max_contracts: 5 } }));

interface Case {
  cmd: string;
  args: string[];
  env: () => NodeJS.ProcessEnv;
  times: number[];
}

/** Runs every case once per round (interleaved, so machine drift hits all alike); medians. */
function medians(cases: Case[]): number[] {
  for (const c of cases) spawnSync(c.cmd, c.args, { env: c.env(), stdio: 'ignore' }); // warm the page cache
  for (let i = 0; i < RUNS; i++)
    for (const c of cases) {
      const env = c.env();
      const t = process.hrtime.bigint();
      spawnSync(c.cmd, c.args, { env, stdio: 'ignore' });
      c.times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  return cases.map((c) => [...c.times].sort((a, b) => a - b)[Math.floor(c.times.length / 2)]);
}

const env = { ...process.env, DATABASE_URL: url, NO_COLOR: '1', OBSERVATORY_HOME: join(dir, 'home') };
let fresh = 0;
const [f, g, gc, gcCold] = medians([
  { cmd: process.execPath, args: [floor], env: () => env, times: [] },
  { cmd: BIN, args: ['gate', 'check'], env: () => env, times: [] },
  // the same file again (deploy scripts, cron): an earlier run validated it (src/core/config-trust.ts)
  { cmd: BIN, args: ['gate', 'check'], env: () => ({ ...env, OBSERVATORY_CONFIG: config }), times: [] },
  // bytes no earlier run validated: a fresh home every run
  { cmd: BIN, args: ['gate', 'check'], env: () => ({ ...env, OBSERVATORY_CONFIG: config, OBSERVATORY_HOME: join(dir, `cold-${fresh++}`) }), times: [] },
]);
const fmt = (ms: number) => `${ms.toFixed(0).padStart(5)} ms`;
process.stdout.write(`node ${process.version}, ${RUNS} interleaved runs each, median\n`);
process.stdout.write(`floor (node + pg connect + select 1)   ${fmt(f)}\n`);
process.stdout.write(`gate check                             ${fmt(g)}  (${(g / f).toFixed(2)} × floor)\n`);
process.stdout.write(`gate check, config file seen before     ${fmt(gc)}  (${(gc / f).toFixed(2)} × floor; validated by an earlier run)\n`);
process.stdout.write(`gate check, config file first time     ${fmt(gcCold)}  (${(gcCold / f).toFixed(2)} × floor; validating it loads zod)\n`);
// the homes (one per cold run), the floor script and the config file: nothing left in the temp dir
rmSync(dir, { recursive: true, force: true });
