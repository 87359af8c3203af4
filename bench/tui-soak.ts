/**
 * TUI memory soak: the built `observatory tui` in a real terminal (tmux, 100×30) against a scratch
 * database with bots, events and integration states, polling at the default 2 s (or --interval),
 * while a writer keeps events flowing (so every refresh has new data). Samples the TUI process's
 * RSS and prints the growth after a warm-up. Not a test: prints figures, asserts nothing.
 *
 *   npm run build && BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
 *     npx tsx bench/tui-soak.ts [--minutes 10] [--interval 2000] [--sample 30] [--warmup 60] [--bin path]
 *
 * --bin runs another build (e.g. a copy of bin/ + dist/, so rebuilding meanwhile does not matter).
 *
 * The goal (issue 10): RSS growth ≤ 20 MB over a one-hour soak (`--minutes 60`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate } from '../src/core/db/migrate.js';
import { insertEvents } from '../src/core/db/usage-events.js';
import { writeHeartbeat } from '../src/core/db/heartbeats.js';
import { validateBatch, type EventInput } from '../src/core/events-schema.js';
import { BIN, ROOT } from '../tests/helpers/cli.js';
import { writeState } from '../tests/tui-fixtures.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}
const MINUTES = Number(arg('minutes', '10'));
const INTERVAL = Number(arg('interval', '2000'));
const SAMPLE_S = Number(arg('sample', '30'));
const WARMUP_S = Number(arg('warmup', '60'));
const TUI_BIN = arg('bin', BIN);
const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
if (!adminUrl) {
  console.error('set BENCH_DATABASE_URL (a server where a scratch database may be created)');
  process.exit(64);
}
if (spawnSync('tmux', ['-V']).status !== 0) {
  console.error('tmux is needed (the TUI runs in a real terminal)');
  process.exit(69);
}
if (TUI_BIN === BIN && !existsSync(join(ROOT, 'dist', 'cli', 'tui.js'))) {
  console.error('run `npm run build` first');
  process.exit(69);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sh = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

/** VmRSS of a pid in MB, or null when it is gone. */
function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

async function seed(pool: pg.Pool, bots: string[]): Promise<void> {
  for (const name of ['polygon', 'databento', 'openai', 'ironbeam', 'tradovate', 'postgres', 'risk_engine'])
    await writeState(pool, name, { status: 'OK', latencyMs: 5 });
  await writeEvents(pool, bots, 2_000);
}

async function writeEvents(pool: pg.Pool, bots: string[], n: number): Promise<void> {
  const ops: Array<[string, string]> = [
    ['polygon', 'marketdata.bars'],
    ['openai', 'llm.chat'],
    ['ironbeam', 'broker.place_order'],
    ['risk_engine', 'risk.check'],
  ];
  const input: EventInput[] = Array.from({ length: n }, (_, i) => ({
    bot_id: bots[i % bots.length],
    integration: ops[i % ops.length][0],
    operation: ops[i % ops.length][1],
    status: i % 40 === 0 ? 'BLOCKED' : 'OK',
    reason_code: i % 40 === 0 ? 'MISSING_CREDENTIALS' : null,
    records: 10,
    metadata: { feature_keys_used: ['md.close'] },
  }));
  const v = validateBatch(input);
  if (!v.ok) throw new Error('generated events do not validate');
  await insertEvents(pool, v.rows);
}

async function main(): Promise<void> {
  const dbName = `obs_soak_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const u = new URL(adminUrl!);
  u.pathname = `/${dbName}`;
  const url = u.toString();
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'obs-tui-soak-'));
  const socket = `obs-soak-${process.pid}`;
  const tmux = (...a: string[]) => execFileSync('tmux', ['-L', socket, ...a], { encoding: 'utf8' });
  let started = false;
  try {
    await migrate(pool);
    const bots = Array.from({ length: 50 }, () => randomUUID());
    await seed(pool, bots);
    const pidFile = join(dir, 'pid');
    const vars = Object.entries({ DATABASE_URL: url, PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8' })
      .map(([k, v]) => `${k}=${sh(v)}`)
      .join(' ');
    // exec keeps the pid: the pid file names the TUI's node process itself
    const script = join(dir, 'run.sh');
    writeFileSync(
      script,
      `echo $$ > ${sh(pidFile)}\nexec env -i TERM="$TERM" ${vars} ${sh(process.execPath)} ${sh(TUI_BIN)} tui --mode paper --interval ${INTERVAL}\n`,
    );
    tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'soak', '-x', '100', '-y', '30', `sh ${sh(script)}`);
    started = true;
    for (let i = 0; i < 100 && !existsSync(pidFile); i++) await sleep(50);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    console.log(`TUI pid ${pid}, poll ${INTERVAL} ms, ${MINUTES} min after a ${WARMUP_S} s warm-up, node ${process.version}`);

    const end = Date.now() + (WARMUP_S + MINUTES * 60) * 1000;
    const t0 = Date.now();
    let base: number | null = null;
    let last = 0;
    let peak = 0;
    let nextSample = Date.now();
    while (Date.now() < end) {
      // keep data moving: new events and a daemon heartbeat every second
      await writeEvents(pool, bots, 200);
      await writeHeartbeat(pool, {
        daemonId: 'soak',
        version: 'soak',
        hostname: 'soak',
        pid: process.pid,
        startedAt: new Date(t0),
        leader: true,
        liveTradingEnabled: false,
      });
      if (Date.now() >= nextSample) {
        const r = rssMb(pid);
        if (r === null) throw new Error('the TUI exited:\n' + tmux('capture-pane', '-p', '-t', 'soak'));
        const s = (Date.now() - t0) / 1000;
        if (base === null && s >= WARMUP_S) base = r;
        last = r;
        peak = Math.max(peak, r);
        console.log(
          `t=${s.toFixed(0).padStart(5)} s  rss ${r.toFixed(1).padStart(7)} MB${base !== null ? `  (+${(r - base).toFixed(1)} MB since warm-up)` : '  (warm-up)'}`,
        );
        nextSample += SAMPLE_S * 1000;
      }
      await sleep(1000);
    }
    if (base !== null) {
      const growth = last - base;
      console.log(
        `RSS after warm-up ${base.toFixed(1)} MB → ${last.toFixed(1)} MB over ${MINUTES} min: growth ${growth.toFixed(1)} MB (${(growth / MINUTES).toFixed(2)} MB/min), peak ${peak.toFixed(1)} MB`,
      );
    }
  } finally {
    if (started)
      try {
        tmux('kill-server');
      } catch {
        /* gone */
      }
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
