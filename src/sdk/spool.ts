/**
 * The SDK's local spool: where usage events wait while the status store is unreachable.
 * JSON lines of validated rows, mode 0600 in a 0700 directory, bounded in bytes. Replay is
 * safe to repeat: event ids are writer-generated and the insert is ON CONFLICT DO NOTHING,
 * so a crash between "inserted" and "spool cleared" only causes a harmless second replay.
 *
 * File I/O is synchronous on purpose: it only runs while the store is down (rare), it keeps
 * appends whole and ordered without locks, and the process 'exit' hook can only do sync I/O.
 *
 * Files are named usage-<pid>-<n>.jsonl. A file left by a process that died (its pid is gone)
 * is an orphan: a live recorder in the same directory claims it (atomic rename) and replays it.
 * Rows the store refuses as data go to `<spool>.rejected`; lines a replay cannot read go to
 * `<spool>.unreadable` — set aside, never just dropped.
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { rowToJson, validateBatch, type EventRow } from '../core/events-schema.js';
import type { Logger } from '../core/log.js';
import { redactString } from '../core/redact.js';

export const DEFAULT_MAX_SPOOL_BYTES = 64 * 1024 * 1024;

let seq = 0;

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not supported on every platform: the file's own fsync is what matters most */
  }
}

/** $OBSERVATORY_HOME/spool/usage-<pid>-<n>.jsonl (home defaults to ~/.observatory). */
export function defaultSpoolPath(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.OBSERVATORY_HOME?.trim() || join(homedir(), '.observatory');
  return join(resolve(home), 'spool', `usage-${process.pid}-${++seq}.jsonl`);
}

const SPOOL_FILE = /^usage-(\d+)-\d+\.jsonl(?:\.claimed-(\d+)-\d+)?$/;

/**
 * Spool files this process is using: recorders' own spools and files claimed for replay. Any
 * other file with our pid was left by an earlier process that had the same pid (every
 * container's bot is pid 1) and is an orphan like any other.
 */
const held = new Set<string>();

export function releaseHeld(path: string): void {
  held.delete(resolve(path));
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return false; // ours are told apart by `held`
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else — alive
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export interface SpoolRead {
  rows: EventRow[];
  /** lines that did not parse or validate (a torn last line after a crash, tampering) */
  badLines: string[];
}

export class Spool {
  readonly path: string;
  readonly maxBytes: number;
  private size = 0;

  constructor(path: string, maxBytes = DEFAULT_MAX_SPOOL_BYTES) {
    this.path = resolve(path);
    this.maxBytes = maxBytes;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    // a spool left by an earlier run with this exact path is replayed like our own
    this.size = existsSync(this.path) ? statSync(this.path).size : 0;
    held.add(this.path);
  }

  /** The recorder is done with this spool (what is left in it is an orphan for the next one). */
  release(): void {
    held.delete(this.path);
  }

  get bytes(): number {
    return this.size;
  }

  get empty(): boolean {
    return this.size === 0;
  }

  /** Appends all rows, or none when they would push the file past maxBytes (unless force). */
  append(rows: readonly EventRow[], opts: { force?: boolean } = {}): boolean {
    if (rows.length === 0) return true;
    const text = rows.map((r) => JSON.stringify(rowToJson(r))).join('\n') + '\n';
    const len = Buffer.byteLength(text);
    if (!opts.force && this.size + len > this.maxBytes) return false;
    const fd = openSync(this.path, 'a+', 0o600);
    let written = len;
    let fresh: boolean;
    try {
      fchmodSync(fd, 0o600); // an existing file keeps its mode on open: tighten it
      // a crash mid-append leaves a torn last line: start on a fresh line, or the first new row
      // would be glued to it and lost with it
      const size = fstatSync(fd).size; // the file we opened, even if another writer took the path meanwhile
      fresh = size === 0;
      const last = Buffer.alloc(1);
      if (size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a) {
        writeSync(fd, '\n');
        written++;
      }
      writeSync(fd, text);
      // durable before the caller is told so (track() resolves on it): one fsync per append, and
      // an append carries every row queued at that moment (group fsync)
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (fresh) syncDir(dirname(this.path)); // a new file: its directory entry must survive too
    this.size += written;
    return true;
  }

  /**
   * Takes the spool's current content for replay: renamed atomically to a claimed name (held
   * by this process), so rows another writer appends meanwhile start a new file instead of
   * being truncated away unread. Undefined when there was nothing to take.
   */
  take(): string | undefined {
    const target = `${this.path}.claimed-${process.pid}-${++seq}`;
    try {
      renameSync(this.path, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // the rows are still there: an outage, not "empty"
      this.size = 0; // nothing there (another writer took it)
      return undefined;
    }
    this.size = 0;
    held.add(target);
    return target;
  }

  /**
   * Claims spool files in this directory left by dead processes; returns the claimed paths
   * (already renamed, so no other recorder replays them at the same time).
   */
  claimOrphans(): string[] {
    const dir = dirname(this.path);
    const own = basename(this.path);
    const claimed: string[] = [];
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return claimed;
    }
    // our own spool's earlier claims too (a custom path does not follow the usage-<pid>-<n> naming)
    const escaped = own.replace(/[.*+?^$()|[\]{}\\]/g, '\\$&');
    const ownClaim = new RegExp(`^${escaped}\\.claimed-(\\d+)-\\d+$`);
    for (const name of names) {
      if (name === own || held.has(join(dir, name))) continue;
      const m = SPOOL_FILE.exec(name);
      const mine = m ? undefined : ownClaim.exec(name);
      if (!m && !mine) continue;
      const owner = Number(m ? (m[2] ?? m[1]) : mine![1]);
      if (pidAlive(owner)) continue;
      const base = name.replace(/\.claimed-\d+-\d+$/, '');
      const target = join(dir, `${base}.claimed-${process.pid}-${++seq}`);
      try {
        renameSync(join(dir, name), target);
        held.add(target);
        claimed.push(target);
      } catch {
        /* another recorder claimed it first */
      }
    }
    return claimed;
  }
}

export function readSpoolFile(path: string): SpoolRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { rows: [], badLines: [] };
  }
  const rows: EventRow[] = [];
  const badLines: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      badLines.push(line);
      continue;
    }
    // re-validate: the file is outside the process and the rules (sanitizer) may have grown
    const v = validateBatch([obj]);
    if (v.ok) rows.push(v.rows[0]);
    else badLines.push(line);
  }
  return { rows, badLines };
}

