/**
 * The kill switch in the TUI (ink-testing-library, real database): the header and Panel D show
 * the halts in force; H opens the halt dialog with the scope of the selection, a typed reason and
 * HALT typed to confirm — the only write action, which `?` says; Esc or a wrong word writes nothing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDb } from '../helpers/db.js';
import { KEY, mount, poolStore, seedWorld, testConfig, type Mounted, type Seeded } from '../tui-fixtures.js';
import type { Config } from '../../src/core/config.js';
import { applyTradingChange } from '../../src/core/views.js';
import { newTraceId } from '../../src/core/trace.js';

let db: TestDb;
let config: Config;
let world: Seeded;
let m: Mounted | undefined;
const rows = async () => (await db.pool.query('select count(*)::int as n from trading_state_changes')).rows[0].n as number;
const open = (extra: Partial<Parameters<typeof mount>[0]> = {}) => (m = mount({ openStore: poolStore(db.pool, db.url), config, ...extra }));
const type = async (t: Mounted, text: string) => {
  for (const ch of text) await t.press(ch);
};

beforeAll(async () => {
  db = await freshDatabase();
  world = await seedWorld(db.pool);
  config = testConfig(db.url);
});
afterEach(async () => {
  await m?.close();
  m = undefined;
});
afterAll(() => undefined);

describe('halt dialog', () => {
  it('Panel A: H → the selected integration, reason, HALT → one row; the header and Panel D show it', async () => {
    const t = open();
    await t.until((s) => s.includes('risk_engine'), 'panel A');
    await t.press('H');
    const d = await t.until((s) => s.includes('HALT trading — integration'), 'dialog');
    const target = /HALT trading — integration (\w+)/.exec(d)![1];
    expect(d).toContain('the only write action');
    await type(t, 'tui drill');
    await t.press(KEY.enter);
    await t.until((s) => s.includes('type HALT to confirm'), 'confirm step');
    await type(t, 'HALT');
    await t.press(KEY.enter);
    const f = await t.until((s) => s.includes(`⛔ HALTED integration ${target}`), 'header shows the halt');
    expect(f).toMatch(/by \S+ \d+s ago: tui drill/);
    const { rows: r } = await db.pool.query('select scope, target, state, reason from trading_state_changes order by id desc limit 1');
    expect(r[0]).toEqual({ scope: 'integration', target, state: 'HALTED', reason: 'tui drill' });
    await t.press('4');
    await t.until((s) => new RegExp(`⛔ HALTED integration ${target} by \\S+ since 20`).test(s), 'Panel D shows the scope in force');
    // the gate's TRADING_HALTED item is in Panel D's list; at 24 rows it can sit below the fold, so move to it
    for (let i = 0; i < 12 && !t.frame().includes(`TRADING_HALTED [${target}]`); i++) await t.press(KEY.down);
    await t.until((s) => s.includes(`TRADING_HALTED [${target}]`), 'Panel D lists it');
    await applyTradingChange(db.pool, {
      command: 'resume',
      scope: 'integration',
      target,
      reason: 'done',
      actor: 'test',
      twoPerson: false,
      requestTtlMs: 60_000,
      knownIntegrations: [target],
      traceId: newTraceId(),
    });
  });

  it('Panel B: the scope is the bot shown; Esc cancels and writes nothing; a wrong word is refused', async () => {
    const t = open({ initial: { panel: 'proof' } });
    await t.until((s) => s.includes('alpha-bot'), 'panel B');
    const before = await rows();
    await t.press('H');
    await t.until((s) => /HALT trading — bot [0-9a-f-]{36}/.test(s), 'bot dialog');
    await type(t, 'x');
    await t.press(KEY.enter);
    await type(t, 'halt');
    await t.press(KEY.enter);
    await t.until((s) => s.includes('type HALT (capitals) to confirm'), 'wrong word refused');
    await t.press(KEY.esc);
    await t.until((s) => s.includes('halt cancelled: nothing written'), 'cancelled');
    expect(await rows()).toBe(before);
    expect(world.alpha.id).toBeTruthy();
  });

  it('? says H is the only write action', async () => {
    const t = open();
    await t.until((s) => s.includes('risk_engine'), 'panel A');
    await t.press('?');
    const f = await t.until((s) => s.includes('Keys — read-only'), 'help');
    expect(f).toContain('Keys — read-only except H (halt dialog: the only write action)');
    expect(f).toMatch(/H\s+halt: the only write action/);
  });

  it('a halt written elsewhere reaches the header by LISTEN', async () => {
    const t = open({ listen: true });
    await t.until((s) => s.includes('LISTEN ok'), 'listening');
    await applyTradingChange(db.pool, {
      command: 'halt',
      scope: 'global',
      target: '*',
      reason: 'cli halt',
      actor: 'oncall',
      twoPerson: false,
      requestTtlMs: 60_000,
      knownIntegrations: [],
      traceId: newTraceId(),
    });
    await t.until((s) => s.includes('⛔ HALTED global by oncall'), 'header shows the halt', 5_000);
  });
});
