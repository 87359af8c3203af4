/**
 * Panels A–D and the drawer, rendered by ink-testing-library at 80×24 from real rows in a
 * real database (written through the core write paths), ANSI stripped; and the key flows.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { KEY, mount, poolStore, seedWorld, testConfig, writeState, type Mounted, type Seeded } from './tui-fixtures.js';
import { autonomyView } from '../src/core/views.js';
import { loadRegistry } from '../src/core/vendors/registry.js';
import { helpRows } from '../src/tui/keymap.js';
import { proofView } from '../src/tui/panels/proof.js';
import type { Config } from '../src/core/config.js';
import { canaryEnv, findLeaks } from './standins/fixtures.js';
import { startRun } from '../src/core/db/runs.js';

let db: TestDb;
let world: Seeded;
let config: Config;
let m: Mounted | undefined;
const allFrames: string[] = [];

// canaries in every secret env var: loadConfig registers them; no frame may ever show one
const canaries = canaryEnv();

beforeAll(async () => {
  db = await freshDatabase();
  world = await seedWorld(db.pool);
  config = testConfig(db.url, canaries);
});
afterEach(async () => {
  if (m) {
    allFrames.push(...m.frames);
    await m.close();
  }
  m = undefined;
});
afterAll(() => {
  expect(allFrames.length).toBeGreaterThan(10);
  expect(findLeaks(allFrames.join('\n'), Object.values(canaries))).toEqual([]);
});

const open = (extra: Parameters<typeof mount>[0] extends infer O ? Partial<O> : never = {}) =>
  (m = mount({ openStore: poolStore(db.pool, db.url), config, ...extra }));

function fits(frame: string, columns = 80, rows = 24) {
  const lines = frame.split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows - 1);
  for (const l of lines) expect(l.length, `line too wide: ${l}`).toBeLessThanOrEqual(columns);
}

/**
 * The app has exited: Ink stopped reading keys, and nothing drawn after the quit key shows a
 * key pressed later. (What Ink writes on unmount differs in CI — is-in-ci — so the test reads
 * input listeners and every frame rather than the last one.)
 */
function quitHappened(t: Mounted, framesBefore: number) {
  expect(t.ui.stdin.listenerCount('readable')).toBe(0);
  for (const f of t.ui.frames.slice(framesBefore)) expect(f).not.toContain('[4 Gate]');
}

