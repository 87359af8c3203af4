/**
 * Caches under the user's Observatory home (<home>/cache/<name>): what a later run may take on
 * trust instead of recomputing it (config-trust.ts: validated config files; calendar/zone.ts: a
 * zone's UTC-offset transitions). A forged entry could make a run skip a check or read a wrong
 * clock, so an entry counts only in a directory of ours that is closed to others (0700 when we
 * make it), never in a shared one. Everything here is best effort: a cache is never needed for
 * a correct answer, and failing to keep one never fails a command.
 */
import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

export function cacheDir(home: string, name: string): string {
  return join(home, 'cache', name);
}

/** true when `dir` is a directory owned by this user that no one else may write to. */
export function isPrivateDir(dir: string): boolean {
  try {
    const st = statSync(dir);
    return st.isDirectory() && (st.mode & 0o022) === 0 && (typeof process.getuid !== 'function' || st.uid === process.getuid());
  } catch {
    return false;
  }
}

/** Makes `dir` (0700) if missing; throws when it cannot. */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Keeps the `keep` newest entries of `dir` (by mtime), so versions and digests that changed do not pile up. */
export function pruneOldest(dir: string, keep: number): void {
  const entries = readdirSync(dir)
    .map((name) => ({ name, at: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const e of entries.slice(keep)) unlinkSync(join(dir, e.name));
}
