/**
 * Market-time freshness replay over two calendar years at one-minute steps (CME Globex equity
 * index calendar, America/Chicago). A simulated bot emits a bar for every minute at which the
 * market is open, LATENCY_MAX_S seconds late at most (seeded random latency per bar); a freshness
 * probe runs every PROBE_S seconds (at :15 and :45, never at the instant of a bar) and calls
 * marketFreshness(), the function the gate uses.
 *
 *   run 1a/1b  no gaps, bounds 75 and 120 market seconds: counts stale flags (must be 0)
 *   run 2      "60 s gaps": the bot skips ONE bar at random open minutes (≈120 s of silence instead
 *              of ≈60 s); bound 75 market seconds (over 60 s cadence + 10 s latency)
 *   run 3      longer gaps: the bot skips 2–15 bars; bound 120 market seconds
 *   In runs 2 and 3 a fifth of the gaps start at a session edge (the last minutes before a close or
 *   the first after an open), so gaps spanning a break, weekend or holiday are well represented.
 *
 * A gap is flagged when a probe reports stale between its last bar and the bot's next bar.
 * Detection delay = (first stale probe) − (the instant after which the open-market seconds since
 * the last bar exceed the bound: exceedsOpenSecondsAt). Pass: every gap flagged, every delay in
 * (0, PROBE_S], no stale flag outside a gap, and every gap kept the data over the bound for at
 * least one probe interval (so "flagged within one probe interval" is a real claim). Exit 1 when a
 * check fails. Prints figures; not a test.
 *
 *   npx tsx bench/market-replay.ts [--seed 20250101] [--gaps 1000] [--from 2025-01-01] [--to 2027-01-01]
 */
import { exceedsOpenSecondsAt, isOpen, marketFreshness } from '../src/core/calendar/index.js';

const GROUP = 'equity_index';
const MINUTE = 60_000;
const PROBE_S = 30;
/** probes at :15 and :45 of each minute: never at the same instant as a bar */
const PROBE_OFFSETS = [15_000, 45_000];
const LATENCY_MAX_S = 10;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}
const SEED = Number(arg('seed', '20250101'));
const GAPS = Number(arg('gaps', '1000'));
const FROM = Date.parse(`${arg('from', '2025-01-01')}T00:00:00Z`);
const TO = Date.parse(`${arg('to', '2027-01-01')}T00:00:00Z`);
if (!Number.isFinite(FROM) || !Number.isFinite(TO) || !(TO > FROM) || !(GAPS > 0) || !Number.isInteger(SEED)) {
  process.stderr.write('usage: bench/market-replay.ts [--seed N] [--gaps N] [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n');
  process.exit(64);
}

/** mulberry32: small seeded PRNG, so a run can be repeated exactly */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// the open minute boundaries of the period: where the bot emits
let t0 = performance.now();
const openMinutes: number[] = [];
let minutes = 0;
for (let t = FROM; t < TO; t += MINUTE, minutes++) if (isOpen(GROUP, t)) openMinutes.push(t);
const scanMs = performance.now() - t0;

// per-bar latency (ms), seeded: the bar of open minute i arrives at openMinutes[i] + latency[i]
const latencyRand = prng(SEED + 7);
const latency = Float64Array.from(openMinutes, () => Math.floor(latencyRand() * (LATENCY_MAX_S * 1000 + 1)));
const barAt = (i: number) => openMinutes[i] + latency[i];
/** indexes of open minutes next to a session edge: the last 3 before a close, the first after an open */
const edges: number[] = [];
for (let i = 1; i < openMinutes.length - 1; i++) if (openMinutes[i + 1] - openMinutes[i] > MINUTE) edges.push(i - 2, i - 1, i, i + 1);

interface Gap {
  /** index into openMinutes of the first skipped bar */
  first: number;
  skipped: number;
  lastBar: number;
  nextBar: number;
  exceedAt: number;
  flaggedAt?: number;
}

/** non-overlapping gaps at random open minutes (a fifth at session edges), at least 30 bars apart */
function pickGaps(count: number, minSkip: number, maxSkip: number, bound: number, rand: () => number): Gap[] {
  const taken = new Set<number>();
  const starts: Array<[number, number]> = [];
  for (let tries = 0; starts.length < count && tries < count * 50; tries++) {
    const atEdge = rand() < 0.2;
    const first = atEdge ? edges[Math.floor(rand() * edges.length)] : 1 + Math.floor(rand() * (openMinutes.length - maxSkip - 2));
    if (first < 1 || first + maxSkip + 1 >= openMinutes.length) continue;
    const skipped = minSkip + Math.floor(rand() * (maxSkip - minSkip + 1));
    let free = true;
    for (let i = first - 30; i <= first + skipped + 30 && free; i++) if (taken.has(i)) free = false;
    if (!free) continue;
    for (let i = first; i < first + skipped; i++) taken.add(i);
    taken.add(first - 1).add(first + skipped);
    starts.push([first, skipped]);
  }
  return starts
    .sort((a, b) => a[0] - b[0])
    .map(([first, skipped]) => {
      const lastBar = barAt(first - 1);
      const exceedAt = exceedsOpenSecondsAt(GROUP, lastBar, bound);
      if (exceedAt === null) throw new Error('no market time ahead of a gap');
      return { first, skipped, lastBar, nextBar: barAt(first + skipped), exceedAt };
    });
}

interface RunResult {
  name: string;
  boundSeconds: number;
  bars: number;
  probes: number;
  probesWhileOpen: number;
  staleFlags: number;
  falsePositives: number;
  gaps: Gap[];
  ms: number;
}