describe('Panel A — integrations', () => {
  it('shows every integration with connected, status, ages, latency, required and reason; header has the gate verdict', async () => {
    const t = open();
    const f = await t.until((s) => s.includes('risk_engine'), 'panel A rows');
    fits(f);
    const gate = await autonomyView(db.pool, loadRegistry(config), config, { mode: 'paper' });
    expect(f).toContain(`[ ${gate.global_status} ]`);
    expect(f).toMatch(/mode paper · updated \d+s ago · daemon heartbeat \d+s ago/);
    expect(f).toContain(`no LISTEN · poll 60s · db external test /${db.name}`);
    expect(f).toMatch(/Integration\s+Conn\s+Status\s+Last OK\s+Probed\s+Latency\s+Req\s+Reason/);
    expect(f).toMatch(/polygon\s+yes\s+OK\s+\d+s ago\s+\d+s ago\s+35ms\s+any/);
    expect(f).toMatch(/databento\s+yes\s+DEGRADED\s+never\s+\d+s ago\s+42ms\s+any\s+UPSTREAM_5XX/);
    // paper requires the broker group (core/modes.ts): its members are "any"; at 80 columns the reason code leads
    expect(f).toMatch(/ironbeam\s+no\s+BLOCKED\s+never\s+\d+s ago\s+42ms\s+any\s+MISSING_CREDENTIA/);
    expect(f).toMatch(/postgres\s+yes\s+OK/);
    expect(f).toMatch(/\[1 Integrations\]/);
    // wider, the outage also says how many bots it stops
    allFrames.push(...t.frames);
    await t.close();
    const wide = await open({ columns: 120, rows: 30 }).until((s) => s.includes('risk_engine'), 'panel A rows, 120 columns');
    expect(wide).toMatch(/ironbeam\s+no\s+BLOCKED\s.*\sany\s.*MISSING_CREDENTIALS · blocks 1 bot/);
  });

  it('Enter opens the drawer: last usage events (sanitized) and probes with trace_ids; Esc closes it', async () => {
    const t = open();
    await t.until((s) => s.includes('risk_engine'), 'rows');
    await t.press(KEY.down); // databento → polygon
    await t.press(KEY.enter);
    const f = await t.until((s) => s.includes('Usage events — last'), 'drawer');
    fits(f);
    expect(f).toContain('▌polygon OK');
    expect(f).toContain('Usage events — last 2 (sanitized)');
    expect(f).toMatch(/marketdata\.bars\s+OK 390 rec ESZ5 1m/);
    expect(f).toContain(world.alpha.barsTrace);
    // probes are below the events: scroll to them
    for (let i = 0; i < 6; i++) await t.press('j');
    const g = t.frame();
    expect(g).toContain('Probes — last 1');
    expect(g).toContain(world.traces.polygon);
    await t.press(KEY.esc);
    const h = await t.until((s) => s.includes('Integration  Conn'), 'drawer closed');
    expect(h).not.toContain('Usage events');
  });

  it('the drawer of an integration with a BLOCKED attempt shows the reason and its trace_id', async () => {
    const t = open({ columns: 100 });
    await t.until((s) => s.includes('risk_engine'), 'rows');
    await t.press('j');
    await t.press('j'); // ironbeam
    await t.press(KEY.enter);
    const f = await t.until((s) => s.includes('broker.place_order'), 'ironbeam drawer');
    expect(f).toMatch(/broker\.place_order\s+BLOCKED MISSING_CRE/);
    expect(f).toContain(world.alpha.blockedTrace);
  });

  it('"/" filters the list; Esc clears', async () => {
    const t = open();
    await t.until((s) => s.includes('risk_engine'), 'rows');
    await t.press('/');
    for (const c of 'blocked') await t.press(c);
    const f = await t.until((s) => !s.includes('polygon  '), 'filtered');
    expect(f).toContain('/blocked█');
    expect(f).toMatch(/ironbeam/);
    expect(f).toMatch(/tradovate/);
    expect(f).not.toMatch(/risk_engine\s+yes/);
    await t.press(KEY.enter);
    expect(t.frame()).toContain('filter "blocked"');
    await t.press(KEY.esc);
    await t.until((s) => s.includes('risk_engine'), 'filter cleared');
  });

  it('from 100 columns: a last-hour sparkline per integration, from its probe rows (· where no probe ran)', async () => {
    const t = open({ columns: 100 });
    const f = await t.until((s) => s.includes('risk_engine') && /[▁▄█]/.test(s), 'rows with sparklines');
    fits(f, 100);
    expect(f).toMatch(/Req\s+Last hour\s+Reason/);
    // polygon's one recent OK probe is the last bucket; the hour before it had none
    expect(f).toMatch(/polygon\s+yes\s+OK.*\s·{11}▁\s/);
    expect(f).toMatch(/databento\s+yes\s+DEGRADED.*\s·{11}▄\s/);
  });

  it('wider terminals get a trace_id column', async () => {
    const t = open({ columns: 140, rows: 30 });
    const f = await t.until((s) => s.includes('risk_engine'), 'rows');
    fits(f, 140, 30);
    expect(f).toMatch(/Reason\s+Trace/);
    expect(f).toContain(world.traces.polygon);
  });
});

