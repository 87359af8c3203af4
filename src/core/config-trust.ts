/**
 * Remembers config files that passed full validation, so the next command reading the same
 * bytes can skip loading zod (~60 ms). `gate check` runs from deploy scripts and cron with the
 * same file every time; DESIGN budgets its start-up at 1.5 × the floor.
 *
 * A marker is an empty file named by a digest of: the file's bytes, the package version, and the
 * source of the modules whose schemas judged it (config, the registry's rules, the integration
 * modules, and the modes and reason codes they use: schemaSources). An edited config, or a change
 * to any of those modules, is a different digest, so it is validated again. The schemas only
 * check (no defaults, no transforms), so a trusted file's JSON.parse is what zod returned.
 *
 * Markers hold no content. They live in the user's own Observatory home (0700), never in a shared
 * directory: a forged marker would let an invalid file through unvalidated. Best effort: an
 * unwritable home just means validating every time.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERSION } from './version.js';
import { vendorSources } from './vendors/index.js';
import { cacheDir, isPrivateDir, makePrivateDir, pruneOldest } from './home-cache.js';

const KEEP = 16;

// the modules whose schemas and declarations judge a config file, as built (.js) or run from
// source (.ts, tests): config, the registry's override rules and built-in specs, and every
// integration module (its timing and base URL decide what an override may say)
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const OWN_SOURCES = [
  './config',
  './types',
  './probe-schedule',
  './vendors/registry',
  './vendors/overrides',
  './vendors/specs',
  // the `calendar` section's schema and what it checks against (groups, schedules, dates, instants, zones)
  './calendar/overrides',
  './calendar/rules',
  './calendar/civil',
  './calendar/instant',
  './calendar/zone',
];
let sources: string[] | undefined;

/** Read on first use, never at load (config-trust sits in the vendors import cycle: vendors/index.ts). */
export function schemaSources(): string[] {
  return (sources ??= [...OWN_SOURCES.map((p) => new URL(`${p}${EXT}`, import.meta.url).href), ...vendorSources()].map((u) => fileURLToPath(u)));
}

function dir(home: string): string {
  return cacheDir(home, 'valid-config');
}

/** The digest of a config file's bytes as judged by this build; undefined when a schema source is unreadable. */
export function configDigest(text: string): string | undefined {
  const h = createHash('sha256').update(VERSION).update('\0').update(text);
  try {
    for (const f of schemaSources()) h.update('\0').update(readFileSync(f));
  } catch {
    return undefined;
  }
  return h.digest('hex');
}

export function isTrusted(home: string, digest: string | undefined): boolean {
  if (!digest) return false;
  // only a directory of ours, closed to others (see the header)
  return isPrivateDir(dir(home)) && existsSync(join(dir(home), digest));
}

/** Records that `digest` passed full validation; keeps the newest KEEP markers. */
export function rememberValid(home: string, digest: string | undefined): void {
  if (!digest) return;
  try {
    const d = dir(home);
    makePrivateDir(d);
    closeSync(openSync(join(d, digest), 'w', 0o600));
    pruneOldest(d, KEEP);
  } catch {
    /* best effort: the next command validates again */
  }
}
