/**
 * Failover drill: PostgreSQL with pg_auto_failover (a monitor and two nodes on loopback ports),
 * two Observatory daemons, an SDK writer and a loop of `gate check`, all on the host-list URL
 * postgres://…@primary,standby/obs?target_session_attrs=read-write. Then the primary is killed
 * (SIGKILL of its keeper and its postmaster: a host dying, not a polite switchover) and the
 * drill reports:
 *   - seconds until a daemon probes again (a new probe row on the new primary),
 *   - seconds until `gate check` gives a verdict again (an exit other than 3 UNKNOWN),
 *   - events the writer had acknowledged vs stored (lost, duplicated),
 *   - the exit codes `gate check` gave during the gap (0 must never appear while the store
 *     cannot be read).
 * Also a planned switchover (`pg_autoctl perform switchover`) for comparison.
 *
 *   npx tsx bench/failover.ts [--default-timeouts] [--writer-rate 50]
 *
 * Needs Debian's postgresql-15-auto-failover (pg_autoctl) and PostgreSQL 15 binaries; skips with
 * a message when they are absent. Run as root it runs the database as the `postgres` user
 * (pg_autoctl refuses root). Everything lives in one temporary directory, removed at the end.
 */
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chownSync } from 'node:fs';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PG_BIN = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'].find((d) => existsSync(join(d, 'pg_ctl')));
const AUTOCTL = ['/usr/bin/pg_autoctl', join(PG_BIN ?? '/nonexistent', 'pg_autoctl')].find((p) => existsSync(p));
const args = process.argv.slice(2);
const defaultTimeouts = args.includes('--default-timeouts');
const writerRate = Number(args[args.indexOf('--writer-rate') + 1] || 50) || 50;

if (!PG_BIN || !AUTOCTL) {
  console.log('failover drill skipped: pg_autoctl and PostgreSQL binaries not found (apt-get install postgresql-15-auto-failover)');
  process.exit(0);
}