describe('Panel B — proof of use', () => {
  it('lists the most active bots and shows the selected bot: run, 24h badges with counts, BLOCKED attempts, trace_ids', async () => {
    const t = open({ columns: 100, rows: 30 });
    await t.until((s) => s.includes('risk_engine'), 'rows');
    await t.press('2');
    const f = await t.until((s) => s.includes('Used in last 24h'), 'proof');
    fits(f, 100, 30);
    expect(f).toContain('[2 Proof of use]');
    expect(f).toMatch(/› alpha-bot\s+5/);
    expect(f).toMatch(/beta-bot\s+1/);
    expect(f).not.toContain('quiet-bot'); // no usage in 24 h: not among the most active
    expect(f).toContain(world.alpha.id);
    expect(f).toMatch(/run paper RUNNING · heartbeat \d+s ago · terminal —/);
    expect(f).toMatch(/polygon USED 2 calls \/ 450 bars/);
    expect(f).toMatch(/openai USED 1 calls · gpt-4o-mini×1/);
    expect(f).toMatch(/ironbeam BLOCKED 1 order intents \(1 blocked\)\n\s+fills: live 0 · paper 0 · sim 0/);
    expect(f).toContain(`trace_id ${world.alpha.llmTrace}`);
    expect(f).toMatch(/BLOCKED attempts \(1\)/);
    expect(f).toMatch(/ironbeam MISSING_CREDENTIALS ×1/);
    expect(f).toContain(`trace_id ${world.alpha.blockedTrace}`);
  });

  it('j moves to the next bot; its failed run shows status and terminal state', async () => {
    const t = open({ columns: 100, rows: 30 });
    await t.until((s) => s.includes('risk_engine'), 'rows');
    await t.press('2');
    await t.until((s) => s.includes('alpha-bot  '), 'proof');
    await t.press('j');
    const f = await t.until((s) => s.includes(world.beta.id), 'beta selected');
    expect(f).toMatch(/› beta-bot/);
    expect(f).toMatch(/run shadow FAILED · ended \d+s ago · terminal FAILED \(UPSTREAM_5XX\)/);
    expect(f).toMatch(/databento ERROR 1 calls \/ 0 bars \(1 err\)/);
  });

  it("'b' opens the selector: type part of a name (or an id prefix), Enter picks the bot, Esc cancels", async () => {
    const t = open();
    await t.until((s) => s.includes('risk_engine'), 'rows');
    await t.press('b');
    let f = await t.until((s) => s.includes('Pick a bot'), 'selector');
    fits(f);
    for (const c of 'quie') await t.press(c);
    f = await t.until((s) => s.includes(world.quiet.id), 'search result');
    expect(f).toContain('> quie█');
    expect(f).not.toContain('alpha-bot');
    await t.press(KEY.enter);
    f = await t.until((s) => s.includes('no usage recorded in the window'), 'quiet-bot proof');
    expect(f).toContain(world.quiet.id);
    expect(f).toMatch(/quiet-bot/);
    // by id prefix
    await t.press('b');
    for (const c of world.beta.id.slice(0, 6)) await t.press(c);
    await t.until((s) => s.includes(world.beta.id), 'id search');
    await t.press(KEY.esc);
    f = await t.until((s) => !s.includes('Pick a bot'), 'cancelled');
    expect(f).toContain(world.quiet.id); // cancel keeps the previous choice
  });

  it('results of an earlier query are never picked while the new one is being read', async () => {
    const t = open({ initial: { panel: 'proof' } });
    // (Panel B's own read: panels/proof.ts)
    const choices = () => proofView(t.controller.getData())?.botChoices;
    t.controller.setView({ botQuery: 'a' });
    await t.until(() => (choices()?.length ?? 0) > 0, 'results for "a"');
    // typing one more character drops those results at once (Enter then has nothing to pick)
    t.controller.setView({ botQuery: 'al' });
    expect(proofView(t.controller.getData())).not.toBeNull(); // the proof read itself is kept
    expect(choices()).toBeNull();
    const next = await t.until(() => (choices() ?? null) !== null, 'results for "al"');
    expect(next).toBeTruthy();
    expect(choices()!.every((c) => /al/i.test(c.name ?? '') || c.bot_id.startsWith('al'))).toBe(true);
  });
});

