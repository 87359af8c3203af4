/**
 * The panel registry (src/tui/panels/index.ts) and how the shell reads it: ids and titles,
 * number keys and Tab in registry order, the tab bar, the body drawing each panel, and the
 * reducer handing keys to the active panel (or to the panel that takes a key from everywhere).
 * Pure: no database, no terminal.
 */
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import stripAnsi from 'strip-ansi';
import { PANELS, PANEL_IDS, panelById, panelLetter, tabName, type PanelId } from '../src/tui/panels/index.js';
import { pressesOf, resolveKey } from '../src/tui/keymap.js';
import { initialUi, keyContext, reduce, type UiEnv, type UiState } from '../src/tui/ui.js';
import { TabBar, tabLabels } from '../src/tui/TabBar.js';
import { Body } from '../src/tui/Body.js';
import { ColorContext } from '../src/tui/theme.js';
import type { TuiData } from '../src/tui/controller.js';

const data = (over: Partial<TuiData> = {}): TuiData => ({
  request: { mode: 'paper', panel: PANEL_IDS[0], drawer: null, botId: null, botQuery: null },
  status: null,
  panelData: {},
  updatedAt: null,
  outage: null,
  where: 'test',
  listening: false,
  intervalMs: 2000,
  ...over,
});
const env = (over: Partial<UiEnv> = {}): UiEnv => ({ data: data(), listLength: 5, page: 10, ...over });

/** Presses a key by its help name (as keymap names it) in the state's context and reduces it. */
function press(s: UiState, name: string, e: UiEnv = env()): UiState {
  const [[input, key]] = pressesOf(name);
  const action = resolveKey(input, key, keyContext(s), s.panel);
  return action ? reduce(s, action, e) : s;
}

describe('registry', () => {
  it('every panel has its own id, title and short title, and says what it shows', () => {
    expect(PANELS.length).toBeGreaterThanOrEqual(4);
    for (const field of ['id', 'title', 'shortTitle'] as const) expect(new Set(PANELS.map((p) => p[field])).size, field).toBe(PANELS.length);
    for (const p of PANELS) {
      expect(p.subject.length, p.id).toBeGreaterThan(0);
      expect(panelById(p.id)).toBe(p);
    }
    expect(() => panelById('nope' as PanelId)).toThrow(/no TUI panel "nope"/);
  });

  it('panels are lettered and numbered in registry order (the header names the gate tab this way)', () => {
    PANEL_IDS.forEach((id, i) => {
      expect(panelLetter(id)).toBe(String.fromCharCode(65 + i));
      expect(tabName(id)).toBe(`${i + 1} ${panelById(id).title}`);
    });
    expect(tabName('gate')).toBe('4 Gate');
  });

  it('number keys map to the panels in order; a number past the last panel does nothing', () => {
    const start = initialUi('paper');
    PANEL_IDS.forEach((id, i) => expect(press(start, String(i + 1)).panel).toBe(id));
    expect(resolveKey(String(PANELS.length + 1), pressesOf('x')[0][1], 'browse', start.panel)).toBeUndefined();
    expect(resolveKey('0', pressesOf('x')[0][1], 'browse', start.panel)).toBeUndefined();
  });

  it('Tab and Shift-Tab walk the registry in order and wrap around', () => {
    let s = initialUi('paper');
    const seen: PanelId[] = [];
    for (let i = 0; i < PANELS.length; i++) {
      seen.push(s.panel);
      s = press(s, 'Tab');
    }
    expect(seen).toEqual(PANEL_IDS);
    expect(s.panel).toBe(PANEL_IDS[0]);
    expect(press(s, 'Shift-Tab').panel).toBe(PANEL_IDS[PANEL_IDS.length - 1]);
  });

  it('every panel starts with a cursor and an empty filter', () => {
    const s = initialUi('live', 'catalog');
    expect(s.panel).toBe('catalog');
    expect(Object.keys(s.cursor)).toEqual(PANEL_IDS);
    expect(Object.values(s.filter).every((f) => f === '')).toBe(true);
  });
});