const asRoot = userInfo().uid === 0;
const dir = mkdtempSync(join(tmpdir(), 'obs-failover-'));
if (asRoot) chownSync(dir, uidOf('postgres'), gidOf('postgres'));
const pgEnv = {
  PATH: `${PG_BIN}:/usr/bin:/bin`,
  // pg_autoctl keeps its state under XDG dirs: keep them in the drill's directory
  XDG_CONFIG_HOME: join(dir, 'xdg-config'),
  XDG_DATA_HOME: join(dir, 'xdg-data'),
  XDG_RUNTIME_DIR: join(dir, 'xdg-run'),
  HOME: dir,
};
const children: ResultPromise[] = [];
const t = () => performance.now();
const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${m}`);

function uidOf(user: string): number {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no ${user} user: install PostgreSQL from Debian packages`);
  return Number(line.split(':')[2]);
}
function gidOf(user: string): number {
  return Number(
    readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${user}:`))!
      .split(':')[3],
  );
}

function autoctl(argv: string[], opts: { background?: boolean; logFile?: string } = {}) {
  const cmd = asRoot ? 'runuser' : AUTOCTL!;
  const full = asRoot ? ['-u', 'postgres', '--', 'env', ...Object.entries(pgEnv).map(([k, v]) => `${k}=${v}`), AUTOCTL!, ...argv] : argv;
  if (opts.background) {
    const p = execa(cmd, full, { env: asRoot ? {} : pgEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'], reject: false, cleanup: true });
    if (opts.logFile) {
      p.stdout?.on('data', (d: Buffer) => writeFileSync(opts.logFile!, d, { flag: 'a' }));
      p.stderr?.on('data', (d: Buffer) => writeFileSync(opts.logFile!, d, { flag: 'a' }));
    }
    children.push(p);
    return p;
  }
  return execa(cmd, full, { env: asRoot ? {} : pgEnv, reject: false });
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000, query_timeout: 3_000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function nodeStates(monitorUrl: string): Promise<Array<{ port: number; reported: string; assigned: string }>> {
  return query<{ port: number; reported: string; assigned: string }>(
    monitorUrl,
    'select nodeport as port, reportedstate as reported, goalstate as assigned from pgautofailover.node order by nodeid',
  ).catch(() => []);
}

async function waitFor(what: string, ms: number, fn: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function main(): Promise<void> {
  const [pm, p1, p2] = [await freePort(), await freePort(), await freePort()];
  const monitorUrl = `postgres://autoctl_node@127.0.0.1:${pm}/pg_auto_failover?sslmode=disable`;
  const monitorAdmin = `postgres://postgres@127.0.0.1:${pm}/pg_auto_failover?sslmode=disable`;
  log(`monitor :${pm}, nodes :${p1} :${p2} in ${dir}`);
  autoctl(['create', 'monitor', '--pgdata', join(dir, 'monitor'), '--pgport', String(pm), '--hostname', '127.0.0.1', '--auth', 'trust', '--no-ssl', '--run'], {
    background: true,
    logFile: join(dir, 'monitor.log'),
  });
  await waitFor('the monitor', 60_000, async () => (await query(monitorUrl, 'select 1')).length === 1);
  if (!defaultTimeouts) {
    // tighter failure detection than the defaults (20 s unhealthy, 30 s demote timeout): stated in the report
    for (const s of [
      'pgautofailover.health_check_period = 1000',
      'pgautofailover.health_check_timeout = 1000',
      'pgautofailover.health_check_max_retries = 1',
      'pgautofailover.health_check_retry_delay = 500',
      'pgautofailover.node_considered_unhealthy_timeout = 3000',
      'pgautofailover.primary_demote_timeout = 5000',
    ])
      await query(monitorAdmin, `alter system set ${s}`);
    await query(monitorAdmin, 'select pg_reload_conf()');
  }
  const nodes: Record<number, ResultPromise> = {};
  for (const [i, port] of [p1, p2].entries()) {
    nodes[port] = autoctl(
      [
        'create',
        'postgres',
        '--pgdata',
        join(dir, `node${i + 1}`),
        '--pgport',
        String(port),
        '--hostname',
        '127.0.0.1',
        '--auth',
        'trust',
        '--no-ssl',
        '--dbname',
        'obs',
        '--monitor',
        monitorUrl,
        '--run',
      ],
      { background: true, logFile: join(dir, `node${i + 1}.log`) },
    );
    await sleep(3_000);
  }
  await waitFor('a primary and a secondary', 180_000, async () => {
    const s = await nodeStates(monitorUrl);
    // the standby's base backup waits for a checkpoint: ask for one instead of waiting minutes
    await query(`postgres://postgres@127.0.0.1:${p1}/obs`, 'checkpoint').catch(() => undefined);
    return s.some((n) => n.reported === 'primary') && s.some((n) => n.reported === 'secondary');
  });
  const dbUrl = `postgres://postgres@127.0.0.1:${p1},127.0.0.1:${p2}/obs?target_session_attrs=read-write`;
  log('formation ready');

  const obsEnv = (i: number) => ({
    ...process.env,
    DATABASE_URL: dbUrl,
    OBSERVATORY_HOME: join(dir, `home${i}`),
    OBSERVATORY_PORT: '0',
    OBSERVATORY_CONFIG: join(dir, 'config.json'),
    OBSERVATORY_LOG_LEVEL: 'warn',
  });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ integrations: { postgres: { interval_ms: 1000 } } }));
  if (asRoot) chownSync(join(dir, 'config.json'), 0, 0);
  const bin = join(ROOT, 'bin/observatory');
  const mig = await execa('node', [bin, 'migrate'], { env: obsEnv(0), reject: false });
  if (mig.exitCode !== 0) throw new Error(`migrate failed: ${mig.stderr}`);
  for (const i of [1, 2])
    children.push(execa('node', [bin, 'daemon'], { env: obsEnv(i), reject: false, stdio: ['ignore', 'ignore', 'pipe'], cleanup: true }) as ResultPromise);

  const writer = execa('node', ['--import', 'tsx', join(ROOT, 'bench/failover-writer.ts'), String(writerRate)], {
    env: { ...obsEnv(9), DATABASE_URL: dbUrl },
    reject: false,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(writer as ResultPromise);
  const acked = new Set<string>();
  let writerBot = '';
  writer.stdout!.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) {
      if (line.startsWith('bot ')) writerBot = line.slice(4).trim();
      else if (line.startsWith('ack ')) acked.add(line.slice(4).trim());
    }
  });

  const gateRuns: Array<{ start: number; end: number; exit: number }> = [];
  let gateLoop = true;
  const gateLoopDone = (async () => {
    while (gateLoop) {
      const start = t();
      const r = await execa('node', [bin, 'gate', 'check', '--mode', 'shadow', '--json'], { env: obsEnv(0), reject: false, timeout: 30_000 });
      gateRuns.push({ start, end: t(), exit: r.exitCode ?? -1 });
      await sleep(200);
    }
  })();

  await waitFor(
    'daemons probing',
    60_000,
    async () =>
      (await query<{ n: number }>(dbUrl.replace(`,127.0.0.1:${p2}`, ''), "select count(*)::int as n from integration_probes where integration = 'postgres'"))[0]
        .n > 2,
  );
  await sleep(5_000);
  const primaryPort = (await nodeStates(monitorUrl)).find((n) => n.reported === 'primary')!.port;
  const standbyPort = primaryPort === p1 ? p2 : p1;
  const newPrimaryUrl = `postgres://postgres@127.0.0.1:${standbyPort}/obs`;
  const pid = Number(readFileSync(join(dir, primaryPort === p1 ? 'node1' : 'node2', 'postmaster.pid'), 'utf8').split('\n')[0]);

  // a read that asks for a standby says so, with its data's age
  const standbyRead = await execa('node', [bin, 'status', '--json', '--mode', 'shadow'], {
    env: { ...obsEnv(0), DATABASE_URL: dbUrl.replace('target_session_attrs=read-write', 'target_session_attrs=prefer-standby') },
    reject: false,
  });
  const readFrom = (() => {
    try {
      return JSON.stringify((JSON.parse(standbyRead.stdout) as { read_from?: unknown }).read_from ?? null);
    } catch {
      return `unreadable (exit ${standbyRead.exitCode})`;
    }
  })();
  log(`killing the primary :${primaryPort} (keeper and postmaster ${pid})`);
  const t0 = t();
  const killedAt = new Date();
  const ackedBefore = acked.size;
  try {
    process.kill(-nodes[primaryPort].pid!, 'SIGKILL');
  } catch {
    /* already gone */
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }

  let promotedAt = 0;
  let probedAt = 0;
  await waitFor('a probe on the new primary', 240_000, async () => {
    if (!promotedAt) {
      const s = await nodeStates(monitorUrl);
      if (s.find((n) => n.port === standbyPort)?.reported === 'wait_primary' || s.find((n) => n.port === standbyPort)?.reported === 'primary') promotedAt = t();
    }
    const r = await query<{ n: number }>(newPrimaryUrl, 'select count(*)::int as n from integration_probes where probed_at > $1 and not pg_is_in_recovery()', [
      killedAt,
    ]);
    if (r[0].n > 0) probedAt = t();
    return probedAt > 0;
  });
  const ackedInGap = acked.size - ackedBefore;
  // let the gate loop see the store back for a while, then stop writing
  await sleep(8_000);
  gateLoop = false;
  await gateLoopDone;
  writer.stdin!.end('stop\n');
  await writer;

  const stored = await query<{ n: number; d: number; acked: number }>(
    newPrimaryUrl,
    'select count(*)::int as n, count(distinct id)::int as d, count(*) filter (where id = any($2::uuid[]))::int as acked from integration_usage_events where bot_id = $1',
    [writerBot, [...acked]],
  );
  const after = gateRuns.filter((r) => r.start >= t0);
  const firstUnknown = after.find((r) => r.exit === 3);
  const verdictAgain = after.find((r) => r.exit !== 3 && (!firstUnknown || r.start > firstUnknown.start));
  const gap = after.filter((r) => r.end <= (verdictAgain?.start ?? Infinity));
  const hist = (rs: typeof gateRuns) => Object.entries(rs.reduce<Record<number, number>>((a, r) => ({ ...a, [r.exit]: (a[r.exit] ?? 0) + 1 }), {}));

  console.log('\n=== failover drill (kill -9 of the primary) ===');
  console.log(`monitor timeouts: ${defaultTimeouts ? 'pg_auto_failover defaults' : 'tuned (health check 1 s, unhealthy after 3 s, demote timeout 5 s)'}`);
  console.log(`status read with prefer-standby      read_from ${readFrom}`);
  console.log(`standby promoted (monitor)          ${promotedAt ? ((promotedAt - t0) / 1000).toFixed(1) : '?'} s`);
  console.log(`a daemon probes again               ${((probedAt - t0) / 1000).toFixed(1)} s`);
  console.log(`gate check verdict again            ${verdictAgain ? ((verdictAgain.end - t0) / 1000).toFixed(1) : 'never'} s`);
  console.log(
    `gate check exit codes in the gap    ${
      hist(gap)
        .map(([k, v]) => `${k}×${v}`)
        .join(' ') || 'none'
    }`,
  );
  console.log(
    `gate check exit codes after kill    ${hist(after)
      .map(([k, v]) => `${k}×${v}`)
      .join(' ')}`,
  );
  console.log(
    `gate check runs after the kill      ${after.map((r) => `+${((r.start - t0) / 1000).toFixed(1)}s→${r.exit} (${((r.end - r.start) / 1000).toFixed(1)}s)`).join(', ')}`,
  );
  console.log(`events acknowledged by the writer   ${acked.size} (${ackedInGap} between the kill and the first probe on the new primary)`);
  console.log(`events stored                       ${stored[0].n} (distinct ${stored[0].d}); acknowledged and stored ${stored[0].acked}`);
  console.log(`lost ${acked.size - stored[0].acked}, duplicated ${stored[0].n - stored[0].d}`);
  const zeroInGap = gap.filter((r) => r.exit === 0).length;
  console.log(`exit 0 while the store could not be read: ${zeroInGap}`);
  if (acked.size - stored[0].acked !== 0 || stored[0].n !== stored[0].d) process.exitCode = 1;
}

async function cleanup(): Promise<void> {
  for (const c of children.reverse()) {
    try {
      if (c.pid) process.kill(-c.pid, 'SIGKILL');
    } catch {
      c.kill('SIGKILL');
    }
  }
  await sleep(500);
  // postmasters started by the keepers outlive them: stop what is left in the drill's directory
  for (const d of ['monitor', 'node1', 'node2']) {
    const f = join(dir, d, 'postmaster.pid');
    if (existsSync(f))
      try {
        process.kill(Number(readFileSync(f, 'utf8').split('\n')[0]), 'SIGKILL');
      } catch {
        /* gone */
      }
  }
  await sleep(300);
  if (process.env.OBS_DRILL_KEEP) console.error(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

main()
  .catch((err) => {
    console.error(`failover drill failed: ${(err as Error).message}`);
    for (const f of ['monitor.log', 'node1.log', 'node2.log'])
      if (existsSync(join(dir, f))) console.error(`--- ${f} (last lines)\n${readFileSync(join(dir, f), 'utf8').split('\n').slice(-12).join('\n')}`);
    process.exitCode = 1;
  })
  .finally(() => void cleanup());