describe('Panel C — variable catalog', () => {
  it('groups variables by source with type, sources, availability (from Panel A) and last seen; "/" filters', async () => {
    const t = open({ columns: 100, rows: 30 });
    await t.until((s) => s.includes('risk_engine'), 'rows');
    await t.press('3');
    let f = await t.until((s) => s.includes('Market data ('), 'catalog');
    fits(f, 100, 30);
    expect(f).toMatch(/Variable\s+Type\s+Sources\s+Avail\s+Last seen/);
    expect(f).toMatch(/md\.open\s+number\s+databento,polygon\s+OK\s+never/);
    expect(f).toMatch(/md\.close\s+number\s+databento,polygon\s+OK\s+\d+s ago/);
    await t.press('/');
    for (const c of 'exec') await t.press(c);
    f = await t.until((s) => s.includes('Order / execution ('), 'exec group');
    expect(f).not.toContain('Market data (');
    expect(f).toMatch(/exec\.fill_latency_ms\s+number\s+ironbeam,tradovate\s+BLOCKED\s+never/);
    // nothing computes it: the panel says so instead of a source's status
    expect(f).toMatch(/exec\.open_orders\s+number\s+ironbeam,tradovate\s+NO_PRODUCER\s+never/);
    await t.press(KEY.esc);
    for (const c of '/vwap') await t.press(c);
    f = await t.until((s) => s.includes('Market data (1)'), 'vwap only');
    expect(f).toMatch(/md\.vwap\s+number\s+databento,polygon\s+OK\s+\d+s ago/);
    await t.press(KEY.enter);
    // j/k move within the filtered list; the hint line shows the kept filter
    expect(t.frame()).toContain('filter "vwap"');
  });

  it('scrolls through every group with j/k', async () => {
    const t = open();
    await t.until((s) => s.includes('risk_engine'), 'rows');
    await t.press('3');
    await t.until((s) => s.includes('Market data ('), 'catalog');
    for (let i = 0; i < 40; i++) await t.press('j');
    const f = t.frame();
    fits(f);
    expect(f).toMatch(/AI \(4\)|ai\.signal_confidence/);
    expect(f).toMatch(/↑\d+ more/);
  });
});