describe('the reducer hands keys to panels', () => {
  it("'/' filters where a panel has a filter, opens the bot search on Panel B, and does nothing on the gate", () => {
    for (const id of PANEL_IDS) {
      const s = press(initialUi('paper', id), '/');
      const filters = panelById(id).keys.some((k) => k.on.includes('filter') && k.label === 'filter');
      if (filters) expect(s.filtering, id).toBe(true);
      else if (id === 'proof') expect(s.botSearch).toEqual({ query: '', cursor: 0 });
      else expect(s, id).toEqual(initialUi('paper', id));
    }
  });

  it("'b' (Panel B's key from everywhere) switches to Panel B and opens its search, closing what was open", () => {
    const inDrawer: UiState = { ...initialUi('paper', 'integrations'), drawer: 'polygon', drawerScroll: 3 };
    const s = press(inDrawer, 'b');
    expect(s).toMatchObject({ panel: 'proof', drawer: null, drawerScroll: 0, botSearch: { query: '', cursor: 0 } });
  });

  it('a panel without a meaning for a key keeps its usual one: ↓ moves the cursor, clamped to the list', () => {
    let s = initialUi('paper', 'catalog');
    for (let i = 0; i < 9; i++) s = press(s, '↓', env({ listLength: 3 }));
    expect(s.cursor.catalog).toBe(2);
    s = press(s, 'PgUp', env({ listLength: 3 }));
    expect(s.cursor.catalog).toBe(0);
  });

  it('typing into a filter edits it and returns the cursor to the top; Enter keeps it, Esc clears it', () => {
    let s = press({ ...initialUi('paper', 'catalog'), cursor: { ...initialUi('paper').cursor, catalog: 4 } }, '/');
    for (const c of 'md') s = press(s, c);
    expect(s).toMatchObject({ filtering: true, filter: { catalog: 'md' }, cursor: { catalog: 0 } });
    s = press(s, 'Enter');
    expect(s).toMatchObject({ filtering: false, filter: { catalog: 'md' } });
    expect(press(s, 'Esc').filter.catalog).toBe('');
  });

  it('the help overlay swallows panel keys; Esc or ? closes it', () => {
    const open = press(initialUi('paper'), '?');
    expect(open.help).toBe(true);
    expect(press(open, '2')).toEqual(open);
    expect(press(open, 'Esc').help).toBe(false);
    expect(press(open, '?').help).toBe(false);
  });
});

describe('tab bar and body read the registry', () => {
  const frame = (el: React.ReactElement) => {
    const r = render(<ColorContext.Provider value={false}>{el}</ColorContext.Provider>);
    const f = stripAnsi(r.lastFrame() ?? '');
    r.unmount();
    return f;
  };

  it('the tab bar lists every panel in order, full titles when wide, short titles when narrow', () => {
    const bar = (titles: string[], active: number) => titles.map((t, i) => (i === active ? `[${i + 1} ${t}]` : ` ${i + 1} ${t} `)).join('');
    const gate = PANEL_IDS.indexOf('gate');
    // the tabs whole, then the key hint — cut with '…' only when it does not fit
    const tail = '  ? help · q quit';
    const reads = (width: number, f: string, tabs: string) => {
      if (tabs.length + tail.length <= width) return expect(f).toBe(tabs + tail);
      expect(f.startsWith(tabs), f).toBe(true);
      expect(f.endsWith('…') && tail.startsWith(f.slice(tabs.length, -1)), f).toBe(true);
    };
    reads(
      100,
      frame(<TabBar active="gate" width={100} />),
      bar(
        PANELS.map((p) => p.title),
        gate,
      ),
    );
    reads(
      60,
      frame(<TabBar active="integrations" width={60} />),
      bar(
        PANELS.map((p) => p.shortTitle),
        0,
      ),
    );
    // as the four panels read
    expect(
      bar(
        PANELS.map((p) => p.title),
        gate,
      ).startsWith(' 1 Integrations  2 Proof of use  3 Catalog [4 Gate]'),
    ).toBe(true);
    expect(
      bar(
        PANELS.map((p) => p.shortTitle),
        0,
      ).startsWith('[1 Integr] 2 Proof  3 Catalog  4 Gate'),
    ).toBe(true);
  });

  it('tabs that do not fit even with short titles are named by number, the active one in full', () => {
    const width = 40;
    const labels = tabLabels('catalog', width);
    const needed = PANELS.reduce((n, p, i) => n + `${i + 1} ${p.shortTitle}`.length + 2, 0);
    if (needed <= width) expect(labels).toEqual(PANELS.map((p, i) => `${i + 1} ${p.shortTitle}`));
    else expect(labels).toEqual(PANELS.map((p, i) => (p.id === 'catalog' ? `${i + 1} ${p.shortTitle}` : String(i + 1))));
    // too narrow for the short titles: only the active tab keeps its title
    expect(tabLabels('catalog', 20)).toEqual(PANELS.map((p, i) => (p.id === 'catalog' ? `${i + 1} ${p.shortTitle}` : String(i + 1))));
  });

  it('without a fresh read every panel says UNKNOWN about its own subject', () => {
    for (const p of PANELS) {
      const f = frame(
        <Body
          data={data({ outage: { message: 'x', fix: null, since: 0, attempts: 1, nextRetryAt: 0 } })}
          fresh={false}
          ui={initialUi('paper', p.id)}
          width={80}
          height={10}
          now={0}
        />,
      );
      expect(f).toBe(`UNKNOWN — store unreachable: ${p.subject} not shown (retrying)`);
    }
  });
});