/** Replaces a claimed file's content with these rows (after its unreadable lines were set aside). */
export function rewriteSpoolFile(path: string, rows: readonly EventRow[]): void {
  writeFileSync(path, rows.map((r) => JSON.stringify(rowToJson(r)) + '\n').join(''), { mode: 0o600 });
}

/** Keeps lines a replay could not use next to the spool (`<file>.unreadable`), never just drops them. */
export function keepUnreadable(spoolPath: string, lines: readonly string[]): string | undefined {
  if (!lines.length) return undefined;
  const path = `${spoolPath.replace(/\.claimed-\d+-\d+$/, '')}.unreadable`;
  // a line can fail re-validation because it holds a secret registered since: a file is a sink too
  appendFileSync(path, lines.map((l) => redactString(l)).join('\n') + '\n', { mode: 0o600 });
  return path;
}

export function removeFile(path: string): void {
  held.delete(resolve(path));
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/** Appends rows the store refused as data to the dead-letter file next to the spool; returns its path. */
export function appendRejected(spoolPath: string, rows: readonly EventRow[]): string {
  const letters = new Spool(`${spoolPath}.rejected`, Number.MAX_SAFE_INTEGER);
  try {
    letters.append(rows);
  } finally {
    letters.release();
  }
  return letters.path;
}

/** How often a replay also looks for spools left by dead processes. */
export const ORPHAN_SCAN_MS = 30_000;

/**
 * A recorder's backlog on disk: its own spool plus the files it claimed for replay (its own
 * spool taken by rename, and orphans). Replay takes the own spool first (renamed), so it is
 * replayed like an orphan: rows another writer appends meanwhile go to a new file and are
 * never truncated away unread.
 */
export class SpoolBacklog {
  private claimed: string[] = [];
  /** claimed files that were this recorder's own spool (the rest are orphans) */
  private readonly own = new Set<string>();
  private lastOrphanScan = 0;
  /**
   * rows a replay put in the store (or found there already: a batch whose commit was never
   * acknowledged), over the recorder's life — each row counted once, even across a replay
   * cut short by an outage and retried
   */
  replayed = 0;
  /** of those, rows from spools left by dead processes */
  replayedOrphans = 0;

  constructor(
    readonly spool: Spool,
    private readonly log: Logger,
  ) {}

  /** rows wait on disk: in the spool, or in files claimed and not yet replayed */
  get waiting(): boolean {
    return !this.spool.empty || this.claimed.length > 0;
  }

  /** an orphan scan is due (a replay would look for dead processes' spools) */
  get scanDue(): boolean {
    return Date.now() - this.lastOrphanScan > ORPHAN_SCAN_MS;
  }

  /**
   * Replays the spool and any orphan spools through `insert`, `chunk` rows at a time (insert
   * returns how many of them are now in the store). Throws on a store error (the caller
   * classifies); what was not replayed stays claimed for the next attempt — only that: the
   * claimed file is cut to the rows not yet stored, so a retry neither redoes nor recounts them.
   */
  async replay(insert: (rows: EventRow[]) => Promise<number>, chunk = Number.MAX_SAFE_INTEGER): Promise<void> {
    if (!this.spool.empty) {
      const taken = this.spool.take();
      if (taken) {
        this.claimed.unshift(taken);
        this.own.add(taken);
      }
    }
    if (this.scanDue) {
      this.lastOrphanScan = Date.now();
      this.claimed.push(...this.spool.claimOrphans());
    }
    while (this.claimed.length) {
      const file = this.claimed[0];
      const { rows, badLines } = readSpoolFile(file);
      if (badLines.length) {
        // set aside once: the claimed file keeps only the good rows, so a failed replay retried
        // later does not set the same lines aside again
        const kept = keepUnreadable(file, badLines);
        rewriteSpoolFile(file, rows);
        this.log.warn({ lines: badLines.length, file: kept }, 'unreadable lines in a usage spool; kept aside, not replayed');
      }
      const orphan = !this.own.has(file);
      let done = 0;
      let n = 0;
      try {
        for (; done < rows.length; done += chunk) {
          const k = await insert(rows.slice(done, done + chunk));
          n += k;
          this.replayed += k;
          if (orphan) this.replayedOrphans += k;
        }
      } catch (err) {
        if (done > 0) rewriteSpoolFile(file, rows.slice(done));
        throw err;
      }
      removeFile(file);
      this.own.delete(file);
      this.claimed.shift();
      if (rows.length) this.log.info({ events: rows.length, stored: n, orphan }, 'usage spool replayed');
    }
  }

  /** The recorder is done: its spool and the files claimed for a replay that did not finish are free for the next recorder. */
  release(): void {
    this.spool.release();
    for (const f of this.claimed) releaseHeld(f);
  }
}