describe('Panel D — autonomy gate', () => {
  it('shows the same verdict, blockers, fixes and trace_ids as `gate check` for the mode shown; m cycles the mode', async () => {
    const t = open({ columns: 100, rows: 40 });
    await t.until((s) => s.includes('risk_engine'), 'rows');
    await t.press('4');
    const registry = loadRegistry(config);
    for (const mode of ['paper', 'shadow', 'live'] as const) {
      const f = await t.until((s) => s.includes(`autonomy (${mode}):`), `gate ${mode}`);
      const gate = await autonomyView(db.pool, registry, config, { mode });
      expect(f).toContain(`[ ${gate.global_status} ] mode ${mode}`);
      expect(f).toContain(`${gate.global_status} autonomy (${mode}): ${gate.blockers.length} blocker(s), ${gate.warnings.length} warning(s)`);
      for (const b of [...gate.blockers, ...gate.warnings]) {
        expect(f).toContain(b.code);
        if (b.trace_id && b.trace_id !== gate.trace_id) expect(f).toContain(`trace_id: ${b.trace_id}`);
      }
      if (mode === 'live') {
        expect(f).toContain('LIVE_TRADING_DISABLED');
        expect(f).toContain('fix: Set LIVE_TRADING_ENABLED=true');
      }
      await t.press('m');
    }
  });

  it("with a bot chosen: the bot's BLOCKED attempts and run blockers, as `gate check --bot` (the same view function)", async () => {
    const t = open({ columns: 120, rows: 40 });
    await t.until((s) => s.includes('risk_engine'), 'rows');
    await t.press('4');
    let f = await t.until((s) => s.includes('autonomy (paper):'), 'gate, no bot');
    expect(f).toContain('no bot chosen: global rules only');
    expect(f).not.toContain('BOT_');
    // alpha-bot: an ironbeam order BLOCKED within the hour
    await t.press('b');
    await t.until((s) => s.includes('Pick a bot'), 'selector');
    for (const c of 'alpha') await t.press(c);
    await t.until((s) => s.includes(world.alpha.id), 'found');
    await t.press(KEY.enter);
    await t.press('4');
    f = await t.until((s) => s.includes(`bot ${world.alpha.id}:`) && s.includes('BOT_BLOCKED_ATTEMPT'), 'gate for alpha-bot');
    const gate = await autonomyView(db.pool, loadRegistry(config), config, { mode: 'paper', botId: world.alpha.id });
    expect(f).toContain(`${gate.global_status} autonomy (paper): ${gate.blockers.length} blocker(s), ${gate.warnings.length} warning(s)`);
    for (const b of gate.blockers.filter((x) => x.code.startsWith('BOT_'))) {
      expect(f).toContain(b.code);
      expect(f).toContain(`trace_id: ${b.trace_id}`);
    }
    expect(f).toContain(`trace_id: ${world.alpha.blockedTrace}`);
    // beta-bot: its last run ended FAILED
    await t.press('b');
    for (const c of 'beta') await t.press(c);
    await t.until((s) => s.includes(world.beta.id), 'found beta');
    await t.press(KEY.enter);
    await t.press('4');
    f = await t.until((s) => s.includes(`bot ${world.beta.id}:`) && s.includes('BOT_RUN_FAILED'), 'gate for beta-bot');
    expect(f).not.toContain('BOT_BLOCKED_ATTEMPT'); // alpha's verdict is never shown under beta
  });

  it('fits 80×24 and scrolls blockers with j', async () => {
    const t = open({ initial: { mode: 'live' } });
    await t.until((s) => s.includes('risk_engine'), 'rows');
    await t.press('4');
    const f = await t.until((s) => s.includes('autonomy (live)'), 'gate');
    fits(f);
    expect(f).toMatch(/› ✗ /);
    await t.press('j');
    fits(t.frame());
  });
});