function replay(name: string, boundSeconds: number, gaps: Gap[]): RunResult {
  const skip = new Set<number>();
  for (const g of gaps) for (let i = g.first; i < g.first + g.skipped; i++) skip.add(i);
  let gi = 0; // the next gap not yet over
  let lastBar: number | null = null;
  let nextOpen = 0; // index into openMinutes
  const r: RunResult = { name, boundSeconds, bars: 0, probes: 0, probesWhileOpen: 0, staleFlags: 0, falsePositives: 0, gaps, ms: 0 };
  const started = performance.now();
  for (let t = FROM; t < TO; t += MINUTE) {
    // a bar arrives within LATENCY_MAX_S of its minute, before the :15 probe
    if (openMinutes[nextOpen] === t) {
      if (!skip.has(nextOpen)) {
        lastBar = barAt(nextOpen);
        r.bars++;
      }
      nextOpen++;
    }
    for (const off of PROBE_OFFSETS) {
      const probe = t + off;
      const f = marketFreshness(GROUP, lastBar, probe, boundSeconds);
      r.probes++;
      if (f.state === 'open') r.probesWhileOpen++;
      while (gi < gaps.length && gaps[gi].nextBar <= probe) gi++;
      if (!f.stale) continue;
      r.staleFlags++;
      const g = gaps[gi];
      if (g && g.lastBar < probe && probe < g.nextBar) g.flaggedAt ??= probe;
      else r.falsePositives++;
    }
  }
  r.ms = performance.now() - started;
  return r;
}

function report(r: RunResult): boolean {
  const flagged = r.gaps.filter((g) => g.flaggedAt !== undefined);
  const delays = flagged.map((g) => (g.flaggedAt! - g.exceedAt) / 1000);
  const maxDelay = delays.length ? Math.max(...delays) : 0;
  const minDelay = delays.length ? Math.min(...delays) : 0;
  const meanDelay = delays.length ? delays.reduce((a, b) => a + b, 0) / delays.length : 0;
  const acrossClose = r.gaps.filter((g) => openMinutes[g.first + g.skipped] - openMinutes[g.first - 1] > (g.skipped + 1) * MINUTE).length;
  const overBound = r.gaps.map((g) => (g.nextBar - g.exceedAt) / 1000);
  const minOver = overBound.length ? Math.min(...overBound) : 0;
  const ok =
    r.falsePositives === 0 &&
    flagged.length === r.gaps.length &&
    delays.every((d) => d > 0 && d <= PROBE_S) &&
    overBound.every((o) => o >= PROBE_S) &&
    (r.gaps.length > 0 || r.staleFlags === 0);
  const lines = [
    `${r.name}: bound ${r.boundSeconds} market s, probe every ${PROBE_S} s`,
    `  bars emitted ${r.bars}, probes ${r.probes} (${r.probesWhileOpen} while open), stale flags ${r.staleFlags}, outside a gap ${r.falsePositives}`,
  ];
  if (r.gaps.length)
    lines.push(
      `  gaps injected ${r.gaps.length} (${acrossClose} spanning a break, weekend or holiday), flagged ${flagged.length}`,
      `  time over the bound before the bot resumed: min ${minOver.toFixed(1)} s (must be ≥ ${PROBE_S} s for the claim to hold)`,
      `  detection delay after the bound is exceeded: min ${minDelay.toFixed(3)} s, mean ${meanDelay.toFixed(1)} s, max ${maxDelay.toFixed(3)} s (limit ${PROBE_S} s)`,
    );
  lines.push(`  ${(r.ms / 1000).toFixed(2)} s, ${((r.ms * 1000) / r.probes).toFixed(2)} µs per probe — ${ok ? 'PASS' : 'FAIL'}`);
  process.stdout.write(lines.join('\n') + '\n');
  return ok;
}

process.stdout.write(
  `market replay ${new Date(FROM).toISOString().slice(0, 10)} … ${new Date(TO - 1).toISOString().slice(0, 10)}: ` +
    `${minutes} minutes, ${openMinutes.length} open (${((openMinutes.length / minutes) * 100).toFixed(1)} %), scanned in ${(scanMs / 1000).toFixed(2)} s; seed ${SEED}\n`,
);
t0 = performance.now();
const results = [
  replay('run 1a — no gaps', 75, []),
  replay('run 1b — no gaps', 120, []),
  replay('run 2 — one skipped bar (60 s gap)', 75, pickGaps(GAPS, 1, 1, 75, prng(SEED))),
  replay('run 3 — 2–15 skipped bars', 120, pickGaps(GAPS, 2, 15, 120, prng(SEED + 1))),
];
const ok = results.map(report).every(Boolean);
const summary = {
  seed: SEED,
  probe_interval_s: PROBE_S,
  bar_latency_max_s: LATENCY_MAX_S,
  minutes,
  open_minutes: openMinutes.length,
  runs: results.map((r) => ({
    name: r.name,
    bound_s: r.boundSeconds,
    probes: r.probes,
    stale_flags: r.staleFlags,
    false_positives: r.falsePositives,
    gaps: r.gaps.length,
    flagged: r.gaps.filter((g) => g.flaggedAt !== undefined).length,
    max_delay_s: r.gaps.reduce((m, g) => (g.flaggedAt === undefined ? m : Math.max(m, (g.flaggedAt - g.exceedAt) / 1000)), 0),
    seconds: Number((r.ms / 1000).toFixed(2)),
  })),
  ok,
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
process.stdout.write(`total ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
process.exit(ok ? 0 : 1);
