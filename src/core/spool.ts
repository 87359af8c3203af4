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
 */
import { closeSync, existsSync, fchmodSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, ftruncateSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { rowToJson, validateBatch, type EventRow } from './events-schema.js';

export const DEFAULT_MAX_SPOOL_BYTES = 64 * 1024 * 1024;

let seq = 0;

/** $OBSERVATORY_HOME/spool/usage-<pid>-<n>.jsonl (home defaults to ~/.observatory). */
export function defaultSpoolPath(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.OBSERVATORY_HOME?.trim() || join(homedir(), '.observatory');
  return join(resolve(home), 'spool', `usage-${process.pid}-${++seq}.jsonl`);
}

const SPOOL_FILE = /^usage-(\d+)-\d+\.jsonl(?:\.claimed-(\d+)-\d+)?$/;

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
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
  bad: number;
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
    const fd = openSync(this.path, 'a', 0o600);
    try {
      fchmodSync(fd, 0o600); // an existing file keeps its mode on open: tighten it
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    this.size += len;
    return true;
  }

  read(): SpoolRead {
    return readSpoolFile(this.path);
  }

  /** Empties the spool after its rows are stored. */
  clear(): void {
    if (!existsSync(this.path)) {
      this.size = 0;
      return;
    }
    const fd = openSync(this.path, 'r+');
    try {
      ftruncateSync(fd, 0);
    } finally {
      closeSync(fd);
    }
    this.size = 0;
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
    for (const name of names) {
      if (name === own) continue;
      const m = SPOOL_FILE.exec(name);
      if (!m) continue;
      const owner = Number(m[2] ?? m[1]);
      if (pidAlive(owner)) continue;
      const base = name.replace(/\.claimed-\d+-\d+$/, '');
      const target = join(dir, `${base}.claimed-${process.pid}-${++seq}`);
      try {
        renameSync(join(dir, name), target);
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
    return { rows: [], bad: 0 };
  }
  const rows: EventRow[] = [];
  let bad = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      bad++;
      continue;
    }
    // re-validate: the file is outside the process and the rules (sanitizer) may have grown
    const v = validateBatch([obj]);
    if (v.ok) rows.push(v.rows[0]);
    else bad++;
  }
  return { rows, bad };
}

export function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