describe('keys', () => {
  it('Tab / Shift-Tab and 1–4 switch panels', async () => {
    const t = open();
    await t.until((s) => s.includes('risk_engine'), 'rows');
    await t.press(KEY.tab);
    await t.until((s) => s.includes('[2 Proof of use]'), 'tab → 2');
    await t.press(KEY.tab);
    await t.until((s) => s.includes('[3 Catalog]'), 'tab → 3');
    await t.press('\u001B[Z');
    await t.until((s) => s.includes('[2 Proof of use]'), 'shift-tab → 2');
    await t.press('4');
    await t.until((s) => s.includes('[4 Gate]'), '4');
    await t.press('1');
    await t.until((s) => s.includes('[1 Integrations]'), '1');
  });

  it("'?' shows every binding of the key registry; Esc closes", async () => {
    const t = open();
    await t.until((s) => s.includes('risk_engine'), 'rows');
    await t.press('?');
    const f = await t.until((s) => s.includes('Keys — read-only'), 'help');
    fits(f);
    for (const r of helpRows()) {
      expect(f).toContain(r.keys);
      expect(f).toContain(r.help.slice(0, 20));
    }
    await t.press('2'); // ignored while the overlay is open
    expect(t.frame()).toContain('Keys — read-only');
    await t.press(KEY.esc);
    await t.until((s) => s.includes('Integration  Conn'), 'help closed');
  });

  it("'r' reads the store again at once (here: no LISTEN, a 60 s poll)", async () => {
    const t = open();
    await t.until((s) => /openai\s+yes\s+OK/.test(s), 'rows');
    await writeState(db.pool, 'openai', {
      status: 'DEGRADED',
      outcome: 'UPSTREAM_5XX',
      reason: 'UPSTREAM_5XX',
      message: 'server error (5xx)',
      httpStatus: 503,
      latencyMs: 180,
      notify: false,
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(t.frame()).toMatch(/openai\s+yes\s+OK/); // nothing re-read it by itself
      await t.press('r');
      await t.until((s) => /openai\s+yes\s+DEGRADED/.test(s), 'refreshed by r');
    } finally {
      await writeState(db.pool, 'openai', { status: 'OK', latencyMs: 180, notify: false });
    }
  });

  it('keys that arrive in one read (a held key, a paste, tmux send-keys) each count', async () => {
    const t = open();
    await t.until((s) => s.includes('risk_engine'), 'rows');
    await t.press('jj'); // databento → polygon → ironbeam
    await t.press(KEY.enter);
    await t.until((s) => s.includes('▌ironbeam'), 'drawer on the third row');
    await t.press(KEY.esc);
    await t.press('/');
    await t.press('pgx');
    await t.press('\u007f\u007f'); // two Backspaces at once
    expect(t.frame()).toContain('/p█');
  });

  it('a small terminal (60×15): the tab bar stays one line, the help shows how to quit first, the drawer keeps trace_ids whole', async () => {
    const t = open({ columns: 60, rows: 15 });
    const f = await t.until((s) => s.includes('databento'), 'rows');
    fits(f, 60, 15);
    expect(f).toMatch(/^\[1 Integr\] 2 Proof\s+3 Catalog\s+4 Gate/m);
    await t.press('?');
    const h = await t.until((s) => s.includes('Keys (read-only)'), 'help');
    fits(h, 60, 15);
    expect(h).toMatch(/q Ctrl-C\s+quit/);
    await t.press(KEY.esc);
    // the drawer keeps trace_ids whole (they get copied); the operation column gives way
    await t.press(KEY.down);
    await t.press(KEY.enter);
    const d = await t.until((s) => s.includes('Usage events — last'), 'drawer');
    fits(d, 60, 15);
    expect(d).toContain(world.alpha.barsTrace);
  });

  it('Panel B with a picked bot the store no longer knows (a reset database) says so — not "loading…" forever', async () => {
    const ghost = crypto.randomUUID();
    await startRun(db.pool, { botId: ghost, botName: 'ghost-bot', mode: 'paper' });
    const t = open();
    await t.until((s) => s.includes('risk_engine'), 'rows');
    await t.press('b');
    await t.until((s) => s.includes('Pick a bot'), 'selector');
    await t.press('ghost');
    await t.until((s) => s.includes(ghost), 'found');
    await t.press(KEY.enter);
    await t.until((s) => /ghost-bot/.test(s) && !s.includes('Pick a bot'), 'picked');
    // the store is reset under the screen
    await db.pool.query('delete from bot_runs where bot_id = $1', [ghost]);
    await db.pool.query('delete from bots where id = $1', [ghost]);
    await t.press('r');
    // (the detail column wraps the sentence)
    const f = await t.until((s) => s.includes(`bot ${ghost} is not in the`) && s.includes('press b to pick another'), 'unknown bot');
    expect(f).not.toContain('loading…');
  });

  it("'q' quits", async () => {
    const t = open();
    await t.until((s) => s.includes('risk_engine'), 'rows');
    const before = t.ui.frames.length;
    await t.press('q');
    await t.press('4');
    quitHappened(t, before);
  });

  it('Ctrl-C quits, even while typing a filter', async () => {
    const t = open();
    await t.until((s) => s.includes('risk_engine'), 'rows');
    await t.press('/');
    await t.press('q'); // a letter here, not quit
    expect(t.frame()).toContain('/q█');
    const before = t.ui.frames.length;
    await t.press(KEY.ctrlC);
    await t.press(KEY.esc);
    await t.press('4');
    quitHappened(t, before);
  });
});
